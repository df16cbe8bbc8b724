/**
 * npm run bench:capture — what recording costs the host.
 *
 * Runs a syscall-heavy workload (test/bench/capture-workload.c: open/fstat/read/close + stat
 * loop, fork/exec loop, TCP connect/accept loop) with no tracing, under a no-op eBPF program on
 * the same hooks (bpftrace), under tsfalco capture (default set and --events all), under
 * `perf record` of the raw syscall tracepoints and under auditd with rules for the default set.
 *
 * The configurations take turns: every repetition runs each of them once (in a rotating order),
 * so that a change in the machine's load (other work on a shared box) hits all of them alike;
 * the table shows medians, and the goal checks use ratios measured within the same repetition.
 *
 * "helper only" is the kernel side and the helper with its stream read and thrown away: the part
 * of tsfalco's cost that is not the Node side's.
 *
 * Printed for each: the workload's time and slowdown (whole and per phase), its own CPU time
 * (the in-kernel cost of the traced syscalls lands there), events recorded and per second,
 * drops, bytes per event; for tsfalco also the Node side's records per CPU second (all of the
 * Node process's CPU time while capturing) and the helper's CPU time. Then issue 4's goals.
 * Needs root, eBPF, the built helper.
 *
 * Options (environment): BENCH_REPS (default 5), BENCH_FILES / BENCH_EXECS / BENCH_CONNS
 * (workload iterations, default 200000 / 2000 / 20000), BENCH_BASELINE_TSFALCO (the bin/run.js
 * of another build of tsfalco, with its helper built: run as one more configuration, for
 * before/after comparisons measured in the same run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../../src/capture/capture.js';
import { capturePrerequisiteProblem, startHelper } from '../../src/capture/helper.js';
import { DEFAULT_SYSCALLS, selectSyscalls } from '../../src/capture/syscalls.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const REPS = Number(process.env.BENCH_REPS ?? 5);
const FILES = process.env.BENCH_FILES ?? '200000';
const EXECS = process.env.BENCH_EXECS ?? '2000';
const CONNS = process.env.BENCH_CONNS ?? '20000';
const tmp = mkdtempSync(join(tmpdir(), 'tsfalco-bench-capture-'));
const WORKLOAD = join(tmp, 'workload');
const PHASES = join(tmp, 'phases.txt');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Phases {
  files: number;
  execs: number;
  sockets: number;
  total: number;
  /** The workload process's own CPU time (s). */
  cpu: number;
}

/** One run of the workload under one configuration. */
interface Run {
  phases: Phases;
  events?: number;
  drops?: number;
  bytes?: number;
  /** tsfalco: records per CPU second of the Node process, and the CPU times (s). */
  nodeRate?: number;
  nodeCpu?: number;
  helperCpu?: number | null;
}

interface Config {
  name: string;
  /** Starts the tracer, runs the workload under it, stops it. */
  run(): Promise<Run>;
  note?: string;
  runs: Run[];
}

function parsePhases(path: string): Phases {
  const p: Record<string, number> = {};
  for (const line of readFileSync(path, 'utf8').trim().split('\n')) {
    const [name, secs] = line.split(' ');
    p[name] = Number(secs);
  }
  return { files: p.files, execs: p.execs, sockets: p.sockets, total: p.files + p.execs + p.sockets, cpu: p.cpu };
}

const workloadArgs = () => [FILES, EXECS, CONNS, PHASES];

