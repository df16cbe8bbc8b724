import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { ioError, isErrnoException } from '../util/io-errors.js';
import { lineBuffer, type OutputSink } from './sink.js';

/**
 * Falco's `file_output`: alerts appended to a file, one line each. The file is opened once, at
 * the start, so that a bad path is reported before the replay: never through a symbolic link
 * (O_NOFOLLOW: an alert file is a place others may plant a link), and a file it creates is 0600
 * whatever the umask (alerts hold command lines). Lines are buffered and written out when the
 * replay flushes (after every batch) or the buffer fills, each time with write(2) until all is
 * written: what was flushed before a failure stays in the file. `reopen` closes the file and
 * opens the same path again (after log rotation moved it away).
 */

const ACTION = 'cannot open for appending alerts';

export function openAlertFile(path: string): OutputSink {
  let fd = openAppending(path);
  let open = true;
  const buffer = lineBuffer((text) => {
    const bytes = Buffer.from(text);
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      throw ioError(err, path, 'write failed');
    }
  });
  const closeFd = () => {
    if (!open) return;
    open = false;
    try {
      closeSync(fd);
    } catch (err) {
      throw ioError(err, path, 'close failed');
    }
  };
  return {
    name: 'file',
    write: (m) => buffer.add(m.line),
    flush: buffer.flush,
    reopen() {
      buffer.flush();
      closeFd();
      fd = openAppending(path);
      open = true;
    },
    async close() {
      try {
        buffer.flush();
      } finally {
        closeFd();
      }
    },
  };
}

function openAppending(path: string): number {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
  try {
    try {
      const fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL, 0o600);
      fchmodSync(fd, 0o600); // the umask may have taken bits away, never added: this is for clarity
      return fd;
    } catch (err) {
      if (!isErrnoException(err) || err.code !== 'EEXIST') throw err;
      return openSync(path, flags);
    }
  } catch (err) {
    if (isErrnoException(err) && err.code === 'ELOOP') throw new UserError(`${path}: ${ACTION}: is a symbolic link (refusing to follow it)`);
    throw ioError(err, path, ACTION);
  }
}
