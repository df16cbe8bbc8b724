import { spawnSync } from 'node:child_process';

/** sysdig (Debian's package: libsinsp inside) reads .scap files for the round-trip tests. */

function sysdigProblem(): string | null {
  const r = spawnSync('sysdig', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'sysdig is not installed (apt-get install sysdig)';
  return null;
}

export const SYSDIG_PROBLEM = sysdigProblem();
export const SYSDIG_VERSION = SYSDIG_PROBLEM ? '' : spawnSync('sysdig', ['--version'], { encoding: 'utf8' }).stdout.trim();

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