function runWorkload(): Phases {
  const r = spawnSync(WORKLOAD, workloadArgs(), { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`workload failed (${r.status})`);
  return parsePhases(PHASES);
}

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function waitForExit(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', () => r())));
}

const noTracing: Config = { name: 'no tracing', runs: [], run: async () => ({ phases: runWorkload() }) };

const bpftraceNoop: Config = {
  name: 'no-op eBPF (bpftrace, same hooks)',
  runs: [],
  async run() {
    const program = 'tracepoint:raw_syscalls:sys_enter {} tracepoint:raw_syscalls:sys_exit {} tracepoint:sched:sched_process_fork {} tracepoint:sched:sched_process_exit {}';
    const child = spawn('bpftrace', ['-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      // "Attaching N probes..." (stdout or stderr, by version); once in a while it does not come
      // through at all although the probes are attached: then a still running bpftrace will do.
      const seen = (c: Buffer) => c.toString().includes('Attaching') && resolve();
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
      const timer = setTimeout(resolve, 20_000);
      child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error('bpftrace exited'));
      });
    });
    await sleep(1500); // "Attaching" is printed before the probes are attached
    const phases = runWorkload();
    child.kill('SIGINT');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000); // it once ignored SIGINT here
    await waitForExit(child);
    clearTimeout(kill);
    return { phases };
  },
};

/** The kernel side and the helper alone: its stream is read and thrown away (no decoding, no trace). */
const helperOnly: Config = {
  name: 'tsfalco helper only (default, discarded)',
  runs: [],
  async run() {
    const child = startHelper({ syscalls: selectSyscalls('default').helperArg, ringbufBytes: 8 << 20, follow: [], exclude: [process.pid], cgroupIds: [], env: false, snaplen: 0 });
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        bytes += c.length;
        resolve(); // the hello record comes once the programs are attached
      });
      child.on('exit', () => reject(new Error('the helper exited')));
    });
    const start = bytes;
    const phases = runWorkload();
    child.kill('SIGTERM');
    await waitForExit(child);
    return { phases, bytes: bytes - start };
  },
};

function tsfalco(events: string): Config {
  return {
    name: `tsfalco capture --events ${events}`,
    runs: [],
    async run() {
      const out = join(tmp, 'tsfalco.arrow');
      const s = await runCapture({ output: out, force: true, events, command: [WORKLOAD, ...workloadArgs()], snapshotIntervalMs: 3_600_000 });
      rmSync(out, { force: true });
      return {
        phases: parsePhases(PHASES),
        events: s.events,
        drops: Number(s.drops),
        bytes: s.bytes,
        nodeRate: s.decodeRecordsPerCpuSecond,
        nodeCpu: s.nodeCpuMs / 1000,
        helperCpu: s.helperCpuMs === null ? null : s.helperCpuMs / 1000,
      };
    },
  };
}

/** Another build of tsfalco (BENCH_BASELINE_TSFALCO), through its command line. */
function otherTsfalco(runJs: string, events: string): Config {
  return {
    name: `baseline build --events ${events}`,
    note: runJs,
    runs: [],
    async run() {
      const out = join(tmp, 'baseline.arrow');
      const child = spawn(process.execPath, [runJs, 'capture', '-o', out, '--force', '--events', events, '--', WORKLOAD, ...workloadArgs()], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (c) => (stderr += c));
      await waitForExit(child);
      const events_ = Number(/: ([\d,]+) events in/.exec(stderr)?.[1].replace(/,/g, '') ?? NaN);
      const drops = Number(/kernel side: [\d,]+ events, ([\d,]+) dropped/.exec(stderr)?.[1].replace(/,/g, '') ?? NaN);
      const bytes = existsSync(out) ? statSync(out).size : NaN;
      rmSync(out, { force: true });
      return { phases: parsePhases(PHASES), events: events_, drops, bytes };
    },
  };
}

