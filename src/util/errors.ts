/**
 * An error caused by the user's input (a bad file, flag or query), not by a bug.
 * Commands print its message as one line and exit with `exitCode`, never with a stack trace.
 * The message must already name the file and the place (line/column, byte offset or batch).
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
