import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { openScap } from '../../src/scap/index.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { fixture, FIXTURE_NEEDS, sysdigReadableFixtures } from './helpers.js';
import { sysdigSuite } from './sysdig.js';
import { upstreamSuite } from '../helpers/upstream.js';

/**
 * The rows the reader makes: snapshot_proc rows (every process-list version among the fixtures:
 * v5…v9) compared with what sysdig knows of each thread before it execs or forks, and event
 * rows checked for the columns the engine relies on.
 */

function rows(file: string): TraceEvent[] {
  const src = openScap(file);
  const out: TraceEvent[] = [];
  for (const r of src.rows()) if (typeof r !== 'symbol') out.push(r);
  return out;
}

const files = sysdigReadableFixtures();

sysdigSuite('process snapshot rows agree with sysdig', () => {
  for (const file of files) {
    it(basename(file), () => {
      const all = rows(file);
      expect(all[0].type).toBe('snapshot_machine');
      const end = all.findIndex((r) => r.type === 'snapshot_end');
      expect(end).toBeGreaterThan(0);
      const users = new Map<number, string>();
      for (const r of all) if (r.type === 'snapshot_user') users.set(r.uid!, r.name!);
      const ours = all
        .filter((r) => r.type === 'snapshot_proc')
        // (the chisel cuts user names to 11 characters)
        .map((p) => `${p.tid} ${p.pid} ${String(users.get(p.euid!) ?? p.euid).slice(0, 11)} ${p.comm}`);
      // sysdig's ps chisel lists its thread table: TID PID USER VIRT RES FDLIMIT CMD.
      const ps = spawnSync('sysdig', ['-r', file, '-c', 'ps'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const theirs = ps.stdout
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const f = l.trim().split(/\s+/);
          return `${f[0]} ${f[1]} ${f[2]} ${f.slice(6).join(' ')}`;
        });
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.sort()).toEqual(theirs.sort());
    });
  }
}, { needs: FIXTURE_NEEDS });

/** An fd snapshot row as sysdig's lsof chisel names it (a socket by its two ends, in either order). */
function fdName(r: TraceEvent): string {
  if (r.fd_type === 'ipv4' || r.fd_type === 'ipv6') {
    const host = (ip: string | null | undefined) => ip ?? '';
    if (r.sip) return [`${host(r.sip)}:${r.sport}`, `${host(r.dip)}:${r.dport}`].sort().join('<>');
    return `${host(r.dip)}:${r.dport}`;
  }
  return r.path ?? '';
}

sysdigSuite('fd snapshot rows agree with sysdig', () => {
  for (const file of files) {
    it(basename(file), () => {
      const ours = rows(file)
        .filter((r) => r.type === 'snapshot_fd')
        .map((r) => `${r.pid} ${r.fd} ${r.fd_type} ${fdName(r)}`);
      // lsof chisel: COMMAND PID TID USER FD TYPE NAME (a command name may hold spaces: count from the right of it).
      const lsof = spawnSync('sysdig', ['-r', file, '-c', 'lsof'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const theirs = lsof.stdout
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(l)!;
          let name = m[7].trim();
          const type = m[6];
          if (type === 'ipv4' || type === 'ipv6') {
            const ends = name.split('->');
            name = ends.length === 2 ? ends.sort().join('<>') : name;
          }
          return `${m[2]} ${m[5]} ${type} ${name}`;
        });
      expect(ours.length).toBeGreaterThan(0);
      const a = new Set(ours);
      const missing = theirs.filter((t) => !a.has(t));
      const b = new Set(theirs);
      const extra = ours.filter((o) => !b.has(o));
      expect({ missing: missing.slice(0, 8), extra: extra.slice(0, 8) }).toEqual({ missing: [], extra: [] });
    });
  }
}, { needs: FIXTURE_NEEDS });

