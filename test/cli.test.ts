import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, STACK_LINE, tsfalco } from './helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('the tsfalco executable', () => {
  it('prints its version', () => {
    const r = tsfalco(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`tsfalco/${pkg.version}`);
  });

  it('lists its commands in --help', () => {
    const r = tsfalco(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/USAGE\s+\$ tsfalco \[COMMAND\]/);
    expect(r.stdout).toMatch(/^\s+trace\s+Inspect and repair tsfalco trace files/m);
  });

  it('teaches a command with --help: usage, flags and examples', () => {
    const r = tsfalco(['trace', 'info', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\$ tsfalco trace info TRACE/);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('tsfalco trace info fixtures/demo.arrow');
    expect(tsfalco(['trace', 'repair', '--help']).stdout).toMatch(/keeps every complete batch/);
  });

  it('rejects an unknown flag and a missing argument with one clear message, no stack trace', () => {
    const bad = tsfalco(['trace', 'info', 'fixtures/demo.arrow', '--nope']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('tsfalco: unknown flag --nope (see tsfalco trace info --help)\n');
    expect(bad.stderr).not.toMatch(STACK_LINE);
    const missing = tsfalco(['trace', 'repair']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tsfalco: missing 1 required arg: trace .*\(see tsfalco trace repair --help\)\n$/);
    expect(missing.stderr).not.toMatch(STACK_LINE);
  });
});
