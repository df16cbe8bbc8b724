import { lineBuffer, type OutputSink } from './sink.js';

/**
 * Falco's `stdout_output`: lines on standard output, joined into large writes. A write that
 * fails (a full disk, a closed pipe) is handled where stdout is guarded (src/util/io-errors.ts).
 */
export function stdoutSink(): OutputSink {
  const buffer = lineBuffer((text) => process.stdout.write(text));
  return {
    name: 'stdout',
    write: (m) => buffer.add(m.line),
    flush: buffer.flush,
    reopen() {},
    async close() {
      buffer.flush();
    },
  };
}
