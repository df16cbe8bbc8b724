import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createColumnDecoder } from '../../src/capture/decode-columns.js';
import { createDecoder } from '../../src/capture/decode.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { openTrace } from '../../src/trace/reader.js';
import { batchEvents } from '../../src/trace/rows.js';
import { createTraceWriter } from '../../src/trace/writer.js';

/**
 * A helper stream decoded both ways (decode.ts's TraceEvents, decode-columns.ts's columns), each
 * written to a trace (same metadata) and read back; the files' bytes too.
 */
export function decodeBothWays(
  stream: Uint8Array,
  names: ReadonlyMap<number, string>,
  options: { chunk?: number; batchRows?: number } = {},
): { reference: TraceEvent[]; columns: TraceEvent[]; referenceBytes: Buffer; columnsBytes: Buffer } {
  const meta = { source: 'test', createdAt: '2026-01-01T00:00:00.000Z', host: 'test', kernel: 'test', tsfalcoVersion: 'test' };
  const dir = mkdtempSync(join(tmpdir(), 'tsfalco-decode-'));
  const chunk = options.chunk ?? 65536;
  const buf = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  const read = (path: string) => {
    const t = openTrace(path);
    const out: TraceEvent[] = [];
    for (const b of t.batches()) out.push(...batchEvents(b));
    t.close();
    return out;
  };
  try {
    const a = join(dir, 'reference.arrow');
    const wa = createTraceWriter(a, meta, { batchRows: options.batchRows });
    let num = 0n;
    const ref = createDecoder(names, {
      hello() {},
      event(e) {
        e.num = ++num;
        wa.append(e);
      },
      stats(perCpu, ts) {
        for (const [cpu, c] of perCpu.entries()) wa.append({ ts, num: ++num, type: 'capture_stats', cpu, n_events: c.events, n_drops: c.drops });
      },
    });
    for (let at = 0; at < buf.length; at += chunk) ref.push(buf.subarray(at, Math.min(buf.length, at + chunk)));
    wa.close();

    const b = join(dir, 'columns.arrow');
    const wb = createTraceWriter(b, meta, { batchRows: options.batchRows });
    const counter = { num: 0 };
    const col = createColumnDecoder(names, wb, counter, {
      hello() {},
      stats(perCpu, ts) {
        for (const [cpu, c] of perCpu.entries()) wb.append({ ts, num: BigInt(++counter.num), type: 'capture_stats', cpu, n_events: c.events, n_drops: c.drops });
      },
    });
    for (let at = 0; at < buf.length; at += chunk) col.push(buf.subarray(at, Math.min(buf.length, at + chunk)));
    wb.close();
    return { reference: read(a), columns: read(b), referenceBytes: readFileSync(a), columnsBytes: readFileSync(b) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
