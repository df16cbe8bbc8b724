import type { Alert } from '../engine/alert.js';

/**
 * Where output lines go: one interface for every output, as Falco's `abstract_output`
 * (outputs.h). A message is the line in the configured format (Falco formats an alert once for
 * every output) and, for alerts, the alert itself, for outputs that need its fields.
 *
 * Writes may be buffered: `flush` pushes what is buffered out (the replay flushes after every
 * batch and before it stops, so an alert is never held longer than one batch), `reopen` starts
 * again on a fresh file or program (Falco does it on SIGUSR1, for log rotation), `close` flushes
 * and releases the output.
 */
export interface OutputMessage {
  readonly line: string;
  /** The alert behind the line; absent for lines that are not alerts (`--filter` event lines). */
  readonly alert?: Alert;
}

export interface OutputSink {
  /** Falco's name for the output (`stdout`, `file`, `program`…). */
  readonly name: string;
  write(message: OutputMessage): void;
  flush(): void;
  reopen(): void;
  close(): Promise<void>;
}

/** Bytes of lines an output holds before it writes them out on its own. */
export const SINK_BUFFER_BYTES = 64 * 1024;

/**
 * Lines joined into one write: `writeOut` gets the text of every line buffered since the last
 * flush, each ending in a newline.
 */
export function lineBuffer(writeOut: (text: string) => void): { add(line: string): void; flush(): void } {
  let lines: string[] = [];
  let size = 0;
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    lines = [];
    size = 0;
    writeOut(text);
  };
  return {
    add(line) {
      lines.push(line);
      size += line.length + 1;
      if (size >= SINK_BUFFER_BYTES) flush();
    },
    flush,
  };
}

/** Every sink as one: a message goes to each, in order. */
export function fanOut(sinks: readonly OutputSink[]): OutputSink {
  return {
    name: sinks.map((s) => s.name).join('+'),
    write(message) {
      for (const s of sinks) s.write(message);
    },
    flush() {
      for (const s of sinks) s.flush();
    },
    reopen() {
      for (const s of sinks) s.reopen();
    },
    async close() {
      let failure: unknown;
      for (const s of sinks) {
        try {
          await s.close();
        } catch (e) {
          failure ??= e;
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}
