import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/trace/event.js';
import { tempDir, tsfalco } from '../helpers/cli.js';
import { writeEvents } from '../helpers/replay.js';
import { upstreamPath, upstreamSuite } from '../helpers/upstream.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
// Falco's drop settings and its one-rule file, from the falco-compat cases.
const NEEDS = ['falco-compat/configs', 'falco-compat/rules/single_rule.yaml'];
const CONFIGS = upstreamPath(NEEDS[0]!);
const RULE = upstreamPath(NEEDS[1]!);

/** Ten events 1.1 s apart: nine once-per-second drop checks after the first event. */
const events: Partial<TraceEvent>[] = Array.from({ length: 10 }, (_, i) => ({
  ts: 1_700_000_000_000_000_000n + BigInt(i) * 1_100_000_000n,
  type: 'getpid',
  dir: '<',
  tid: 5,
  pid: 5,
  comm: 'x',
  res: 5n,
}));
const trace = writeEvents(tmp.dir, events);

function replay(config: string, extra: string[] = []) {
  return tsfalco(['replay', trace, '-r', RULE, '-c', join(CONFIGS, config), ...extra]);
}

upstreamSuite('syscall event drop monitoring (Falco\'s syscall_event_drops)', NEEDS, () => {
  it('alert: nine simulated drops, nine Falco internal alerts on stdout', () => {
    const r = replay('drops_alert.yaml');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/Debug Falco internal: syscall event drop\. 1 system calls dropped in last second\./g)).toHaveLength(9);
    expect(r.stderr).toMatch(/event drop detected: 9 occurrences/);
    expect(r.stderr).toMatch(/num times actions taken: 9/);
    expect(r.stderr).not.toMatch(/Falco internal: syscall event drop/);
  });

  it('log: the drops go to stderr as log lines, not to stdout', () => {
    const r = replay('drops_log.yaml');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/Falco internal/);
    expect(r.stderr.match(/^\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}: Falco internal: syscall event drop/gm)).toHaveLength(9);
  });

  it('exit: the first drop stops the replay with status 1', () => {
    const r = replay('drops_exit.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Falco internal: syscall event drop/);
    expect(r.stderr).toMatch(/Exiting\./);
    expect(r.stderr).toMatch(/event drop detected: 1 occurrences/);
    expect(r.stderr).toMatch(/num times actions taken: 1/);
  });

  it('ignore counts without acting; no simulation means no drops', () => {
    const ignore = replay('drops_ignore.yaml');
    expect(ignore.stderr).toMatch(/event drop detected: 9 occurrences/);
    expect(ignore.stderr).not.toMatch(/Falco internal/);
    const none = replay('drops_none.yaml');
    expect(none.status).toBe(0);
    expect(none.stderr).toMatch(/event drop detected: 0 occurrences/);
  });

  it('invalid settings are configuration errors', () => {
    const oor = replay('drops_threshold_oor.yaml');
    expect(oor.status).toBe(1);
    expect(oor.stderr).toMatch(/syscall event drops threshold must be a double in the range \[0, 1\]/);
    const mixed = replay('drops_ignore_log.yaml');
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toMatch(/syscall event drop action "log" does not make sense with the "ignore" action/);
  });

  it('JSON alerts of drops carry rule, priority Debug and the counters; iso8601 log times', () => {
    const r = replay('drops_alert.yaml', ['--json', '-o', 'time_format_iso_8601=true']);
    expect(replay('drops_alert.yaml', ['--no-summary']).stderr).not.toMatch(/Syscall event drop monitoring/);
    const first = JSON.parse(r.stdout.trim().split('\n')[0]);
    expect(first).toMatchObject({ rule: 'Falco internal: syscall event drop', priority: 'Debug', output_fields: { n_drops: '1' } });
    expect(r.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000: Loading rules from/);
  });
});
