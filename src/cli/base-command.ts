import { Command, Errors } from '@oclif/core';
import { isUserError } from '../util/errors.js';
import { sanitize } from '../util/terminal.js';

/**
 * The base of every tsfalco command: a user error becomes one line on stderr and its exit code,
 * never a stack trace. Bugs still show their stack (with TSFALCO_DEBUG=1 user errors do too).
 */
export abstract class TsfalcoCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (isUserError(err)) {
      if (process.env.TSFALCO_DEBUG) process.stderr.write(`${err.stack}\n`);
      process.stderr.write(`tsfalco: ${sanitize(err.message)}\n`);
      process.exitCode = err.exitCode;
      return this.exit(err.exitCode);
    }
    if (err instanceof Errors.ExitError) throw err;
    if (err instanceof Errors.CLIError && !process.env.TSFALCO_DEBUG) {
      // Flag and argument mistakes: oclif's message is already one clear line.
      process.stderr.write(`tsfalco: ${err.message.split('\n').join('\n  ')}\n`);
      process.stderr.write(`Run "tsfalco ${this.id?.replace(/:/g, ' ') ?? ''} --help" for usage.\n`);
      return this.exit(err.oclif?.exit ?? 2);
    }
    return super.catch(err);
  }
}
