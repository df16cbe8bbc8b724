import { UserError } from './errors.js';

/**
 * The one path every filesystem error takes to the user: `FILE: what failed: reason`, the
 * reason in words (strerror's, lower case), never Node's `ENOSPC: …, write` with a stack.
 */

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EBADF: 'bad file descriptor',
  EBUSY: 'device or resource busy',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  EFBIG: 'file too large',
  EINVAL: 'invalid argument',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
  ELOOP: 'is a symbolic link (not followed)',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ENFILE: 'too many open files in system',
  ENODEV: 'no such device',
  ENOENT: 'no such file or directory',
  ENOMEM: 'out of memory',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  ENXIO: 'no such device or address',
  EPERM: 'operation not permitted',
  EPIPE: 'broken pipe',
  EROFS: 'read-only file system',
  ETXTBSY: 'text file busy',
  EXDEV: 'not on the same file system',
};

export function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** The reason of a system error in words: `no space left on device`. */
export function ioReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  if (code && REASONS[code]) return REASONS[code];
  // Node's own text without the code and the syscall: "EXAMPLE: some reason, open '/x'".
  const m = /^[A-Z0-9_]+: (.*?)(?:, [a-z_0-9]+(?: '.*')?)?$/.exec(err.message);
  return (m ? m[1] : err.message).toLowerCase();
}

/**
 * A filesystem error as a user error: `FILE: ACTION: reason` (`/x: cannot open for appending
 * alerts: no such file or directory`). A UserError is passed through as it is.
 */
export function ioError(err: unknown, file: string, action: string): UserError {
  if (err instanceof UserError) return err;
  const e = new UserError(`${file}: ${action}: ${ioReason(err)}`);
  if (err instanceof Error) e.cause = err;
  return e;
}

/** Runs `fn`; a system error it throws becomes `ioError(err, file, action)`. */
export function withIo<T>(file: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isErrnoException(err)) throw ioError(err, file, action);
    throw err;
  }
}

/** The exit status of a process killed by SIGPIPE, what a shell reports for `cmd | head -1`. */
export const EPIPE_EXIT = 141;

let stdoutGuarded = false;
let reported = false;

/**
 * Writes to stdout that fail become one message: a full disk (`> /dev/full`) a UserError
 * `stdout: write failed: no space left on device`; a closed pipe (`| head -1`) ends the process
 * quietly, as other command-line tools do. Writes to a file are synchronous (they throw); writes
 * to a pipe report their error later, as an 'error' event.
 */
export function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  const stdout = process.stdout;
  const failed = (err: unknown): never => {
    if (isErrnoException(err) && err.code === 'EPIPE') process.exit(EPIPE_EXIT);
    reported = true;
    throw isErrnoException(err) ? ioError(err, 'stdout', 'write failed') : err;
  };
  const write = stdout.write.bind(stdout) as (...args: unknown[]) => boolean;
  stdout.write = ((...args: unknown[]) => {
    if (stdout.errored) failed(stdout.errored);
    let ok: boolean;
    try {
      ok = write(...args);
    } catch (err) {
      failed(err);
    }
    // A file's write fails at once, but Node reports it as an 'error' event, after the caller has
    // gone on: stop the caller here instead.
    if (stdout.errored) failed(stdout.errored);
    return ok!;
  }) as typeof stdout.write;
  // oclif's listener rethrows every error but EPIPE (a stack trace): ours replaces it.
  stdout.removeAllListeners('error');
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EPIPE_EXIT);
    if (reported) return;
    reported = true;
    process.stderr.write(`tsfalco: stdout: write failed: ${ioReason(err)}\n`);
    process.exit(1);
  });
}
