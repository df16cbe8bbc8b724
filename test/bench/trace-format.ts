/**
 * npm run bench:trace — write and read throughput of the trace format, and bytes/event, with and
 * without LZ4 body compression, on a synthetic but realistic event mix (opens, reads, closes,
 * connects, execs from a few hundred processes; paths and comms repeat as on a real host).
 * Reference for size: the same events as uncompressed Arrow (our writer with compression off)
 * and as JSON lines (what a naive exporter would write), in the same run.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceEvent } from '../../src/trace/event.js';
import { PPM_O } from '../../src/trace/flags.js';
import { openTrace } from '../../src/trace/reader.js';
import { createTraceWriter } from '../../src/trace/writer.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'tsfalco-bench-'));

function* events(n: number): Generator<TraceEvent> {
  const comms = ['nginx', 'bash', 'python3', 'java', 'sshd', 'cron', 'node', 'postgres'];
  let seed = 42;
  const rand = (m: number) => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) % m);
  for (let i = 0; i < n; i++) {
    const pid = 1000 + rand(300);
    const base = { ts: 1_795_230_847_000_000_000n + BigInt(i) * 7_000n, num: BigInt(i + 1), dir: '<', cpu: i & 1, tid: pid, pid, ppid: 1, uid: 1000, gid: 1000, euid: 1000, egid: 1000, loginuid: 1000, comm: comms[pid % comms.length], latency: BigInt(500 + rand(5000)) };
    const kind = rand(100);
    if (kind < 40) yield { ...base, type: 'openat', dirfd: -100n, path: `/var/lib/app/data/file${rand(2000)}.db`, flags: PPM_O.RDONLY | PPM_O.CLOEXEC, mode: 0, res: BigInt(3 + rand(60)), fd_type: 'file', dev: 2049, ino: BigInt(100_000 + rand(2000)) };
    else if (kind < 70) yield { ...base, type: 'read', fd: BigInt(3 + rand(60)), size: 4096n, res: BigInt(rand(4096)) };
    else if (kind < 90) yield { ...base, type: 'close', fd: BigInt(3 + rand(60)), res: 0n };
    else if (kind < 97) yield { ...base, type: 'connect', fd: 5n, res: 0n, fd_type: 'ipv4', sock_family: 2, l4proto: 6, sip: '10.0.0.5', sport: 30000 + rand(30000), dip: `10.0.${rand(4)}.${rand(250)}`, dport: [443, 5432, 6379][rand(3)] };
    else yield { ...base, type: 'execve', res: 0n, path: '/usr/bin/python3', exe: 'python3', exepath: '/usr/bin/python3.11', args: ['-m', 'worker', `--job=${rand(100_000)}`], cwd: '/srv/app', tty: 0, pgid: pid, sid: pid, cap_permitted: 0n, cap_effective: 0n, cap_inheritable: 0n };
  }
}

/** Time to build the event objects alone, subtracted from the write time below. */
function generationMs(): number {
  const t0 = performance.now();
  let n = 0;
  for (const e of events(N)) n += e.type.length;
  if (n === 0) throw new Error('no events');
  return performance.now() - t0;
}

function bench(compression: 'lz4' | 'none', genMs: number) {
  const path = join(dir, `bench-${compression}.arrow`);
  const t0 = performance.now();
  const writer = createTraceWriter(path, { source: 'bench' }, { compression });
  for (const e of events(N)) writer.append(e);
  writer.close();
  const t1 = performance.now();
  const trace = openTrace(path);
  let rows = 0;
  for (const batch of trace.batches()) rows += batch.numRows;
  trace.close();
  const t2 = performance.now();
  if (rows !== N) throw new Error(`read ${rows} rows, wrote ${N}`);
  const size = statSync(path).size;
  return { compression, size, writeRate: N / ((t1 - t0 - genMs) / 1000), readRate: N / ((t2 - t1) / 1000), bytesPerEvent: size / N };
}

function jsonSize(): number {
  const path = join(dir, 'bench.jsonl');
  const lines: string[] = [];
  for (const e of events(N)) lines.push(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  writeFileSync(path, lines.join('\n'));
  return statSync(path).size;
}

try {
  const genMs = generationMs();
  const lz4 = bench('lz4', genMs);
  const none = bench('none', genMs);
  const json = jsonSize();
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`trace format bench: ${fmt(N)} events (building the event objects took ${fmt(genMs)} ms, not counted in write speed)`);
  for (const r of [lz4, none]) {
    console.log(`  ${r.compression.padEnd(4)}  write ${fmt(r.writeRate)} events/s  read ${fmt(r.readRate)} events/s  ${r.bytesPerEvent.toFixed(2)} bytes/event  (${fmt(r.size)} bytes)`);
  }
  console.log(`  jsonl                                                    ${(json / N).toFixed(2)} bytes/event`);
  console.log(`  ratios: lz4/uncompressed size ${(lz4.size / none.size).toFixed(3)}, lz4/jsonl size ${(lz4.size / json).toFixed(3)}, lz4/uncompressed write speed ${(lz4.writeRate / none.writeRate).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
