import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace } from '../../src/trace/reader.js';
import { batchEvents } from '../../src/trace/rows.js';
import { BIN, ROOT, STACK_LINE, tempDir } from '../helpers/cli.js';
import { CAPTURE_PROBLEM, captureSuite, isSyscallRow, readEvents, runTsfalco } from './helpers.js';

const tmp = tempDir('tsfalco-capture-safety-');
afterAll(tmp.cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of spawnSync('ls', ['/proc'], { encoding: 'utf8' }).stdout.split('\n')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

describe('tsfalco capture: clear errors', () => {
  it('says what is missing when the helper is not built', async () => {
    const r = await runTsfalco(['capture', '-o', join(tmp.dir, 'nohelper.arrow')], { env: { TSFALCO_HELPER: '/nonexistent/tsfalco-capture-helper' } });
    expect(r.status).toBe(1);
    const expected = CAPTURE_PROBLEM?.includes('root') ? /needs root/ : /capture helper is not built .*apt-get install -y clang .*npm run build:helper/;
    expect(r.stderr).toMatch(expected);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(join(tmp.dir, 'nohelper.arrow'))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)('says that root is needed when run as an ordinary user', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, BIN, 'capture', '-o', '/tmp/tsfalco-nobody.arrow'], {
      cwd: '/tmp',
      env: { ...process.env, HOME: '/tmp' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tsfalco: tsfalco capture needs root \(or CAP_BPF and CAP_PERFMON\): run it with sudo$/m);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('rejects bad flag values with one line', async () => {
    for (const [args, msg] of [
      [['--duration', 'soon'], /--duration soon: expected a duration/],
      [['--max-size', 'big'], /--max-size big: expected a size/],
      [['--only-command'], /--only-command needs a command/],
    ] as const) {
      const r = await runTsfalco(['capture', '-o', join(tmp.dir, 'bad.arrow'), ...args]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(CAPTURE_PROBLEM && !String(msg).includes('only-command') && !String(msg).includes('duration') && !String(msg).includes('size') ? /tsfalco:/ : msg);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
  });
});

captureSuite('tsfalco capture: safety', () => {
  it('does not overwrite an existing file without --force, and does with it', async () => {
    const out = join(tmp.dir, 'exists.arrow');
    writeFileSync(out, 'keep me');
    const r = await runTsfalco(['capture', '-o', out, '--only-command', '--', 'true']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/exists\.arrow: already exists \(use --force to overwrite it\)/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const forced = await runTsfalco(['capture', '-o', out, '--force', '--only-command', '--', 'true']);
    expect(forced.status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readEvents(out).some((e) => e.type === 'execve' && e.comm === 'true')).toBe(true);
  });

  it('after SIGKILL every batch written is readable, and the helper goes away with its parent', async () => {
    const out = join(tmp.dir, 'killed.arrow');
    const child = spawn(process.execPath, [BIN, 'capture', '-o', out, '--duration', '60s'], { cwd: ROOT, stdio: 'ignore' });
    // Wait for the first batches (the writer flushes every second), with some activity meanwhile.
    const batches = () => {
      try {
        const t = openTrace(out);
        const n = [...t.batches()].length;
        t.close();
        return n;
      } catch {
        return 0;
      }
    };
    for (let i = 0; i < 80 && batches() < 3; i++) {
      await sleep(250);
      spawnSync('ls', ['/etc'], { stdio: 'ignore' });
    }
    const helpers = childrenOf(child.pid!);
    expect(helpers.length).toBe(1);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    // PR_SET_PDEATHSIG: the helper stops (and its BPF programs detach) when tsfalco dies.
    let alive = true;
    for (let i = 0; i < 40 && alive; i++) {
      await sleep(100);
      alive = existsSync(`/proc/${helpers[0]}`) && !readFileSync(`/proc/${helpers[0]}/stat`, 'utf8').includes(') Z ');
    }
    expect(alive).toBe(false);
    const trace = openTrace(out);
    const rows = [];
    for (const batch of trace.batches()) rows.push(...batchEvents(batch));
    expect(trace.ending().complete).toBe(false);
    trace.close();
    expect(rows[0].type).toBe('snapshot_machine');
    expect(rows.some((e) => e.type === 'snapshot_end')).toBe(true);
    expect(rows.some((e) => e.type === 'execve' && e.comm === 'ls')).toBe(true);
    const info = await runTsfalco(['trace', 'info', out, '--json']);
    expect(JSON.parse(info.stdout)[0]).toMatchObject({ complete: false });
  });

  it('with a tiny ring buffer under load, drops are counted, not hidden', async () => {
    const out = join(tmp.dir, 'drops.arrow');
    const r = await runTsfalco(['capture', '-o', out, '--only-command', '--events', 'all', '--buffer-size', '4096', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=300000']);
    expect(r.status).toBe(0);
    const events = readEvents(out);
    const stats = events.filter((e) => e.type === 'capture_stats');
    const total = stats.filter((e) => e.cpu === -1).pop()!;
    expect(total.n_drops! > 0n).toBe(true);
    // The per-cpu rows add up to the total, and every event not dropped is in the trace.
    const last = new Map(stats.map((e) => [e.cpu, e]));
    let sum = 0n;
    for (const [cpu, e] of last) if (cpu !== -1) sum += e.n_drops!;
    expect(sum).toBe(total.n_drops);
    expect(BigInt(events.filter(isSyscallRow).length)).toBe(total.n_events! - total.n_drops!);
    expect(r.stderr).toMatch(/[1-9][\d,]* dropped/);
  });
});
