/**
 * npm run bench:scap — reading a large .scap: our reader next to sysdig (libsinsp) on the same
 * file, in the same run.
 *
 * 1. Records a real capture: test/bench/capture-workload.c (open/fstat/read/close + stat loop,
 *    fork/exec loop, TCP connect/accept loop) under `tsfalco capture --events all --only-command`.
 * 2. Writes it as a .scap with our writer (an enter and an exit event per syscall; for sysdig
 *    0.29's libscap), timed too.
 * 3. Times reading that file: our reader (openScap: every event decoded to rows, and to Arrow
 *    record batches as replay consumes them), `tsfalco replay FILE --filter` with a filter that
 *    matches nothing (state rebuilt, every event filtered, nothing printed: no rules), and sysdig
 *    0.29: `sysdig -r FILE` printing every event to /dev/null, `-p %evt.num` (minimal
 *    formatting) and a filter that matches nothing (decoding and state only).
 *
 * Prints events/s, bytes/event and each reader's time relative to sysdig's filter run. Files live
 * under a temporary directory (removed at the end unless BENCH_SCAP names where to keep the .scap;
 * an existing BENCH_SCAP is reused without capturing). Needs root, eBPF, the built helper, sysdig.
 *
 * Options (environment): BENCH_FILES / BENCH_EXECS / BENCH_CONNS (workload iterations, default
 * 200000 / 500 / 5000: about 1.1 million syscalls, 2.2 million scap events), BENCH_REPS (timed
 * runs per reader, median; default 1), BENCH_SCAP.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capturePrerequisiteProblem } from '../../src/capture/helper.js';
import { openScap } from '../../src/scap/index.js';
import { writeScap } from '../../src/scap/writer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = join(ROOT, 'bin', 'run.js');
const FILES = process.env.BENCH_FILES ?? '200000';
const EXECS = process.env.BENCH_EXECS ?? '500';
const CONNS = process.env.BENCH_CONNS ?? '5000';
const REPS = Math.max(1, Number(process.env.BENCH_REPS ?? 1));
const tmp = mkdtempSync(join(tmpdir(), 'tsfalco-bench-scap-'));

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** Wall time of `fn`, median of REPS runs, in seconds. */
function timed(fn: () => void): number {
  const runs: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    fn();
    runs.push((performance.now() - t0) / 1000);
  }
  return median(runs);
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
/** Peak RSS (KiB) of the last `run`, when /usr/bin/time is there to tell. */
let lastPeakKiB: number | null = null;

