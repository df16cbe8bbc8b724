import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../helpers/rng.js';
import { type Failure, type FailureKind, judgeRun, type Limits } from './judge.js';
import type { FuzzCase, FuzzTarget, RunOutcome } from './types.js';
import type { WorkerJob, WorkerResult } from './worker.js';

/**
 * Runs fuzz targets: makes each case from its own seed (so any one case can be made again
 * alone), runs its command lines in a pool of worker processes (worker.ts) under a time and a
 * memory limit, judges the outcomes (judge.ts), and saves every failing input with how to run
 * it again, confirmed in a fresh `tsfalco` process.
 */

const UP2 = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The repository, whether this runs from test/fuzz (vitest) or from dist/test/fuzz (npm run fuzz). */
export const ROOT = basename(UP2) === 'dist' ? dirname(UP2) : UP2;
const WORKER = join(ROOT, 'dist/test/fuzz/worker.js');

export interface FuzzOptions {
  targets: FuzzTarget[];
  perTarget: number;
  seed: number;
  /** First case index (to run one case again: `from: i, perTarget: 1`). */
  from?: number;
  workers: number;
  limits: Limits;
  /** Where failing inputs are saved (one folder per finding). */
  findingsDir?: string;
  log?: (line: string) => void;
}

export interface TargetReport {
  name: string;
  description: string;
  cases: number;
  runs: number;
  failures: Partial<Record<FailureKind, number>>;
  exits: Record<string, number>;
  maxRssMiB: number;
  maxMs: number;
  seconds: number;
  /** Hangs and deaths that a fresh worker did not reproduce. */
  unconfirmed: number;
}

export interface Finding {
  target: string;
  index: number;
  note: string;
  failure: Failure;
  argv: string[];
  saved?: string;
  /** The same command line in a fresh tsfalco process: its exit status and first error line. */
  fresh?: string;
}

export interface FuzzReport {
  seed: number;
  targets: TargetReport[];
  findings: Finding[];
  seconds: number;
}