upstreamSuite('event rows', FIXTURE_NEEDS, () => {
  // Read in the hook, not while the tests are collected: a skipped suite is collected too.
  let connect: ReturnType<typeof rows>;
  beforeAll(() => {
    connect = rows(fixture('connect_localhost.scap'));
  });

  it('enter rows have dir ">" and no res; exit rows "<" with res', () => {
    const events = connect.filter((r) => r.dir !== undefined && r.dir !== null);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      if (e.dir === '>') expect(e.res ?? null).toBeNull();
    }
    expect(events.some((e) => e.dir === '<' && e.res !== undefined)).toBe(true);
  });

  it('connect: the tuple in the client/server columns, the fd from the enter event, the latency', () => {
    const exit = connect.find((r) => r.type === 'connect' && r.dir === '<' && r.sip === '127.0.0.1');
    expect(exit).toBeDefined();
    expect(exit!.sock_family).toBe(2);
    expect(exit!.dip).toBe('127.0.0.1');
    expect(exit!.dport).toBe(80);
    expect(typeof exit!.sport).toBe('number');
    expect(exit!.fd).toBe(4n);
    expect(exit!.res).toBe(-115n);
    expect(exit!.latency! > 0n).toBe(true);
    const socket = connect.find((r) => r.type === 'socket' && r.dir === '<' && r.res === 4n);
    expect(socket).toMatchObject({ sock_family: 2, sock_type: 1, l4proto: 6, fd_type: 'ipv4' });
  });

  it('execve exit: the new image', () => {
    const cat = rows(fixture('cat_write.scap'));
    const exec = cat.find((r) => r.type === 'execve' && r.dir === '<')!;
    expect(exec).toMatchObject({ res: 0n, exe: 'cat', args: ['/dev/null'], pid: 20072, ppid: 11310, comm: 'cat', tid: 20072 });
    expect(exec.cwd).toBe('/mnt/sf_mstemm/work/src/agent/build/release/userspace/dragent');
    expect(exec.cgroup).toBe('/user.slice/user-1000.slice/session-1.scope');
    expect(exec.env).toContain('SHELL=/bin/bash');
    expect(exec.extra).toMatchObject({ fdlimit: '1024', vm_size: '360' });
  });

  it('open exit: path, flags in PPM_O encoding, the fd as res', () => {
    const cat = rows(fixture('cat_write.scap'));
    const open = cat.find((r) => r.type === 'open' && r.dir === '<' && r.path === '/dev/null')!;
    expect(open).toMatchObject({ res: 3n, flags: 1, mode: 0 });
  });

  it('ipv6: bind address and a v6 tuple', () => {
    const v6 = rows(fixture('libs_single_ipv6_conn.scap'));
    const bind = v6.find((r) => r.type === 'bind' && r.dir === '<')!;
    expect(bind).toMatchObject({ dip: '2001:db8::3', dport: 1234, sock_family: 10 });
  });

  it('snapshot rows: machine, fds with client/server sides, users and groups', () => {
    const all = rows(fixture('syscall.scap'));
    expect(all[0]).toMatchObject({ type: 'snapshot_machine', name: 'ubuntu' });
    expect(all[0].extra).toMatchObject({ cpus: '2' });
    expect(all.some((r) => r.type === 'snapshot_user' && r.name === 'root' && r.uid === 0 && r.path === '/root')).toBe(true);
    expect(all.some((r) => r.type === 'snapshot_group' && r.name === 'root' && r.gid === 0)).toBe(true);
    const files = all.filter((r) => r.type === 'snapshot_fd' && r.fd_type === 'file');
    expect(files.length).toBeGreaterThan(0);
    for (const f of all.filter((r) => r.type === 'snapshot_fd' && r.fd_type === 'ipv4' && r.sip)) {
      expect(typeof f.dport).toBe('number');
    }
    const end = all.findIndex((r) => r.type === 'snapshot_end');
    expect(all.slice(0, end).every((r) => r.num === 0n)).toBe(true);
    expect(all[end + 1].num).toBe(1n);
  });

  it('container events become snapshot_container rows and keep their numbers', () => {
    const all = rows(fixture('open-multiple-files.scap'));
    const containers = all.filter((r) => r.type === 'snapshot_container');
    expect(containers.map((c) => c.container_id)).toEqual(['5ea733068030', 'ad64969c62e5', 'ad64969c62e5']);
    expect(containers[0]).toMatchObject({ name: 'falco', image: 'sysdig/falco:latest' });
    expect(containers[0].extra).toMatchObject({ runtime: 'docker', ip: '172.17.0.3' });
    const first = all.find((r) => r.num > 0n)!;
    expect(first.num).toBe(4n);
  });
});
