/**
 * npm run bench:replay — replay throughput with Falco's three upstream rule files, on a large
 * real trace.
 *
 * 1. The trace: captured from a real workload with `tsfalco capture --events all`, at least
 *    BENCH_MIN_EVENTS events (default 10 million) and no drops; kept at BENCH_TRACE (default
 *    /tmp/tsfalco-bench-replay.arrow) and reused by later runs (never committed). The workload,
 *    repeated until the trace is large enough: build tsfalco's own capture helper from source
 *    (clang -target bpf, bpftool gen skeleton, cc), walk /usr/lib and /usr/share/doc with find,
 *    tar and gzip /usr/include, and some shell (ls, grep). Needs root, eBPF and the built helper
 *    (npm run build:helper) the first time.
 * 2. Replays: the real CLI (`tsfalco replay TRACE -r falco_rules.yaml -r
 *    falco-incubating_rules.yaml -r falco-sandbox_rules.yaml`, every rule those files enable, as
 *    Falco loads them), in a child process under /usr/bin/time: events/s of the replay (its
 *    summary line: rules loaded, replay only) and end to end, peak RSS, alerts. On one worker,
 *    then with `--workers 2` on two traces (the same trace given twice: --workers parallelizes
 *    whole traces; one trace is not split into segments), whose output must be the one-worker
 *    output twice over.
 * 3. sysdig: when `tsfalco convert` and sysdig are there, the trace is converted to .scap (kept
 *    next to the trace) and `sysdig -r` runs over it with the rules' conditions as its filter
 *    (an `or` of every enabled rule's condition, macros and lists substituted, printed back by
 *    conditionText; conditions this sysdig cannot parse, for fields it does not know, are left
 *    out and counted), in the same run; prints both times and the ratio. Otherwise says why the
 *    comparison is skipped.
 *
 * 4. Another build (BENCH_BASELINE_TSFALCO: the bin/run.js of a build of another commit): the
 *    one-worker replay run alternately with this build's, BENCH_BASELINE_RUNS times each
 *    (default 3); the best rate of each, their ratio (this build / the baseline), and whether
 *    the two printed the same alerts.
 *
 * Environment: BENCH_TRACE, BENCH_MIN_EVENTS, BENCH_RECAPTURE=1 (capture again),
 * BENCH_ITERATIONS (workload iterations for the first capture attempt), BENCH_SYSDIG=0 (skip sysdig),
 * BENCH_BASELINE_TSFALCO, BENCH_BASELINE_RUNS.
 * The machine is shared: compare numbers of one run, and run it twice when in doubt.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capturePrerequisiteProblem } from '../../src/capture/helper.js';
import { loaderFor, loadRuleFiles } from '../../src/cli/rules-env.js';
import { loadFalcoConfig } from '../../src/config/index.js';
import { syscallProvider } from '../../src/engine/extract/fields.js';
import { conditionText } from '../../src/rules/condition/index.js';
import { summarizeTrace, type TraceSummary } from '../../src/trace/summary.js';
import { upstreamPath } from '../helpers/upstream-paths.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = join(ROOT, 'bin/run.js');
const TRACE = process.env.BENCH_TRACE ?? '/tmp/tsfalco-bench-replay.arrow';
const MIN_EVENTS = Number(process.env.BENCH_MIN_EVENTS ?? 10_000_000);
const RULES_DIR = process.env.BENCH_RULES_DIR ?? upstreamPath('falco-rules');
const RULES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => join(RULES_DIR, f));
const TIME = '/usr/bin/time';
const tmp = mkdtempSync(join(tmpdir(), 'tsfalco-bench-replay-'));

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const say = (line = '') => console.log(line);

function fail(message: string): never {
  console.error(`bench:replay: ${message}`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}

// --- 1. the trace -----------------------------------------------------------------------------

const WORKLOAD = `#!/bin/sh
# One iteration per loop: a real build, a file-tree walk, an archive, some shell, two suspicious reads.
set -e
work=$1
n=$2
i=0
while [ $i -lt $n ]; do
  d=$(mktemp -d "$work/out.XXXXXX")
  [ -f "$work/vmlinux.h" ] && cp "$work/vmlinux.h" "$d/"
  make -s -C "$work/src" OUT="$d" all >/dev/null
  rm -rf "$d"
  find /usr/lib /usr/share/doc -xdev -type f -newer /etc/hostname > /dev/null 2>&1 || true
  tar -cf - /usr/include 2>/dev/null | gzip -1 > /dev/null
  for j in 1 2 3 4 5 6 7 8 9 10; do ls -l /etc > /dev/null; grep -c root /etc/passwd > /dev/null || true; done
  # what some upstream rules look for, so that the replays raise alerts too
  cat /etc/shadow > /dev/null 2>&1 || true
  find /root -maxdepth 2 -name id_rsa > /dev/null 2>&1 || true
  i=$((i + 1))
done
`;

function usable(s: TraceSummary | null): boolean {
  return !!s && s.events >= MIN_EVENTS && (s.droppedEvents ?? 0n) === 0n && s.ending.complete;
}

function summary(path: string): TraceSummary | null {
  try {
    return existsSync(path) ? summarizeTrace(path) : null;
  } catch {
    return null;
  }
}

function captureTrace(): TraceSummary {
  const problem = capturePrerequisiteProblem();
  if (problem) fail(`no usable trace at ${TRACE} and cannot capture one: ${problem}`);
  const helper = join(ROOT, 'dist/helper/tsfalco-capture-helper');
  if (!existsSync(helper)) fail(`no usable trace at ${TRACE} and the capture helper is not built: run npm run build:helper`);
  const work = join(tmp, 'workload');
  cpSync(join(ROOT, 'src/capture/helper'), join(work, 'src'), { recursive: true });
  if (existsSync(join(ROOT, 'dist/helper/vmlinux.h'))) copyFileSync(join(ROOT, 'dist/helper/vmlinux.h'), join(work, 'vmlinux.h'));
  const script = join(work, 'workload.sh');
  writeFileSync(script, WORKLOAD, { mode: 0o755 });
  const out = `${TRACE}.capturing`;
  let iterations = Number(process.env.BENCH_ITERATIONS ?? Math.ceil(MIN_EVENTS / 350_000));
  for (let attempt = 1; attempt <= 3; attempt++) {
    say(`capturing: ${iterations} workload iterations (build the capture helper, find, tar | gzip, shell) under tsfalco capture --events all…`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, 'capture', '--events', 'all', '--only-command', '--buffer-size', '128M', '--snapshot-interval', '5s', '-f', '-q', '-o', out, '--', 'sh', script, work, String(iterations)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) fail(`tsfalco capture failed (exit ${r.status})`);
    const s = summary(out);
    if (!s) fail(`the capture left no readable trace at ${out}`);
    say(`  ${count(s.events)} events, ${count(Number(s.droppedEvents ?? 0n))} dropped, in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    if ((s.droppedEvents ?? 0n) > 0n) {
      say('  events were dropped: capturing again');
      continue;
    }
    if (s.events < MIN_EVENTS) {
      iterations = Math.ceil((iterations * MIN_EVENTS * 1.05) / Math.max(1, s.events));
      continue;
    }
    renameSync(out, TRACE);
    return summarizeTrace(TRACE);
  }
  return fail(`could not capture ${count(MIN_EVENTS)} events without drops in 3 attempts`);
}

const found = process.env.BENCH_RECAPTURE ? null : summary(TRACE);
if (found && !usable(found)) say(`${TRACE}: ${count(found.events)} events, ${count(Number(found.droppedEvents ?? 0n))} dropped: not usable (want ${count(MIN_EVENTS)}, no drops)`);
const trace: TraceSummary = found && usable(found) ? found : captureTrace();
const events = trace.events;
const top = trace.eventsByType.slice(0, 6).map((t) => `${t.type} ${((t.count / events) * 100).toFixed(0)}%`).join(', ');
say(`trace: ${TRACE} (BENCH_TRACE), real capture (${trace.metadata.source}), ${count(events)} events, ${count(Number(trace.droppedEvents ?? 0n))} dropped, ${trace.snapshots} snapshots`);
say(`  ${(trace.fileSize / 2 ** 20).toFixed(0)} MiB on disk: ${(trace.fileSize / events).toFixed(1)} bytes/event; ${top}`);

// --- 2. tsfalco replay ------------------------------------------------------------------------

interface Run {
  /** Replay only (rules loaded), from the summary line. */
  events: number;
  replaySeconds: number;
  /** The whole command, from start to exit. */
  wallSeconds: number;
  peakKiB: number | null;
  /** CPU seconds of the whole command (all its threads), when /usr/bin/time is there. */
  cpuSeconds: number | null;
  alerts: number;
  outputHash: string;
}

