import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/**
 * Falco's program_output: alert lines written to a program's stdin through the shell. With
 * keep_alive the program is started once and gets every line; without it, as Falco does, the
 * program is run once per alert with that alert on its stdin. The program's own output goes to
 * ours.
 */
export interface ProgramOutput {
  write(line: string): void;
  /** Closes the program's stdin and waits for it to finish. */
  close(): Promise<void>;
}

export function programOutput(program: string, keepAlive: boolean): ProgramOutput {
  if (!keepAlive) {
    return {
      write(line) {
        spawnSync('/bin/sh', ['-c', program], { input: line + '\n', stdio: ['pipe', 'inherit', 'inherit'] });
      },
      close: async () => {},
    };
  }
  let child: ChildProcess | undefined;
  return {
    write(line) {
      child ??= spawn('/bin/sh', ['-c', program], { stdio: ['pipe', 'inherit', 'inherit'] });
      child.stdin!.write(line + '\n');
    },
    close() {
      const c = child;
      if (!c) return Promise.resolve();
      return new Promise((resolve) => {
        c.once('close', () => resolve());
        c.stdin!.end();
      });
    },
  };
}
