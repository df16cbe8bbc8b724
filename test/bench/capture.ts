/**
 * npm run bench:capture — what recording costs the host.
 *
 * Runs a syscall-heavy workload (test/bench/capture-workload.c: open/fstat/read/close + stat
 * loop, fork/exec loop, TCP connect/accept loop) with no tracing, under a no-op eBPF program on
 * the same hooks (bpftrace), under tsfalco capture (default set and --events all), under
 * `perf record` of the raw syscall tracepoints and under auditd with rules for the default set,
 * and prints for each: the workload's time and slowdown, events recorded (and per second), drops
 * and bytes per event. Also how fast the Node side decodes and writes (records per CPU second),
 * to tell whether Node or the kernel side is the bottleneck. Needs root, eBPF, the built helper.
 *
 * Options (environment): BENCH_REPS (default 3), BENCH_FILES / BENCH_EXECS / BENCH_CONNS
 * (workload iterations, default 200000 / 2000 / 20000).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCapture, type CaptureSummary } from '../../src/capture/capture.js';
import { capturePrerequisiteProblem } from '../../src/capture/helper.js';
import { DEFAULT_SYSCALLS } from '../../src/capture/syscalls.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const REPS = Number(process.env.BENCH_REPS ?? 3);
const FILES = process.env.BENCH_FILES ?? '200000';
const EXECS = process.env.BENCH_EXECS ?? '2000';
const CONNS = process.env.BENCH_CONNS ?? '20000';
const tmp = mkdtempSync(join(tmpdir(), 'tsfalco-bench-capture-'));
const WORKLOAD = join(tmp, 'workload');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Phases {
  files: number;
  execs: number;
  sockets: number;
  total: number;
}

interface Row {
  name: string;
  phases: Phases;
  events?: number;
  drops?: number;
  bytes?: number;
  note?: string;
  decodeRate?: number;
}

function parsePhases(path: string): Phases {
  const p: Record<string, number> = {};
  for (const line of readFileSync(path, 'utf8').trim().split('\n')) {
    const [name, secs] = line.split(' ');
    p[name] = Number(secs);
  }
  return { files: p.files, execs: p.execs, sockets: p.sockets, total: p.files + p.execs + p.sockets };
}

function workloadArgs(out: string): string[] {
  return [FILES, EXECS, CONNS, out];
}

async function runWorkload(): Promise<Phases> {
  const out = join(tmp, 'phases.txt');
  const r = spawnSync(WORKLOAD, workloadArgs(out), { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`workload failed (${r.status})`);
  return parsePhases(out);
}

function median(values: Phases[]): Phases {
  const m = (k: keyof Phases) => [...values.map((v) => v[k])].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { files: m('files'), execs: m('execs'), sockets: m('sockets'), total: m('total') };
}

/** Runs the workload under a tracer started by `start` (resolves once it is attached). */
async function underTool(start: () => Promise<() => Promise<Partial<Row>>>): Promise<{ phases: Phases; extra: Partial<Row> }> {
  const all: Phases[] = [];
  let extra: Partial<Row> = {};
  for (let i = 0; i < REPS; i++) {
    const stop = await start();
    all.push(await runWorkload());
    extra = await stop();
  }
  return { phases: median(all), extra };
}

function waitForExit(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', () => r())));
}

async function bpftraceNoop(): Promise<() => Promise<Partial<Row>>> {
  const program = 'tracepoint:raw_syscalls:sys_enter {} tracepoint:raw_syscalls:sys_exit {} tracepoint:sched:sched_process_fork {} tracepoint:sched:sched_process_exit {}';
  const child = spawn('bpftrace', ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => c.toString().includes('Attaching') && resolve());
    child.on('exit', () => reject(new Error('bpftrace exited')));
  });
  await sleep(1500); // "Attaching" is printed before the probes are attached
  return async () => {
    child.kill('SIGINT');
    await waitForExit(child);
    return {};
  };
}