const hasTime = existsSync(TIME);

function timed(cmd: string, args: string[], stdoutFile: string): { status: number | null; stderr: string; wall: number; peakKiB: number | null; cpu: number | null } {
  const fd = openSync(stdoutFile, 'w');
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync(TIME, ['-f', 'BENCH_TIME %M %e %U %S', cmd, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  closeSync(fd);
  const m = /BENCH_TIME (\d+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { status: r.status, stderr: r.stderr ?? '', wall: m ? Number(m[2]) : wall, peakKiB: m ? Number(m[1]) : null, cpu: m ? Number(m[3]) + Number(m[4]) : null };
}

function replay(traces: string[], workers: number, bin = BIN, label = ''): Run {
  const out = join(tmp, `replay-${workers}${label}.out`);
  const args = [bin, 'replay', ...traces, ...RULES.flatMap((f) => ['-r', f]), '--workers', String(workers)];
  const r = timed(process.execPath, args, out);
  if (r.status !== 0) fail(`tsfalco replay failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /Events: ([\d,]+) in ([\d.]+)s \(([\d,]+) events\/s\), alerts: ([\d,]+)/.exec(r.stderr);
  if (!m) fail(`no summary line in tsfalco replay's stderr: ${r.stderr.slice(-2000)}`);
  const num = (s: string) => Number(s.replace(/,/g, ''));
  return {
    events: num(m[1]),
    replaySeconds: Number(m[2]),
    wallSeconds: r.wall,
    peakKiB: r.peakKiB,
    cpuSeconds: r.cpu,
    alerts: num(m[4]),
    outputHash: createHash('sha256').update(readFileSync(out)).digest('hex'),
  };
}

function report(label: string, run: Run): void {
  const peak = run.peakKiB === null ? 'peak RSS unknown (no /usr/bin/time)' : `peak RSS ${mib(run.peakKiB)} (${((run.peakKiB * 1024) / run.events).toFixed(1)} bytes/event)`;
  say(`${label}: ${count(run.events / run.replaySeconds)} events/s (${count(run.events)} events in ${run.replaySeconds.toFixed(2)} s, rules loaded)`);
  say(`  end to end ${run.wallSeconds.toFixed(2)} s (${count(run.events / run.wallSeconds)} events/s with start-up and rule loading), ${peak}, ${count(run.alerts)} alerts`);
}

say(`rules: ${RULES.map((f) => f.slice(RULES_DIR.length + 1)).join(', ')}`);
// What start-up and rule loading cost: the same command on the small demo trace.
const fixed = replay([join(ROOT, 'fixtures/demo.arrow')], 1);
const one = replay([TRACE], 1);
report('replay, 1 worker', one);
// The machine is shared: wall-clock rates follow what else runs. CPU time does much less: the
// command's CPU seconds minus those of the same command on the demo trace (start-up, rules).
const cpuRate = one.cpuSeconds !== null && fixed.cpuSeconds !== null ? one.events / Math.max(0.001, one.cpuSeconds - fixed.cpuSeconds) : null;
if (cpuRate !== null) say(`  ${count(cpuRate)} events per CPU second of replay (the command's CPU time, all threads, less ${fixed.cpuSeconds!.toFixed(2)} s for start-up and rules): one idle core's rate`);
const two = replay([TRACE, TRACE], 2);
report('replay, 2 workers (the trace given twice)', two);
const onceTwice = createHash('sha256').update(readFileSync(join(tmp, 'replay-1.out'))).update(readFileSync(join(tmp, 'replay-1.out'))).digest('hex');
const speedup = two.events / two.replaySeconds / (one.events / one.replaySeconds);
say(`  2 workers / 1 worker: ${speedup.toFixed(2)}x; output ${two.outputHash === onceTwice ? 'identical to one worker\'s (twice over)' : 'DIFFERENT from one worker\'s'}`);

const goalRate = 2_000_000;
const rate = one.events / one.replaySeconds;
say(`goal: 2,000,000 events/s on one worker with all upstream rules: ${rate >= goalRate ? 'met' : 'not met'} on the wall clock now (${count(rate)})${cpuRate === null ? '' : `, ${cpuRate >= goalRate ? 'met' : 'not met'} per CPU second (${count(cpuRate)})`}`);
if (one.peakKiB !== null) {
  const per10M = events >= 10_000_000 ? `measured over ${count(events)} events` : `extrapolated linearly from ${count(events)} events: ${mib((one.peakKiB * 10_000_000) / events)}`;
  say(`goal: peak memory under 1 GiB for 10 million events: ${one.peakKiB < 1 << 20 ? 'met' : 'not met'} (${mib(one.peakKiB)}, ${per10M})`);
}

// --- 3. sysdig --------------------------------------------------------------------------------

function sysdigVersion(): string | null {
  const r = spawnSync('sysdig', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function sysdigComparison(): void {
  if (process.env.BENCH_SYSDIG === '0') return say('sysdig comparison: skipped (BENCH_SYSDIG=0)');
  const version = sysdigVersion();
  if (!version) return say('sysdig comparison: skipped (no sysdig in PATH)');
  if (!existsSync(join(ROOT, 'dist/commands/convert.js'))) return say('sysdig comparison: skipped (no tsfalco convert: the .scap writer is not built)');
  const scap = TRACE.replace(/\.arrow$/, '') + '.scap';
  if (!existsSync(scap) || statSync(scap).mtimeMs < statSync(TRACE).mtimeMs) {
    const r = spawnSync(process.execPath, [BIN, 'convert', TRACE, scap, '-f'], { encoding: 'utf8' });
    if (r.status !== 0) return say(`sysdig comparison: skipped (tsfalco convert failed: ${(r.stderr || r.stdout).trim().slice(-500)})`);
    say(`scap: ${(r.stdout + r.stderr).trim().split('\n').pop()}`);
  }
  // Every enabled rule's condition as text; those this sysdig cannot parse are left out.
  const loader = loadRuleFiles(loaderFor(loadFalcoConfig({}), undefined, syscallProvider), RULES, true);
  const rules = (loader.compiled?.rules ?? []).filter((r) => r.enabled && r.source === 'syscall');
  const small = join(tmp, 'small.scap');
  const c = spawnSync(process.execPath, [BIN, 'convert', join(ROOT, 'fixtures/demo.arrow'), small, '-f'], { encoding: 'utf8' });
  if (c.status !== 0) return say('sysdig comparison: skipped (could not convert fixtures/demo.arrow to try the filters)');
  const accepted: string[] = [];
  const refused: string[] = [];
  for (const r of rules) {
    const text = conditionText(r.expr);
    const t = spawnSync('sysdig', ['-r', small, text], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (t.status === 0) accepted.push(`(${text})`);
    else refused.push(`${r.name} (${(t.stderr.match(/unrecognized field \S+/)?.[0] ?? t.stderr.trim().split('\n').pop() ?? '').slice(0, 80)})`);
  }
  const filter = accepted.join(' or ');
  say(`sysdig: ${version}; filter: the conditions of ${accepted.length} of ${rules.length} enabled rules (${(filter.length / 1024).toFixed(0)} KiB); left out, fields or syntax this sysdig does not know: ${refused.join('; ') || 'none'}`);
  if (filter.length > 120_000) return say('sysdig comparison: skipped (the filter is longer than one command-line argument may be)');
  const out = join(tmp, 'sysdig.out');
  const r = timed('sysdig', ['-r', scap, '-p', '%evt.num', filter], out);
  if (r.status !== 0) return say(`sysdig comparison: skipped (sysdig failed: ${r.stderr.trim().slice(-500)})`);
  const matches = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
  say(`sysdig -r: ${r.wall.toFixed(2)} s for the same recorded syscalls (${count(events / r.wall)} trace events/s; its .scap holds enter and exit events), ${count(matches)} matching events, peak RSS ${r.peakKiB === null ? 'unknown' : mib(r.peakKiB)}`);
  const ratioReplay = r.wall / one.replaySeconds;
  const ratioWall = r.wall / one.wallSeconds;
  say(`tsfalco / sysdig speed: ${ratioWall.toFixed(2)}x end to end, ${ratioReplay.toFixed(2)}x replay only (goal: at least 2x: ${ratioWall >= 2 ? 'met' : 'not met'})`);
}

sysdigComparison();

// --- 4. another build -------------------------------------------------------------------------

function baselineComparison(): void {
  const baseline = process.env.BENCH_BASELINE_TSFALCO;
  if (!baseline) return say('baseline comparison: skipped (set BENCH_BASELINE_TSFALCO to the bin/run.js of another build)');
  if (!existsSync(baseline)) fail(`BENCH_BASELINE_TSFALCO: ${baseline} does not exist`);
  const runs = Math.max(1, Number(process.env.BENCH_BASELINE_RUNS ?? 3));
  const mine: Run[] = [];
  const theirs: Run[] = [];
  // Alternated, so that both meet the same moments of a shared machine.
  for (let i = 0; i < runs; i++) {
    theirs.push(replay([TRACE], 1, baseline, '-baseline'));
    mine.push(replay([TRACE], 1));
  }
  const best = (rs: Run[]) => Math.max(...rs.map((r) => r.events / r.replaySeconds));
  const cpu = (rs: Run[]) => Math.min(...rs.map((r) => r.cpuSeconds ?? Infinity));
  say(`baseline: ${baseline}`);
  say(`  this build: best ${count(best(mine))} events/s of ${runs} (${mine.map((r) => count(r.events / r.replaySeconds)).join(', ')}); least CPU ${cpu(mine).toFixed(2)} s; peak RSS ${mine[0].peakKiB === null ? 'unknown' : mib(mine[0].peakKiB)}`);
  say(`  baseline:   best ${count(best(theirs))} events/s of ${runs} (${theirs.map((r) => count(r.events / r.replaySeconds)).join(', ')}); least CPU ${cpu(theirs).toFixed(2)} s; peak RSS ${theirs[0].peakKiB === null ? 'unknown' : mib(theirs[0].peakKiB)}`);
  const ratio = best(mine) / best(theirs);
  say(`  this build / baseline: ${ratio.toFixed(3)} (events/s, best of each; goal at least 0.97: ${ratio >= 0.97 ? 'met' : 'not met'}); CPU seconds baseline / this build: ${(cpu(theirs) / cpu(mine)).toFixed(3)}`);
  say(`  alerts: ${mine[0].outputHash === theirs[0].outputHash ? 'the same output' : 'DIFFERENT output'} (${count(mine[0].alerts)} and ${count(theirs[0].alerts)})`);
}

baselineComparison();
rmSync(tmp, { recursive: true, force: true });
