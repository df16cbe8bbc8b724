/**
 * Runs Falco's own legacy regression cases from falco-compat in the upstream folder (rules
 * validation with -V, and replays of Falco's .scap captures with expected detections, outputs and
 * exit codes) against the built tsfalco (`npm test` compiles first; after editing, run `npm run
 * build` before running this file alone). Every case must pass. Skipped with the reason where
 * falco-compat or the captures it replays are absent (test/helpers/upstream.ts), except in CI.
 */
import { expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/cli.js';
import { capture, upstreamPath, upstreamSuite } from '../helpers/upstream.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const compat = upstreamPath('falco-compat');
// The cases replay Falco's captures from ../fixtures/scap relative to the runner.
const NEEDS = ['falco-compat/cases.json', 'falco-compat/run', ...['cat_write.scap', 'connect_localhost.scap', 'empty.scap', 'open-multiple-files.scap', 'ping_sendto.scap', 'syscall.scap'].map(capture)];

interface Case {
  name: string;
  falco_args: string[];
}

/**
 * The runner splits $TSFALCO on whitespace, so a clone below a path with a space cannot be named
 * there directly: it gets a one-line wrapper script in a temporary folder instead.
 */
function tsfalcoWrapper(dir: string): string {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const path = join(dir, 'tsfalco');
  writeFileSync(path, `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(join(repo, 'bin', 'run.js'))} "$@"\n`, { mode: 0o755 });
  return path;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCases(names: string[]): Promise<RunResult> {
  const tmp = tempDir('tsfalco-compat-');
  return new Promise<RunResult>((done) => {
    execFile(
      process.execPath,
      [join(compat, 'run'), ...names],
      { cwd: repo, env: { ...process.env, TSFALCO: tsfalcoWrapper(tmp.dir) }, maxBuffer: 16 << 20 },
      (err, out, errOut) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
    );
  }).finally(tmp.cleanup);
}

upstreamSuite("falco-compat: Falco's legacy regression cases", NEEDS, () => {
  it('passes every case: 39 rules validations (-V) and 89 replays of Falco\'s .scap captures', async () => {
    const suite = JSON.parse(readFileSync(join(compat, 'cases.json'), 'utf8')) as { cases: Case[] };
    const replays = suite.cases.filter((c) => c.falco_args.some((a) => a.startsWith('engine.replay.capture_file=') || a === '-e'));
    expect([suite.cases.length, replays.length]).toEqual([128, 89]);
    const { code, stdout, stderr } = await runCases([]);
    const failures = stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    expect(failures, stderr).toEqual([]);
    expect(stdout).toContain('128 passed, 0 failed');
    expect(code).toBe(0);
  }, 600_000);
});