/** The seed of case `index` of a target: a function of the run's seed, the target and the index only. */
export function caseSeed(seed: number, target: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${target}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

type Outcome = WorkerResult | { hang: true } | { died: string };

/** One worker process and the directory its cases live in. */
class Worker {
  private proc: ChildProcess | null = null;
  private tail = '';
  private jobs = 0;
  private pending: ((o: Outcome) => void) | null = null;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private async start(): Promise<ChildProcess> {
    const proc = fork(WORKER, [], {
      cwd: this.dir,
      execArgv: ['--max-old-space-size=1024', '--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, TSFALCO_DEBUG: '', FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-4000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    // A send to a worker that just died fails with EPIPE; its 'exit' reports the death.
    proc.on('error', () => {});
    proc.on('exit', (code, signal) => {
      this.proc = null;
      const done = this.pending;
      this.pending = null;
      done?.({ died: `exit ${code ?? signal}: ${this.tail}` });
    });
    await new Promise<void>((ok, fail) => {
      proc.once('message', () => ok());
      proc.once('exit', () => fail(new Error(`the fuzz worker did not start: ${this.tail}`)));
    });
    proc.on('message', (m: WorkerResult) => {
      const done = this.pending;
      this.pending = null;
      done?.(m);
    });
    this.jobs = 0;
    return proc;
  }

  async run(job: WorkerJob, timeoutMs: number): Promise<Outcome> {
    this.proc ??= await this.start();
    const proc = this.proc;
    this.tail = '';
    this.jobs++;
    const outcome = await new Promise<Outcome>((done) => {
      const timer = setTimeout(() => {
        this.pending = null;
        proc.kill('SIGKILL');
        done({ hang: true });
      }, timeoutMs);
      this.pending = (o) => {
        clearTimeout(timer);
        done(o);
      };
      proc.send(job);
    });
    // A worker that grew keeps its garbage: start a fresh one.
    if ('peakRss' in outcome && (outcome.peakRss > 400 * 2 ** 20 || this.jobs >= 2000)) this.stop();
    return outcome;
  }

  /** Empties the case directory (the worker's cwd stays). */
  clean(): void {
    for (const name of readdirSync(this.dir)) rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  stop(): void {
    const proc = this.proc;
    this.proc = null;
    if (proc) {
      proc.removeAllListeners('exit');
      proc.kill('SIGKILL');
    }
  }
}

function substitute(argv: string[], dir: string): string[] {
  return argv.map((a) => (a === '@dir' ? dir : a.startsWith('@') ? join(dir, a.slice(1)) : a));
}

function writeCase(c: FuzzCase, dir: string): void {
  for (const [name, data] of Object.entries(c.files)) writeFileSync(join(dir, name), data);
}

function freshRun(argv: string[], cwd: string, timeoutMs: number): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...argv], { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
  const line = (r.stderr ?? '').split('\n').find((l) => l.trim()) ?? '';
  return `${r.error ? `error ${(r.error as NodeJS.ErrnoException).code}` : r.signal ? `signal ${r.signal}` : `exit ${r.status}`}: ${line.slice(0, 300)}`;
}

/** Runs every command line of a case in `worker`, judging each; stops at the first failure. */
async function runCase(worker: Worker, c: FuzzCase, target: FuzzTarget, report: TargetReport | null, limits = currentLimits!): Promise<{ failure: Failure | null; failedArgv: string[] }> {
  worker.clean();
  writeCase(c, worker.dir);
  const outcomes: RunOutcome[] = [];
  for (const argv of c.runs) {
    const o = await worker.run({ id: jobId++, argv: substitute(argv, worker.dir) }, limits.timeoutMs);
    const r: RunOutcome =
      'hang' in o
        ? { argv, exitCode: -1, stdout: '', stderr: '', hang: true, peakRss: 0, ms: limits.timeoutMs }
        : 'died' in o
          ? { argv, exitCode: -1, stdout: '', stderr: '', died: o.died, peakRss: 0, ms: 0 }
          : { argv, exitCode: o.exitCode, stdout: o.stdout, stderr: o.stderr, crash: o.crash, peakRss: o.peakRss, ms: o.ms };
    outcomes.push(r);
    if (report) {
      report.runs++;
      report.exits[String(r.exitCode)] = (report.exits[String(r.exitCode)] ?? 0) + 1;
      report.maxRssMiB = Math.max(report.maxRssMiB, Math.round(r.peakRss / 2 ** 20));
      report.maxMs = Math.max(report.maxMs, Math.round(r.ms));
    }
    const failure = judgeRun(r, c, limits);
    if (failure) return { failure, failedArgv: argv };
  }
  const problem = target.agree?.(outcomes, c);
  return { failure: problem ? { kind: 'disagree', detail: problem } : null, failedArgv: c.runs[0] };
}

let jobId = 0;
let currentLimits: Limits | undefined;

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  currentLimits = options.limits;
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), 'tsfalco-fuzz-'));
  const workers = Array.from({ length: options.workers }, (_, i) => new Worker(join(scratch, `w${i}`)));
  const findings: Finding[] = [];
  const reports: TargetReport[] = [];
  try {
    for (const target of options.targets) {
      const seedDir = join(scratch, `seeds-${target.name}`);
      mkdirSync(seedDir);
      const seeds = await target.prepare({
        root: ROOT,
        scratch: seedDir,
        tsfalco: (args) => {
          const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
          return { status: r.status, stdout: r.stdout, stderr: r.stderr };
        },
      });
      const report: TargetReport = { name: target.name, description: target.description, cases: 0, runs: 0, failures: {}, exits: {}, maxRssMiB: 0, maxMs: 0, seconds: 0, unconfirmed: 0 };
      const started = performance.now();
      let lastLog = started;
      const from = options.from ?? 0;
      let next = from;
      const end = from + options.perTarget;
      const one = async (worker: Worker): Promise<void> => {
        while (next < end) {
          const index = next++;
          const c = target.generate(rng(caseSeed(options.seed, target.name, index)), seeds);
          let { failure, failedArgv } = await runCase(worker, c, target, report);
          // A hang or a death can be another case's doing (the heap a previous case left behind,
          // the other worker starving this one): try once more in a fresh worker.
          if (failure && (failure.kind === 'hang' || failure.kind === 'memory' || (failure.kind === 'crash' && failure.detail.startsWith('the process died')))) {
            worker.stop();
            const again = await runCase(worker, c, target, null);
            if (!again.failure) {
              report.unconfirmed++;
              log(`  ${target.name} #${index}: ${failure.kind} not reproduced in a fresh worker (${c.note})`);
              failure = null;
            } else ({ failure, failedArgv } = again);
          }
          report.cases++;
          if (failure) {
            report.failures[failure.kind] = (report.failures[failure.kind] ?? 0) + 1;
            const finding: Finding = { target: target.name, index, note: c.note, failure, argv: failedArgv };
            if (options.findingsDir) {
              const saved = join(options.findingsDir, `${target.name}-${options.seed}-${index}`);
              mkdirSync(saved, { recursive: true });
              for (const name of Object.keys(c.files)) cpSync(join(worker.dir, name), join(saved, name));
              finding.fresh = freshRun(substitute(failedArgv, saved), saved, options.limits.timeoutMs + 5000);
              writeFileSync(join(saved, 'case.json'), JSON.stringify({ ...finding, runs: c.runs, rerun: `npm run fuzz -- --target ${target.name} --seed ${options.seed} --from ${index} --per-target 1` }, null, 2));
              finding.saved = saved;
            }
            findings.push(finding);
            log(`  ${target.name} #${index} ${failure.kind}: ${c.note}: ${failure.detail.split('\n')[0].slice(0, 200)}`);
          }
          const now = performance.now();
          if (now - lastLog > 5000) {
            lastLog = now;
            log(`  ${target.name}: ${report.cases}/${options.perTarget} cases, ${(report.cases / ((now - started) / 1000)).toFixed(0)}/s, ${findings.filter((f) => f.target === target.name).length} failure(s)`);
          }
        }
      };
      await Promise.all(workers.map(one));
      report.seconds = (performance.now() - started) / 1000;
      reports.push(report);
      log(`${target.name}: ${report.cases} cases, ${report.runs} runs in ${report.seconds.toFixed(1)} s, failures ${JSON.stringify(report.failures)}, max RSS ${report.maxRssMiB} MiB, slowest ${report.maxMs} ms`);
    }
  } finally {
    for (const w of workers) w.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  return { seed: options.seed, targets: reports, findings, seconds: (performance.now() - t0) / 1000 };
}
