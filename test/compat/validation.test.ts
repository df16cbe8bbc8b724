/**
 * Runs Falco's own validation (-V) regression cases from ../shared/falco-compat against the
 * built tsfalco (`npm test` compiles first; after editing, run `npm run build` before running
 * this file alone). Every -V case must pass.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const compat = resolve(repo, '..', 'shared', 'falco-compat');
const present = existsSync(join(compat, 'cases.json')) && existsSync(join(compat, 'run'));

interface Case {
  name: string;
  falco_args: string[];
}

describe.skipIf(!present)(`falco-compat validation cases${present ? '' : ' (skipped: ../shared/falco-compat is absent)'}`, () => {
  it('passes every -V case', async () => {
    const suite = JSON.parse(readFileSync(join(compat, 'cases.json'), 'utf8')) as { cases: Case[] };
    const names = suite.cases.filter((c) => c.falco_args.includes('-V')).map((c) => c.name);
    expect(names.length).toBe(39);
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [join(compat, 'run'), ...names],
        { cwd: repo, env: { ...process.env, TSFALCO: `${process.execPath} ${join(repo, 'bin', 'run.js')}` }, maxBuffer: 16 << 20 },
        (err, out, errOut) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
      );
    });
    const failures = stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    expect(failures, stderr).toEqual([]);
    expect(stdout).toContain(`${names.length} passed, 0 failed`);
    expect(code).toBe(0);
  }, 240_000);
});
