import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { ioError, isErrnoException } from '../util/io-errors.js';

/**
 * Falco's `file_output`: alerts appended to a file, one line each. The file is opened once, at
 * the start, so that a bad path is reported before the replay: never through a symbolic link
 * (O_NOFOLLOW: an alert file is a place others may plant a link), and a file it creates is 0600
 * whatever the umask (alerts hold command lines). Each line is one write(2), so every alert
 * written before a failure stays in the file.
 */

export interface AlertFile {
  readonly path: string;
  write(line: string): void;
  close(): void;
}

const ACTION = 'cannot open for appending alerts';

export function openAlertFile(path: string): AlertFile {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
  let fd: number;
  try {
    try {
      fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL, 0o600);
      fchmodSync(fd, 0o600); // the umask may have taken bits away, never added: this is for clarity
    } catch (err) {
      if (!isErrnoException(err) || err.code !== 'EEXIST') throw err;
      fd = openSync(path, flags);
    }
  } catch (err) {
    if (isErrnoException(err) && err.code === 'ELOOP') throw new UserError(`${path}: ${ACTION}: is a symbolic link (refusing to follow it)`);
    throw ioError(err, path, ACTION);
  }
  let open = true;
  return {
    path,
    write(line) {
      const bytes = Buffer.from(line + '\n');
      try {
        let done = 0;
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      } catch (err) {
        throw ioError(err, path, 'write failed');
      }
    },
    close() {
      if (!open) return;
      open = false;
      try {
        closeSync(fd);
      } catch (err) {
        throw ioError(err, path, 'close failed');
      }
    },
  };
}