async function tsfalco(events: string): Promise<{ phases: Phases; extra: Partial<Row> }> {
  const all: Phases[] = [];
  let last: CaptureSummary | undefined;
  const summaries: CaptureSummary[] = [];
  for (let i = 0; i < REPS; i++) {
    const out = join(tmp, `tsfalco-${i}.arrow`);
    const phasesFile = join(tmp, 'phases.txt');
    last = await runCapture({ output: out, force: true, events, command: [WORKLOAD, ...workloadArgs(phasesFile)], snapshotIntervalMs: 3_600_000 });
    summaries.push(last);
    all.push(parsePhases(phasesFile));
    rmSync(out, { force: true });
  }
  const s = last!;
  return {
    phases: median(all),
    extra: {
      events: s.events,
      drops: Number(s.drops),
      bytes: s.bytes,
      decodeRate: Math.min(...summaries.map((x) => x.decodeRecordsPerCpuSecond)),
    },
  };
}

async function perfRecord(): Promise<() => Promise<Partial<Row>>> {
  const out = join(tmp, 'perf.data');
  const child = spawn('perf', ['record', '-e', 'raw_syscalls:sys_enter', '-e', 'raw_syscalls:sys_exit', '-a', '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  await sleep(2000);
  return async () => {
    child.kill('SIGINT');
    await waitForExit(child);
    const samples = Number(/\((\d+) samples\)/.exec(stderr)?.[1] ?? NaN);
    const lost = /lost (\d+) chunks/.exec(stderr);
    const size = existsSync(out) ? statSync(out).size : NaN;
    return { events: samples, drops: lost ? Number(lost[1]) : 0, bytes: size, note: 'enter and exit are separate samples' + (lost ? ' (drops in chunks)' : '') };
  };
}

async function auditd(): Promise<(() => Promise<Partial<Row>>) | null> {
  if (spawnSync('sh', ['-c', 'command -v auditd && command -v auditctl'], { stdio: 'ignore' }).status !== 0) return null;
  const running = spawnSync('sh', ['-c', 'auditctl -s | grep -q "^pid [1-9]"']).status === 0;
  let daemon: number | undefined;
  if (!running) {
    if (spawnSync('auditd', [], { stdio: 'ignore' }).status !== 0) return null;
    await sleep(1000);
    daemon = Number(/^pid (\d+)/m.exec(spawnSync('auditctl', ['-s'], { encoding: 'utf8' }).stdout)?.[1]);
  }
  const log = '/var/log/audit/audit.log';
  const before = existsSync(log) ? statSync(log).size : 0;
  const lostBefore = Number(/^lost (\d+)/m.exec(spawnSync('auditctl', ['-s'], { encoding: 'utf8' }).stdout)?.[1] ?? 0);
  spawnSync('auditctl', ['-b', '8192'], { stdio: 'ignore' });
  const known = new Set(spawnSync('ausyscall', ['--dump'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(/\s+/)[1]));
  const names = DEFAULT_SYSCALLS.filter((n) => known.has(n));
  const r = spawnSync('auditctl', ['-a', 'always,exit', '-F', 'arch=b64', ...names.flatMap((n) => ['-S', n]), '-k', 'tsfalco-bench'], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`auditctl: ${r.stderr}`);
    return null;
  }
  spawnSync('auditctl', ['-e', '1'], { stdio: 'ignore' });
  await sleep(500);
  return async () => {
    spawnSync('auditctl', ['-D'], { stdio: 'ignore' });
    await sleep(1000);
    const text = existsSync(log) ? readFileSync(log).subarray(before).toString('utf8') : '';
    const events = (text.match(/^type=SYSCALL .*key="tsfalco-bench"/gm) ?? []).length;
    const lost = Number(/^lost (\d+)/m.exec(spawnSync('auditctl', ['-s'], { encoding: 'utf8' }).stdout)?.[1] ?? 0) - lostBefore;
    const bytes = existsSync(log) ? statSync(log).size - before : NaN;
    if (daemon) {
      process.kill(daemon, 'SIGTERM');
      await sleep(500);
      spawnSync('auditctl', ['-e', '0'], { stdio: 'ignore' });
    }
    return { events, drops: lost, bytes, note: 'text log (SYSCALL+PATH+CWD+PROCTITLE lines)' };
  };
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const problem = capturePrerequisiteProblem();
  if (problem) {
    process.stderr.write(`bench:capture: ${problem}\n`);
    process.exit(1);
  }
  // bpftrace and perf attach through tracefs; tsfalco's helper does not need it (tp_btf).
  if (!existsSync('/sys/kernel/tracing/events/raw_syscalls')) spawnSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' });
  const cc = spawnSync('cc', ['-O2', '-o', WORKLOAD, join(ROOT, 'test/bench/capture-workload.c')], { stdio: 'inherit' });
  if (cc.status !== 0) throw new Error('cannot compile the workload');
  process.stdout.write(`workload: ${FILES} file loops (open/fstat/read/close/stat), ${EXECS} fork+exec, ${CONNS} TCP connect+accept; median of ${REPS} runs\n`);

  const rows: Row[] = [];
  await runWorkload(); // warm caches
  const baseRuns: Phases[] = [];
  for (let i = 0; i < REPS; i++) baseRuns.push(await runWorkload());
  const base = median(baseRuns);
  rows.push({ name: 'no tracing', phases: base });
  if (spawnSync('sh', ['-c', 'command -v bpftrace'], { stdio: 'ignore' }).status === 0) {
    const r = await underTool(bpftraceNoop);
    rows.push({ name: 'no-op eBPF (bpftrace, same hooks)', phases: r.phases });
  }
  for (const events of ['default', 'all']) {
    const r = await tsfalco(events);
    rows.push({ name: `tsfalco capture --events ${events}`, phases: r.phases, ...r.extra });
  }
  if (spawnSync('sh', ['-c', 'command -v perf'], { stdio: 'ignore' }).status === 0) {
    const r = await underTool(perfRecord);
    rows.push({ name: 'perf record raw_syscalls', phases: r.phases, ...r.extra });
  }
  const audit = await auditd();
  if (audit) {
    // auditd's rules stay loaded for the repetitions: one start, REPS runs, one stop.
    const all: Phases[] = [];
    for (let i = 0; i < REPS; i++) all.push(await runWorkload());
    const extra = await audit();
    rows.push({ name: 'auditd (default set rules)', phases: median(all), ...extra, events: extra.events, note: `${extra.note}; events counted over ${REPS} runs` });
    const last = rows[rows.length - 1];
    if (last.events !== undefined) last.events = Math.round(last.events / REPS);
    if (last.bytes !== undefined) last.bytes = Math.round(last.bytes / REPS);
  } else {
    process.stdout.write('auditd: not available, skipped\n');
  }

  const noop = rows.find((r) => r.name.startsWith('no-op'));
  const noopSlow = noop ? noop.phases.total / base.total : NaN;
  process.stdout.write('\n');
  process.stdout.write(
    ['configuration'.padEnd(36), 'workload s', 'slowdown', 'files', 'exec', 'sockets', 'vs no-op', 'events', 'events/s', 'drops', 'bytes/event'].join(' | ') + '\n',
  );
  for (const r of rows) {
    const slow = r.phases.total / base.total;
    process.stdout.write(
      [
        r.name.padEnd(36),
        fmt(r.phases.total, 2).padStart(10),
        `${fmt(slow, 2)}x`.padStart(8),
        `${fmt(r.phases.files / base.files, 2)}x`,
        `${fmt(r.phases.execs / base.execs, 2)}x`,
        `${fmt(r.phases.sockets / base.sockets, 2)}x`,
        Number.isFinite(noopSlow) && r.name !== 'no tracing' ? `${fmt((slow - 1) / (noopSlow - 1), 2)}x` : '—',
        fmt(r.events),
        r.events ? fmt(r.events / r.phases.total) : '—',
        fmt(r.drops),
        r.events && r.bytes ? fmt(r.bytes / r.events, 1) : '—',
      ].join(' | ') + (r.note ? `   (${r.note})` : '') + '\n',
    );
  }
  process.stdout.write('\n"vs no-op": the configuration\'s added time over the no-op eBPF program\'s added time (goal: at most 1.5).\n');
  for (const r of rows.filter((x) => x.decodeRate)) {
    const rate = r.events! / r.phases.total;
    process.stdout.write(
      `${r.name}: Node decodes and writes ${fmt(r.decodeRate)} records per CPU second; the workload produced ${fmt(rate)}/s: ` +
        `${r.decodeRate! > rate ? 'Node keeps up' : 'Node is the bottleneck'}${r.drops ? `, ${fmt(r.drops)} drops` : ', no drops'}\n`,
    );
  }
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`bench:capture: ${(err as Error).stack}\n`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
});
