import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { UserError } from './errors.js';
import { ioReason } from './io-errors.js';

/**
 * Opening a file a user hands us (a trace, a rules file, a falco.yaml) without trusting it to be
 * one: a FIFO would block the open and the read, /dev/zero or /dev/urandom would be read until
 * memory runs out. The file is opened non-blocking and must be a regular file, of at most
 * `maxBytes` when it is read whole.
 */

/** Why a file that is not a regular one cannot be read, in words. */
function notRegular(st: Stats): string {
  if (st.isDirectory()) return 'is a directory';
  if (st.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (st.isCharacterDevice()) return 'is a character device, not a regular file';
  if (st.isBlockDevice()) return 'is a block device, not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  return 'not a regular file';
}

/** Why an input file cannot be read, in words (the caller names the file). */
export class InputFileError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Opens `path` for reading as a regular file: its fd and its stats (InputFileError otherwise). */
export function openRegular(path: string): { fd: number; stat: Stats } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang (it is refused below).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new InputFileError(ioReason(err));
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new InputFileError(notRegular(stat));
  }
  return { fd, stat };
}

/** openRegular with its failure as one UserError: `WHAT PATH: reason`. */
export function openRegularFile(path: string, what: string): { fd: number; stat: Stats } {
  try {
    return openRegular(path);
  } catch (err) {
    if (err instanceof InputFileError) throw new UserError(`${what} ${path}: ${err.reason}`);
    throw err;
  }
}

const MIB = 1024 * 1024;

/** Reads a regular file of at most `maxBytes` as UTF-8 text (InputFileError otherwise). */
export function readRegularText(path: string, maxBytes: number): string {
  const { fd, stat } = openRegular(path);
  try {
    if (stat.size > maxBytes) throw new InputFileError(`too large (${(stat.size / MIB).toFixed(1)} MiB; at most ${Math.round(maxBytes / MIB)} MiB)`);
    const buf = Buffer.alloc(stat.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(ioReason(err));
  } finally {
    closeSync(fd);
  }
}

/** Largest rules file read (Falco's whole upstream set is under 1 MiB). */
export const MAX_RULES_FILE = 64 * MIB;
/**
 * Largest falco.yaml read. Falco's stock one is ~60 KB; a configuration document costs ~150 times
 * its size while it is parsed and typed (the YAML library's nodes, then ours), so 1 MiB keeps a
 * hostile one well under 512 MB.
 */
export const MAX_CONFIG_FILE = 1 * MIB;
