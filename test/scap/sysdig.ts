import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { upstreamProblem } from '../helpers/upstream.js';

/**
 * sysdig (Debian's package: libsinsp inside) is the reference the .scap tests compare with.
 * Where it or Falco's fixtures are missing, those suites are skipped with the reason in their
 * name; in CI (TSFALCO_REQUIRE_CAPTURE=1, which .ci/run sets and which also requires sysdig,
 * installed there) a missing reference fails instead, as a missing capture prerequisite does.
 */

function sysdigProblem(): string | null {
  const r = spawnSync('sysdig', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'sysdig is not installed (apt-get install sysdig)';
  return null;
}

export const SYSDIG_PROBLEM = sysdigProblem();
export const SYSDIG_VERSION = SYSDIG_PROBLEM ? '' : spawnSync('sysdig', ['--version'], { encoding: 'utf8' }).stdout.trim();
const REQUIRED = process.env.TSFALCO_REQUIRE_CAPTURE === '1';

/**
 * A suite that compares with sysdig (and reads `needs` from the upstream folder, e.g. Falco's
 * fixtures: FIXTURE_NEEDS). `define` is the suite function when sysdig is there (captureSuite for
 * suites that also capture).
 */
export function sysdigSuite(name: string, body: () => void, options: { needs?: readonly string[]; define?: (name: string, body: () => void) => void } = {}): void {
  const problem = SYSDIG_PROBLEM ?? upstreamProblem(...(options.needs ?? []));
  if (problem && !REQUIRED) {
    describe.skip(`${name} (skipped: ${problem})`, body);
    return;
  }
  (options.define ?? describe)(name, () => {
    it('has sysdig and the captures to compare with', () => {
      expect(problem).toBeNull();
    });
    body();
  });
}

/** sysdig's "Captured Events" count of a capture. */
export function sysdigCount(file: string): number | null {
  const r = spawnSync('sysdig', ['-r', file, '-v'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const m = /Captured Events: (\d+)/.exec(r.stdout + r.stderr);
  return m ? Number(m[1]) : null;
}

export type SysdigEvent = Record<string, string | number | boolean | null>;

/**
 * Every event of `file` as sysdig prints it with `-j -p "*FIELDS"` (the `*` keeps events whose
 * fields are not all defined, such as enter events without a result).
 */
export function sysdigEvents(file: string, fields: readonly string[], filter?: string): SysdigEvent[] {
  const args = ['-r', file, '-j', '-p', '*' + fields.map((f) => `%${f}`).join(' ')];
  if (filter) args.push(filter);
  const r = spawnSync('sysdig', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`sysdig -r ${file} exited with ${r.status}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as SysdigEvent);
}

/** sysdig's text output for a format (and an optional filter). */
export function sysdigText(file: string, format: string, filter?: string): string {
  const args = ['-r', file, '-p', format];
  if (filter) args.push(filter);
  const r = spawnSync('sysdig', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`sysdig -r ${file} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}
