import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { lineBuffer, type OutputSink } from './sink.js';

/**
 * Falco's program_output: alert lines written to a program's stdin through the shell. With
 * keep_alive the program is started once and gets every line (buffered, written out when the
 * replay flushes); without it, as Falco does, the program is run once per alert with that alert
 * on its stdin. The program's own output goes to ours. `reopen` ends a kept-alive program; the
 * next line starts it again.
 */
export function programSink(program: string, keepAlive: boolean): OutputSink {
  if (!keepAlive) {
    return {
      name: 'program',
      write(m) {
        spawnSync('/bin/sh', ['-c', program], { input: m.line + '\n', stdio: ['pipe', 'inherit', 'inherit'] });
      },
      flush() {},
      reopen() {},
      close: async () => {},
    };
  }
  let child: ChildProcess | undefined;
  const buffer = lineBuffer((text) => {
    child ??= spawn('/bin/sh', ['-c', program], { stdio: ['pipe', 'inherit', 'inherit'] });
    child.stdin!.write(text);
  });
  const end = (): Promise<void> => {
    buffer.flush();
    const c = child;
    child = undefined;
    if (!c) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('close', () => resolve());
      c.stdin!.end();
    });
  };
  return {
    name: 'program',
    write: (m) => buffer.add(m.line),
    flush: buffer.flush,
    reopen() {
      void end();
    },
    close: end,
  };
}
