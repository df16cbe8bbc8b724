import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { helperFailure } from '../../src/capture/helper.js';
import { openTrace } from '../../src/trace/reader.js';
import { STACK_LINE, tempDir } from '../helpers/cli.js';
import { captureSuite, runTsfalco } from './helpers.js';

/** Issue #11: capture on a full disk, --max-size as a hard limit, a helper killed by a signal. */

it('a helper killed by a signal is named', () => {
  expect(helperFailure(null, '', 'SIGKILL').message).toBe('capture helper killed by SIGKILL');
  expect(helperFailure(1, 'tsfalco-capture-helper: oops\n').message).toBe('the capture helper failed (exit 1): oops');
});

const BUSY = ['sh', '-c', 'i=0; while [ $i -lt 300000 ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done'];

captureSuite('capture and its file system', () => {
  let dir: string;
  let cleanup: () => void;
  const mounts: string[] = [];
  const tmpfs = (name: string, size: string) => {
    const where = join(dir, name);
    mkdirSync(where);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', where]).status).toBe(0);
    mounts.push(where);
    return where;
  };
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => {
    for (const m of mounts) spawnSync('umount', [m]);
    cleanup();
  });

  it('--max-size 300K: the trace is at most 300 KiB and complete', async () => {
    const out = join(dir, 'limited.arrow');
    const r = await runTsfalco(['capture', '-o', out, '--max-size', '300K', '--duration', '30s', '--', ...BUSY]);
    expect(r.stderr).toMatch(/size limit reached/);
    expect(statSync(out).size).toBeLessThanOrEqual(300 * 1024);
    expect(statSync(out).size).toBeGreaterThan(100 * 1024);
    const trace = openTrace(out);
    expect(trace.format).toBe('file');
    trace.close();
  }, 60_000);

  it('a disk that fills up: one line saying where the partial trace is, which reads back', async () => {
    const out = join(tmpfs('fills', '1m'), 't.arrow');
    const r = await runTsfalco(['capture', '-o', out, '--duration', '30s', '--', ...BUSY]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^tsfalco: ${out}: write failed: no space left on device; the partial trace ${out} holds the \\d+ batch\\(es\\) written before it`, 'm'));
    expect(r.stderr).not.toMatch(STACK_LINE);
    const trace = openTrace(out);
    let batches = 0;
    for (const _b of trace.batches()) batches++;
    trace.close();
    expect(batches).toBeGreaterThan(0);
  }, 60_000);

  it('a disk already full: one line, no empty trace left', async () => {
    const where = tmpfs('full', '64k');
    writeFileSync(join(where, 'filler'), Buffer.alloc(64 << 10));
    const out = join(where, 't.arrow');
    const r = await runTsfalco(['capture', '-o', out, '--duration', '2s']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsfalco: ${out}: write failed: no space left on device (no trace was left)\n`);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('a helper killed by SIGKILL is reported by its signal', async () => {
    const fake = join(dir, 'killed-helper.sh');
    writeFileSync(fake, '#!/bin/sh\nkill -KILL $$\n');
    chmodSync(fake, 0o755);
    const out = join(dir, 'killed.arrow');
    const r = await runTsfalco(['capture', '-o', out, '--duration', '2s'], { env: { TSFALCO_HELPER: fake } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tsfalco: capture helper killed by SIGKILL\n');
  }, 60_000);

  it('capture -o under umask 000 creates the trace 0600; --force replaces a symlink, not its target', async () => {
    const target = join(dir, 'precious');
    writeFileSync(target, 'precious\n');
    const link = join(dir, 'link.arrow');
    spawnSync('ln', ['-s', target, link]);
    const r = spawnSync('sh', ['-c', `umask 000; exec "$@"`, 'sh', process.execPath, join(process.cwd(), 'bin', 'run.js'), 'capture', '-o', link, '--force', '--duration', '1s'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(statSync(link).mode & 0o777).toBe(0o600);
    expect(spawnSync('cat', [target], { encoding: 'utf8' }).stdout).toBe('precious\n');
  }, 60_000);
});