function run(cmd: string, args: string[], what: string): void {
  const devnull = openSync('/dev/null', 'w');
  try {
    const [exe, argv] = TIME ? [TIME, ['-f', 'BENCH_PEAK %M', cmd, ...args]] : [cmd, args];
    const r = spawnSync(exe, argv, { stdio: ['ignore', devnull, 'pipe'], maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`${what} exited with ${r.status}: ${r.stderr?.toString().slice(0, 500)}`);
    const peak = /BENCH_PEAK (\d+)/.exec(r.stderr?.toString() ?? '');
    lastPeakKiB = peak ? Number(peak[1]) : null;
  } finally {
    closeSync(devnull);
  }
}

/** `timed(run(...))` with the peak RSS of its last run. */
function timedRun(cmd: string, args: string[], what: string): { secs: number; peakKiB: number | null } {
  const secs = timed(() => run(cmd, args, what));
  return { secs, peakKiB: lastPeakKiB };
}

function capture(trace: string): void {
  const workload = join(tmp, 'workload');
  const cc = spawnSync('cc', ['-O2', '-o', workload, join(ROOT, 'test/bench/capture-workload.c')], { stdio: 'inherit' });
  if (cc.status !== 0) throw new Error('cannot compile the workload');
  process.stdout.write(`capture: tsfalco capture --events all --only-command -- workload ${FILES} ${EXECS} ${CONNS}\n`);
  const r = spawnSync(process.execPath, [BIN, 'capture', '-o', trace, '--force', '--events', 'all', '--only-command', '--', workload, FILES, EXECS, CONNS, join(tmp, 'phases.txt')], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stdout.write(r.stderr.replace(/^/gm, '  '));
  if (r.status !== 0) throw new Error(`tsfalco capture exited with ${r.status}`);
}

function main(): void {
  const problem = capturePrerequisiteProblem();
  const sysdig = spawnSync('sysdig', ['--version'], { encoding: 'utf8' });
  if (sysdig.status !== 0) throw new Error('bench:scap needs sysdig (apt-get install sysdig)');
  const scap = process.env.BENCH_SCAP ? resolve(process.env.BENCH_SCAP) : join(tmp, 'bench.scap');
  let events: number;
  if (process.env.BENCH_SCAP && existsSync(scap)) {
    process.stdout.write(`reusing ${scap}\n`);
    events = 0;
    const src = openScap(scap);
    for (const row of src.rows()) if (typeof row === 'object' && !row.type.startsWith('snapshot_')) events++;
    src.close();
  } else {
    if (problem) throw new Error(`bench:scap records a real capture: ${problem}`);
    const trace = join(tmp, 'bench.arrow');
    capture(trace);
    const t0 = performance.now();
    const summary = writeScap(trace, scap, { overwrite: true });
    const secs = (performance.now() - t0) / 1000;
    events = summary.events;
    process.stdout.write(
      `writer: ${fmt(summary.syscalls)} syscalls → ${fmt(events)} scap events (${summary.target}), ${fmt(summary.bytes / 2 ** 20, 1)} MiB, in ${fmt(secs, 2)}s (${fmt(events / secs)} events/s)` +
        (Object.keys(summary.skipped).length ? `; left out: ${Object.entries(summary.skipped).map(([t, n]) => `${t} ×${n}`).join(', ')}` : '') +
        '\n',
    );
  }
  const size = statSync(scap).size;
  process.stdout.write(`file: ${scap}: ${fmt(events)} events, ${fmt(size / 2 ** 20, 1)} MiB, ${fmt(size / events, 1)} bytes/event; ${sysdig.stdout.trim()}; median of ${REPS} run(s)\n\n`);

  const rows: { name: string; secs: number; peakKiB?: number | null }[] = [];
  rows.push({
    name: 'tsfalco: openScap(file).rows()  (decode to rows)',
    secs: timed(() => {
      const src = openScap(scap);
      let n = 0;
      for (const row of src.rows()) if (typeof row === 'object') n++;
      src.close();
      if (n < events) throw new Error(`our reader read ${n} rows, fewer than the ${events} events`);
    }),
  });
  rows.push({
    name: 'tsfalco: openScap(file).batches()  (Arrow batches)',
    secs: timed(() => {
      const src = openScap(scap);
      let n = 0;
      for (const b of src.batches()) n += b.numRows;
      src.close();
      if (n < events) throw new Error(`our reader read ${n} rows, fewer than the ${events} events`);
    }),
  });
  rows.push({ name: 'tsfalco replay FILE --filter evt.num=0', ...timedRun(process.execPath, [BIN, 'replay', scap, '--filter', 'evt.num=0', '--no-summary'], 'tsfalco replay') });
  rows.push({ name: 'sysdig -r FILE  (every event printed)', ...timedRun('sysdig', ['-r', scap], 'sysdig') });
  rows.push({ name: 'sysdig -r FILE -p %evt.num', ...timedRun('sysdig', ['-r', scap, '-p', '%evt.num'], 'sysdig') });
  const base = timedRun('sysdig', ['-r', scap, 'evt.num=0'], 'sysdig');
  rows.push({ name: 'sysdig -r FILE evt.num=0  (filter matching nothing)', ...base });

  process.stdout.write(['reader'.padEnd(54), 'seconds', 'events/s'.padStart(12), 'vs sysdig filter', 'peak RSS'].join(' | ') + '\n');
  for (const r of rows) {
    const peak = r.peakKiB == null ? '' : `${fmt(r.peakKiB / 1024)} MiB`;
    process.stdout.write([r.name.padEnd(54), fmt(r.secs, 2).padStart(7), fmt(events / r.secs).padStart(12), `${fmt(r.secs / base.secs, 2)}x time`.padStart(16), peak].join(' | ') + '\n');
  }
  process.stdout.write('\n"vs sysdig filter": the reader\'s time over `sysdig -r FILE evt.num=0` (decoding and state, nothing printed); wall time, one process each. Peak RSS of the command-line readers from /usr/bin/time.\n');
}

try {
  main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
