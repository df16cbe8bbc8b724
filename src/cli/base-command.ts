import { Command, Errors } from '@oclif/core';
import { isUserError } from '../util/errors.js';
import { guardStdout, ioError, isErrnoException } from '../util/io-errors.js';
import { sanitize } from '../util/terminal.js';

/**
 * oclif's flag and argument errors as one line: `unknown flag --x`, `missing 1 required arg:
 * trace` (its "See more help" lines dropped; the caller adds the pointer to --help).
 */
export function flagErrorLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help with --help$/i.test(l));
  let text = lines.join('; ').replace(/:;\s*/g, ': ');
  text = text.replace(/^Nonexistent flags?: (.*)$/, (_m, flags: string) => `unknown flag${flags.includes(',') ? 's' : ''} ${flags}`);
  text = text.replace(/^Unexpected arguments?: (.*)$/, (_m, a: string) => `unexpected argument ${a}`);
  return sanitize(text.charAt(0).toLowerCase() + text.slice(1));
}

/**
 * The base of every tsfalco command: a user error becomes one line on stderr and its exit code,
 * never a stack trace; so does a filesystem error nothing named better (`FILE: SYSCALL failed:
 * reason`) and a failed write to stdout. Bugs still show their stack (with TSFALCO_DEBUG=1 user
 * errors do too).
 */
export abstract class TsfalcoCommand extends Command {
  public override async init(): Promise<void> {
    guardStdout();
    await super.init();
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (!isUserError(err) && isErrnoException(err) && (err as NodeJS.ErrnoException).path && !process.env.TSFALCO_DEBUG) {
      err = ioError(err, (err as NodeJS.ErrnoException).path!, `${(err as NodeJS.ErrnoException).syscall} failed`);
    }
    if (isUserError(err)) {
      if (process.env.TSFALCO_DEBUG) process.stderr.write(`${err.stack}\n`);
      // Line by line: a message may show its input under it with a caret (--filter).
      process.stderr.write(`tsfalco: ${err.message.split('\n').map(sanitize).join('\n')}\n`);
      process.exitCode = err.exitCode;
      return this.exit(err.exitCode);
    }
    if (err instanceof Errors.ExitError) throw err;
    if (err instanceof Errors.CLIError && !process.env.TSFALCO_DEBUG) {
      // Flag and argument mistakes: one line, with where to read the usage.
      const id = this.id?.replace(/:/g, ' ');
      process.stderr.write(`tsfalco: ${flagErrorLine(err.message)} (see tsfalco${id ? ` ${id}` : ''} --help)\n`);
      process.exitCode = 1;
      return this.exit(1);
    }
    return super.catch(err);
  }
}