const perfRecord: Config = {
  name: 'perf record raw_syscalls',
  note: 'enter and exit are separate samples; drops counted in chunks',
  runs: [],
  async run() {
    const out = join(tmp, 'perf.data');
    const child = spawn('perf', ['record', '-e', 'raw_syscalls:sys_enter', '-e', 'raw_syscalls:sys_exit', '-a', '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    await sleep(2000);
    const phases = runWorkload();
    child.kill('SIGINT');
    await waitForExit(child);
    const samples = Number(/\((\d+) samples\)/.exec(stderr)?.[1] ?? NaN);
    const lost = /lost (\d+) chunks/.exec(stderr);
    const size = existsSync(out) ? statSync(out).size : NaN;
    rmSync(out, { force: true });
    return { phases, events: samples, drops: lost ? Number(lost[1]) : 0, bytes: size };
  },
};

function auditd(): Config | null {
  if (spawnSync('sh', ['-c', 'command -v auditd && command -v auditctl'], { stdio: 'ignore' }).status !== 0) return null;
  const known = new Set(spawnSync('ausyscall', ['--dump'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(/\s+/)[1]));
  const names = DEFAULT_SYSCALLS.filter((n) => known.has(n));
  const log = '/var/log/audit/audit.log';
  const lostNow = () => Number(/^lost (\d+)/m.exec(spawnSync('auditctl', ['-s'], { encoding: 'utf8' }).stdout)?.[1] ?? 0);
  return {
    name: 'auditd (default set rules)',
    note: 'text log (SYSCALL+PATH+CWD+PROCTITLE lines)',
    runs: [],
    async run() {
      const running = spawnSync('sh', ['-c', 'auditctl -s | grep -q "^pid [1-9]"']).status === 0;
      let daemon: number | undefined;
      if (!running) {
        if (spawnSync('auditd', [], { stdio: 'ignore' }).status !== 0) throw new Error('auditd does not start');
        await sleep(1000);
        daemon = Number(/^pid (\d+)/m.exec(spawnSync('auditctl', ['-s'], { encoding: 'utf8' }).stdout)?.[1]);
      }
      const before = existsSync(log) ? statSync(log).size : 0;
      const lostBefore = lostNow();
      spawnSync('auditctl', ['-b', '8192'], { stdio: 'ignore' });
      const r = spawnSync('auditctl', ['-a', 'always,exit', '-F', 'arch=b64', ...names.flatMap((n) => ['-S', n]), '-k', 'tsfalco-bench'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`auditctl: ${r.stderr}`);
      spawnSync('auditctl', ['-e', '1'], { stdio: 'ignore' });
      await sleep(500);
      const phases = runWorkload();
      spawnSync('auditctl', ['-D'], { stdio: 'ignore' });
      await sleep(1000);
      const text = existsSync(log) ? readFileSync(log).subarray(before).toString('utf8') : '';
      const events = (text.match(/^type=SYSCALL .*key="tsfalco-bench"/gm) ?? []).length;
      const bytes = existsSync(log) ? statSync(log).size - before : NaN;
      const drops = lostNow() - lostBefore;
      if (daemon) {
        process.kill(daemon, 'SIGTERM');
        await sleep(500);
        spawnSync('auditctl', ['-e', '0'], { stdio: 'ignore' });
      }
      return { phases, events, drops, bytes };
    },
  };
}

function fmt(n: number | undefined | null, digits = 0): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

const ok = (good: boolean) => (good ? 'met' : 'NOT met');

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
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

  const configs: Config[] = [noTracing];
  if (has('bpftrace')) configs.push(bpftraceNoop);
  else process.stdout.write('bpftrace: not installed, no no-op eBPF baseline\n');
  configs.push(helperOnly, tsfalco('default'), tsfalco('all'));
  const baseline = process.env.BENCH_BASELINE_TSFALCO;
  if (baseline) configs.push(otherTsfalco(baseline, 'default'), otherTsfalco(baseline, 'all'));
  if (has('perf')) configs.push(perfRecord);
  else process.stdout.write('perf: not installed, skipped\n');
  const audit = auditd();
  if (audit) configs.push(audit);
  else process.stdout.write('auditd: not installed, skipped\n');

  process.stdout.write(
    `workload: ${FILES} file loops (open/fstat/read/close/stat), ${EXECS} fork+exec, ${CONNS} TCP connect+accept; ${REPS} repetitions, configurations in turn (rotating order); medians\n`,
  );
  runWorkload(); // warm caches
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < configs.length; k++) {
      const c = configs[(k + rep) % configs.length];
      c.runs.push(await c.run());
    }
    process.stdout.write(`repetition ${rep + 1}/${REPS} done\n`);
  }

  const base = noTracing;
  const med = (c: Config, f: (r: Run) => number | undefined | null) => median(c.runs.map((r) => f(r) ?? NaN));
  /** The configuration's slowdown in each repetition, against that repetition's untraced run. */
  const slowdowns = (c: Config) => c.runs.map((r, i) => r.phases.total / base.runs[i].phases.total);
  const baseTotal = med(base, (r) => r.phases.total);
  const baseCpu = med(base, (r) => r.phases.cpu);

  process.stdout.write('\n');
  const header = ['configuration'.padEnd(36), 'workload s', 'slowdown', 'files', 'exec', 'sockets', 'wl CPU', 'events', 'events/s', 'drops', 'bytes/event', 'Node rec/CPU-s', 'Node CPU s', 'helper CPU s'];
  process.stdout.write(header.join(' | ') + '\n');
  for (const c of configs) {
    const phase = (k: keyof Phases) => `${fmt(median(c.runs.map((r, i) => r.phases[k] / base.runs[i].phases[k])), 2)}x`;
    const events = med(c, (r) => r.events);
    const total = med(c, (r) => r.phases.total);
    process.stdout.write(
      [
        c.name.padEnd(36),
        fmt(total, 2).padStart(10),
        `${fmt(median(slowdowns(c)), 2)}x`.padStart(8),
        phase('files'),
        phase('execs'),
        phase('sockets'),
        `${fmt(med(c, (r) => r.phases.cpu) / baseCpu, 2)}x`,
        fmt(events),
        fmt(med(c, (r) => (r.events === undefined ? NaN : r.events / r.phases.total))),
        fmt(med(c, (r) => r.drops)),
        fmt(med(c, (r) => (r.events && r.bytes ? r.bytes / r.events : NaN)), 1),
        fmt(med(c, (r) => r.nodeRate)),
        fmt(med(c, (r) => r.nodeCpu), 2),
        fmt(med(c, (r) => r.helperCpu), 2),
      ].join(' | ') + (c.note ? `   (${c.note})` : '') + '\n',
    );
  }
  process.stdout.write(
    `\nslowdown: workload time over the untraced run of the same repetition (median); "wl CPU": the workload's own CPU time over the untraced run's (${fmt(baseCpu, 2)} s; in-kernel tracing cost, not CPU contention); untraced workload ${fmt(baseTotal, 2)} s.\n` +
      'Node rec/CPU-s: helper records per second of CPU time of the whole Node process while capturing (decoding, writing, compressing, snapshots).\n',
  );

  // Goals (issue 4), as ratios within each repetition.
  const def = configs.find((c) => c.name === 'tsfalco capture --events default')!;
  const all = configs.find((c) => c.name === 'tsfalco capture --events all')!;
  const paired = (a: Config, b: Config) => median(a.runs.map((r, i) => r.phases.total / b.runs[i].phases.total));
  process.stdout.write('\ngoals:\n');
  if (configs.includes(bpftraceNoop)) {
    const ratio = paired(def, bpftraceNoop);
    const added = median(def.runs.map((r, i) => (r.phases.total - base.runs[i].phases.total) / (bpftraceNoop.runs[i].phases.total - base.runs[i].phases.total)));
    process.stdout.write(
      `  slowdown at most 1.5x the no-op eBPF program's: tsfalco default ${fmt(median(slowdowns(def)), 2)}x, no-op ${fmt(median(slowdowns(bpftraceNoop)), 2)}x; ` +
        `tsfalco/no-op workload time ${fmt(ratio, 2)} → ${ok(ratio <= 1.5)} (added time over the no-op's added time: ${fmt(added, 1)}x)\n`,
    );
    // The fork/exec loop's time varies most on a shared machine (by up to 2x between two untraced
    // runs): the same ratio without it, and per phase.
    const part = (c: Config, i: number) => c.runs[i].phases.files + c.runs[i].phases.sockets;
    const noExec = median(def.runs.map((_, i) => part(def, i) / part(bpftraceNoop, i)));
    const perPhase = (['files', 'execs', 'sockets'] as const)
      .filter((k) => base.runs[0].phases[k] > 0)
      .map((k) => `${k} ${fmt(median(def.runs.map((r, i) => r.phases[k] / bpftraceNoop.runs[i].phases[k])), 2)}`)
      .join(', ');
    process.stdout.write(`    the same without the fork/exec loop: ${fmt(noExec, 2)} → ${ok(noExec <= 1.5)}; per phase: ${perPhase}\n`);
  } else process.stdout.write('  slowdown vs a no-op eBPF program: not measured (no bpftrace)\n');
  for (const other of [perfRecord, audit]) {
    if (!other || !configs.includes(other)) {
      process.stdout.write(`  below ${other === perfRecord ? 'perf' : 'auditd'}'s slowdown: not measured (not installed)\n`);
      continue;
    }
    const ratio = paired(def, other);
    process.stdout.write(`  below ${other.name}'s slowdown (${fmt(median(slowdowns(other)), 2)}x): tsfalco default/it ${fmt(ratio, 2)} → ${ok(ratio < 1)}\n`);
  }
  // The file loop is 5 syscalls (openat, fstat, read, close, newfstatat), all recorded by --events all.
  const loopRates = all.runs.map((r) => (5 * Number(FILES)) / r.phases.files);
  const allRates = all.runs.map((r) => r.events! / r.phases.total);
  const allDrops = all.runs.reduce((s, r) => s + (r.drops ?? 0), 0);
  const reached = loopRates.filter((x) => x >= 300_000).length;
  process.stdout.write(
    `  no drops at 300,000 recorded events/s: --events all recorded ${fmt(Math.min(...loopRates))}–${fmt(Math.max(...loopRates))} events/s during the file loop ` +
      `(${fmt(Math.min(...allRates))}–${fmt(Math.max(...allRates))}/s over the whole workload), ${fmt(allDrops)} drops in ${all.runs.length} runs → ` +
      `${reached === 0 ? 'NOT tested: 300,000/s not reached' : `${ok(allDrops === 0)} (${reached} of ${all.runs.length} runs at 300,000/s or more)`}\n`,
  );
  const bpe = med(def, (r) => r.bytes! / r.events!);
  process.stdout.write(`  at most 24 bytes/event for the default set: ${fmt(bpe, 1)} → ${ok(bpe <= 24)}\n`);
  const peak = Math.max(...loopRates);
  const nodeRate = Math.min(med(def, (r) => r.nodeRate), med(all, (r) => r.nodeRate));
  process.stdout.write(`  Node side: ${fmt(nodeRate)} records per CPU second (the lower of the two sets' medians) vs a peak of ${fmt(peak)} events/s recorded → ${nodeRate > peak ? 'Node keeps up' : 'Node is the bottleneck'}\n`);
  const baseDef = configs.find((c) => c.name === 'baseline build --events default');
  const baseAll = configs.find((c) => c.name === 'baseline build --events all');
  if (baseDef && baseAll) {
    const vsNoop = configs.includes(bpftraceNoop) ? fmt(paired(baseDef, bpftraceNoop), 2) : '—';
    process.stdout.write(
      `  baseline build, same checks: --events default/no-op workload time ${vsNoop}, this build/baseline ${fmt(paired(def, baseDef), 2)}; ` +
        `--events all: ${fmt(baseAll.runs.reduce((s, r) => s + (r.drops ?? 0), 0))} drops in ${baseAll.runs.length} runs at ` +
        `${fmt(median(baseAll.runs.map((r) => (5 * Number(FILES)) / r.phases.files)))} events/s in the file loop (median); ` +
        `default set ${fmt(med(baseDef, (r) => r.bytes! / r.events!), 1)} bytes/event\n`,
    );
  }
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`bench:capture: ${(err as Error).stack}\n`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
});
