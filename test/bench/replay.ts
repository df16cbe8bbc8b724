/**
 * npm run bench:replay — replay throughput with Falco's three upstream rule files.
 *
 * Until `tsfalco capture` records the large real trace the issue asks for, the trace is built
 * here from a synthetic but realistic workload (BENCH_EVENTS events, default 2 million: a few
 * hundred processes opening, reading, closing files, connecting and exec'ing), written with the
 * real writer to a temporary file, then replayed in this process. Prints events/s and peak RSS.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loaderFor, loadRuleFiles } from '../../src/cli/rules-env.js';
import { loadFalcoConfig } from '../../src/config/index.js';
import { syscallProvider } from '../../src/engine/extract/fields.js';
import { replayTrace } from '../../src/engine/replay.js';
import { RECORD_TYPES } from '../../src/trace/columns.js';
import { PPM_O } from '../../src/trace/flags.js';
import { createTraceWriter } from '../../src/trace/writer.js';

const N = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const RULES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => join(process.cwd(), '../shared/falco-rules', f));
const dir = mkdtempSync(join(tmpdir(), 'tsfalco-bench-replay-'));

function writeTrace(path: string): void {
  const w = createTraceWriter(path, { source: 'bench:replay synthetic' });
  let seed = 7;
  const rand = (m: number) => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) % m);
  const comms = ['nginx', 'bash', 'python3', 'java', 'sshd', 'cron', 'node', 'postgres', 'make', 'cc1'];
  let num = 0n;
  const ts0 = 1_795_230_847_000_000_000n;
  w.append({ ts: ts0, num: ++num, type: RECORD_TYPES.snapshotMachine, name: 'bench-host' });
  for (let pid = 1000; pid < 1300; pid++) {
    const comm = comms[pid % comms.length];
    w.append({ ts: ts0, num: ++num, type: RECORD_TYPES.snapshotProc, tid: pid, pid, ppid: pid === 1000 ? 1 : 1000 + (pid % 10), comm, exe: comm, exepath: `/usr/bin/${comm}`, args: ['--serve'], cwd: '/srv', uid: 1000, euid: 1000, gid: 1000, egid: 1000, loginuid: -1, start_ts: ts0 - 1_000_000_000n });
  }
  w.append({ ts: ts0, num: ++num, type: RECORD_TYPES.snapshotEnd });
  for (let i = 0; i < N; i++) {
    const pid = 1000 + rand(300);
    const ts = ts0 + BigInt(i) * 5_000n;
    const h = { ts, num: ++num, dir: '<', cpu: i & 1, tid: pid, pid, ppid: 1000 + (pid % 10), uid: 1000, gid: 1000, euid: 1000, egid: 1000, loginuid: -1, comm: comms[pid % comms.length] };
    const k = rand(100);
    const fd = 3 + rand(40);
    if (k < 35) w.append({ ...h, type: 'openat', dirfd: -100n, path: `/srv/data/file${rand(3000)}.dat`, flags: k < 30 ? PPM_O.RDONLY : PPM_O.WRONLY | PPM_O.CREAT, mode: 0o644, res: BigInt(fd), fd_type: 'file' });
    else if (k < 60) w.append({ ...h, type: 'read', fd: BigInt(fd), size: 4096n, res: 512n });
    else if (k < 85) w.append({ ...h, type: 'close', fd: BigInt(fd), res: 0n });
    else if (k < 92) w.append({ ...h, type: 'socket', sock_family: 2, sock_type: 1, l4proto: 6, res: BigInt(fd) });
    else if (k < 98) w.append({ ...h, type: 'connect', fd: BigInt(fd), res: 0n, sock_family: 2, l4proto: 6, sip: '10.0.0.5', sport: 30000 + rand(20000), dip: `10.0.${rand(4)}.${rand(250)}`, dport: [443, 5432, 80][rand(3)] });
    else w.append({ ...h, type: 'execve', res: 0n, path: '/usr/bin/python3', exe: 'python3', exepath: '/usr/bin/python3', args: ['-m', 'job', String(rand(1000))], cwd: '/srv', comm: 'python3' });
  }
  w.close();
}

try {
  // BENCH_TRACE=path keeps the generated trace there and reuses it on the next run.
  const trace = process.env.BENCH_TRACE ?? join(dir, 'bench.arrow');
  const t0 = performance.now();
  if (!process.env.BENCH_TRACE || !existsSync(trace)) writeTrace(trace);
  const size = statSync(trace).size;
  console.log(`trace: ${N.toLocaleString('en-US')} events (BENCH_EVENTS), ${(size / N).toFixed(1)} bytes/event, written in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

  const config = loadFalcoConfig({});
  const tl = performance.now();
  const loader = loadRuleFiles(loaderFor(config, undefined, syscallProvider), RULES, true);
  const rules = (loader.compiled?.rules ?? []).filter((r) => r.enabled);
  console.log(`rules: ${rules.length} enabled of ${loader.compiled?.rules.length}, loaded and compiled in ${(performance.now() - tl).toFixed(0)} ms`);

  console.log(`before replay: RSS ${(process.memoryUsage.rss() / (1 << 20)).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / (1 << 20)).toFixed(0)} MiB`);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  let alerts = 0;
  const stats = replayTrace(trace, {
    rules,
    ruleMatching: 'first',
    onAlert: () => alerts++,
    onProgress: () => (peak = Math.max(peak, process.memoryUsage.rss())),
  });
  clearInterval(sampler);
  const rate = stats.events / (stats.elapsedMs / 1000);
  console.log(`replay (1 worker): ${Math.round(rate).toLocaleString('en-US')} events/s, ${alerts} alerts, peak RSS ${(peak / (1 << 20)).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
