/**
 * node dist/test/bench/capture-decode.js RAW [RAW...] — the Node side of a capture alone: feeds a
 * recorded helper stream (`tsfalco-capture-helper --syscalls ... > raw.bin`) through the decoder
 * and the trace writer, and prints records per CPU second and bytes per event, for the column
 * decoder `tsfalco capture` uses (decode-columns.ts) and the TraceEvent decoder (decode.ts).
 * No root needed once the stream is recorded. BENCH_CHUNK: bytes per push (default 65536).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createColumnDecoder } from '../../src/capture/decode-columns.js';
import { createDecoder, type Decoder } from '../../src/capture/decode.js';
import { selectSyscalls } from '../../src/capture/syscalls.js';
import { createTraceWriter, type TraceWriter } from '../../src/trace/writer.js';

const CHUNK = Number(process.env.BENCH_CHUNK ?? 65536);
const names = selectSyscalls('all').names;
const tmp = mkdtempSync(join(tmpdir(), 'tsfalco-bench-decode-'));

const decoders: Record<string, (w: TraceWriter) => Decoder> = {
  columns: (w) => createColumnDecoder(names, w, { num: 0 }, { hello() {}, stats() {} }),
  'TraceEvent (decode.ts)': (w) => {
    let num = 0n;
    return createDecoder(names, {
      hello() {},
      event(e) {
        e.num = ++num;
        w.append(e);
      },
      stats() {},
    });
  },
};

for (const file of process.argv.slice(2)) {
  const raw = readFileSync(file);
  for (const [label, make] of Object.entries(decoders)) {
    const rates: number[] = [];
    let bytes = 0;
    let events = 0;
    for (let rep = 0; rep < 5; rep++) {
      const out = join(tmp, 'out.arrow');
      rmSync(out, { force: true });
      const writer = createTraceWriter(out, { source: 'bench' });
      const decoder = make(writer);
      const cpu0 = process.cpuUsage();
      for (let at = 0; at < raw.length; at += CHUNK) decoder.push(raw.subarray(at, Math.min(raw.length, at + CHUNK)));
      writer.close();
      const c = process.cpuUsage(cpu0);
      events = writer.eventsWritten;
      bytes = writer.bytesWritten;
      rates.push(events / ((c.user + c.system) / 1e6));
    }
    rates.sort((a, b) => a - b);
    process.stdout.write(
      `${file} ${label}: ${events} events, ${rates[2].toFixed(0)} records/CPU-s (median of 5; best ${rates[4].toFixed(0)}), ${(bytes / events).toFixed(1)} bytes/event\n`,
    );
  }
}
rmSync(tmp, { recursive: true, force: true });
