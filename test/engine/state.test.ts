import { afterAll, describe, expect, it } from 'vitest';
import { PPM_CL, PPM_O } from '../../src/trace/flags.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { tempDir } from '../helpers/cli.js';
import { fieldValues, writeEvents } from '../helpers/replay.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

const bash = { tid: 100, pid: 100, ppid: 1, comm: 'bash', uid: 1000, gid: 1000, euid: 1000, egid: 1000, loginuid: 1000 };
const snapshot: Partial<TraceEvent>[] = [
  { type: 'snapshot_machine', name: 'web-01' },
  { type: 'snapshot_proc', tid: 1, pid: 1, ppid: 0, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd', args: [], cwd: '/', uid: 0, euid: 0 },
  { type: 'snapshot_proc', ...bash, exe: '-bash', exepath: '/usr/bin/bash', args: [], cwd: '/home/alice', tty: 34816 },
  { type: 'snapshot_fd', pid: 100, tid: 100, fd: 0n, fd_type: 'file', path: '/dev/pts/0' },
  { type: 'snapshot_user', uid: 1000, gid: 1000, name: 'alice', path: '/home/alice', path2: '/bin/bash' },
  { type: 'snapshot_group', gid: 1000, name: 'staff' },
  { type: 'snapshot_end' },
];
const ev = (e: Partial<TraceEvent>) => ({ dir: '<', ...bash, ...e });

describe('replay state: files', () => {
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    ev({ type: 'openat', dirfd: -100n, path: 'notes/../todo.txt', flags: PPM_O.RDONLY, res: 3n }),
    ev({ type: 'read', fd: 3n, res: 10n }),
    ev({ type: 'openat', dirfd: -100n, path: '/etc', flags: PPM_O.RDONLY | PPM_O.DIRECTORY, res: 4n }),
    ev({ type: 'openat', dirfd: 4n, path: 'passwd', flags: PPM_O.RDONLY | PPM_O.CLOEXEC, res: 5n }),
    ev({ type: 'read', fd: 5n, res: 10n }),
    ev({ type: 'close', fd: 3n, res: 0n }),
    ev({ type: 'read', fd: 3n, res: -9n }),
    ev({ type: 'dup2', fd: 5n, fd2: 7n, res: 7n }),
    ev({ type: 'read', fd: 7n, res: 1n }),
    ev({ type: 'read', fd: 0n, res: 1n }),
  ]);

  it('resolves relative paths against cwd and dirfd, and knows the fd on later reads', () => {
    const reads = fieldValues(trace, 'evt.type=read', ['fd.num', 'fd.name', 'fd.directory', 'fd.filename', 'fd.type', 'fd.typechar', 'evt.res']);
    expect(reads).toEqual([
      { 'fd.num': '3', 'fd.name': '/home/alice/todo.txt', 'fd.directory': '/home/alice', 'fd.filename': 'todo.txt', 'fd.type': 'file', 'fd.typechar': 'f', 'evt.res': 'SUCCESS' },
      { 'fd.num': '5', 'fd.name': '/etc/passwd', 'fd.directory': '/etc', 'fd.filename': 'passwd', 'fd.type': 'file', 'fd.typechar': 'f', 'evt.res': 'SUCCESS' },
      // after close, fd 3 is gone: libsinsp names an exit's unknown fd "" and types it by the event ('o');
      // the directory of that "" is "/" (sysdig 0.29 shows the same on a read of an unknown fd)
      { 'fd.num': '3', 'fd.name': '', 'fd.directory': '/', 'fd.filename': '<NA>', 'fd.type': '<NA>', 'fd.typechar': 'o', 'evt.res': 'EBADF' },
      // dup2 copied fd 5 to 7
      { 'fd.num': '7', 'fd.name': '/etc/passwd', 'fd.directory': '/etc', 'fd.filename': 'passwd', 'fd.type': 'file', 'fd.typechar': 'f', 'evt.res': 'SUCCESS' },
      // from the snapshot
      { 'fd.num': '0', 'fd.name': '/dev/pts/0', 'fd.directory': '/dev/pts', 'fd.filename': '0', 'fd.type': 'file', 'fd.typechar': 'f', 'evt.res': 'SUCCESS' },
    ]);
  });

  it('gives open events their new fd, flags and Falco open predicates', () => {
    const opens = fieldValues(trace, 'evt.type=openat', ['fd.name', 'evt.arg.flags', 'evt.rawarg.flags', 'evt.is_open_read', 'evt.is_open_write', 'evt.arg.name', 'evt.arg.fd']);
    expect(opens[2]).toEqual({
      'fd.name': '/etc/passwd',
      'evt.arg.flags': 'O_RDONLY|O_CLOEXEC',
      'evt.rawarg.flags': String(PPM_O.RDONLY | PPM_O.CLOEXEC),
      'evt.is_open_read': 'true',
      'evt.is_open_write': 'false',
      // evt.arg gives what libsinsp resolves: the path joined to its dirfd's, the fd's type and name
      'evt.arg.name': '/etc/passwd',
      'evt.arg.fd': '<f>/etc/passwd',
    });
    expect(opens[1]['fd.name']).toBe('/etc');
  });
});

describe('replay state: processes', () => {
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    ev({ type: 'clone', res: 200n, flags: PPM_CL.CLONE_CHILD_CLEARTID | PPM_CL.CLONE_CHILD_SETTID }),
    ev({ type: 'clone', tid: 200, pid: 200, ppid: 100, res: 0n }),
    ev({ type: 'execve', tid: 200, pid: 200, ppid: 100, comm: 'sudo', res: 0n, exe: 'sudo', exepath: '/usr/bin/sudo', args: ['cat', '/etc/shadow'], cwd: '/home/alice' }),
    ev({ type: 'setresuid', tid: 200, pid: 200, ppid: 100, comm: 'sudo', id: 0n, id2: 0n, id3: 0n, res: 0n }),
    ev({ type: 'clone', tid: 201, pid: 201, ppid: 200, comm: 'sudo', uid: 0, euid: 0, res: 0n }),
    ev({ type: 'execve', tid: 201, pid: 201, ppid: 200, comm: 'cat', uid: 0, euid: 0, gid: 0, egid: 0, res: 0n, exe: 'cat', exepath: '/usr/bin/cat', args: ['/etc/shadow'] }),
    ev({ type: 'openat', tid: 201, pid: 201, ppid: 200, comm: 'cat', uid: 0, euid: 0, gid: 0, egid: 0, dirfd: -100n, path: '/etc/shadow', flags: PPM_O.RDONLY, res: 3n }),
    ev({ type: 'exit_group', tid: 201, pid: 201, ppid: 200, comm: 'cat', uid: 0, euid: 0 }),
    ev({ type: 'read', tid: 201, pid: 201, ppid: 200, comm: 'cat', fd: 3n, res: 1n }),
  ]);

  it('follows clone and execve: names, command lines, ancestors, users', () => {
    const [open] = fieldValues(trace, 'evt.type=openat and fd.name=/etc/shadow', [
      'proc.name', 'proc.exe', 'proc.exepath', 'proc.cmdline', 'proc.args', 'proc.pname', 'proc.pcmdline', 'proc.aname[2]', 'proc.aname[3]',
      'proc.apid[2]', 'proc.pid', 'proc.ppid', 'user.name', 'user.uid', 'user.loginuid', 'user.loginname', 'group.gid', 'proc.cwd', 'proc.tty',
    ]);
    expect(open).toEqual({
      'proc.name': 'cat', 'proc.exe': 'cat', 'proc.exepath': '/usr/bin/cat', 'proc.cmdline': 'cat /etc/shadow', 'proc.args': '/etc/shadow',
      'proc.pname': 'sudo', 'proc.pcmdline': 'sudo cat /etc/shadow', 'proc.aname[2]': 'bash', 'proc.aname[3]': 'systemd', 'proc.apid[2]': '100',
      'proc.pid': '201', 'proc.ppid': '200', 'user.name': 'root', 'user.uid': '0', 'user.loginuid': '1000', 'user.loginname': 'alice', 'group.gid': '0',
      'proc.cwd': '/home/alice/', 'proc.tty': '34816',
    });
    const [sudo] = fieldValues(trace, 'evt.type=setresuid', ['proc.name', 'user.name', 'evt.rawarg.euid', 'evt.arg.euid', 'group.name', 'proc.aname']);
    // evt.arg of a uid is the user's name (<NA>: this trace's user table has no uid 0)
    expect(sudo).toEqual({ 'proc.name': 'sudo', 'user.name': 'alice', 'evt.rawarg.euid': '0', 'evt.arg.euid': '<NA>', 'group.name': 'staff', 'proc.aname': 'bash systemd' });
  });

  it('gives proc.loginshellid as the eldest shell among the process and its ancestors', () => {
    // cat (201) ← sudo (200) ← bash (100) ← systemd (1): bash is the only shell
    expect(fieldValues(trace, 'evt.type=openat and fd.name=/etc/shadow', ['proc.loginshellid', 'proc.sid'])).toEqual([{ 'proc.loginshellid': '100', 'proc.sid': '0' }]);
  });

  it('forgets a process after it exits', () => {
    const after = fieldValues(trace, 'evt.type=read', ['proc.pname', 'fd.name', 'proc.exepath']);
    expect(after).toEqual([{ 'proc.pname': 'sudo', 'fd.name': '', 'proc.exepath': '<NA>' }]);
  });
});

describe('replay state: sessions', () => {
  // bash (100) belongs to session 90, whose leader (sshd) exited before the trace began.
  const inSession = { ...bash, sid: 90, pgid: 100 };
  const trace = writeEvents(tmp.dir, [
    ...snapshot.map((e) => (e.tid === 100 ? { ...e, sid: 90, pgid: 100 } : e)),
    ev({ ...inSession, type: 'clone', res: 200n }),
    ev({ ...inSession, type: 'clone', tid: 200, pid: 200, ppid: 100, comm: 'bash', res: 0n }),
    ev({ ...inSession, type: 'getcwd', tid: 200, pid: 200, ppid: 100, comm: 'bash', res: 0n, path: '/' }),
    ev({ ...inSession, type: 'setsid', tid: 200, pid: 200, ppid: 100, comm: 'daemon', res: 200n }),
    ev({ ...inSession, type: 'getcwd', tid: 200, pid: 200, ppid: 100, comm: 'daemon', res: 0n, path: '/' }),
    // in a pid namespace of its own (vtid 1): its sid 1 is not host pid 1 (systemd)
    ev({ type: 'clone', tid: 300, pid: 300, ppid: 100, vtid: 1, vpid: 1, sid: 1, pgid: 1, comm: 'sh', res: 0n }),
    ev({ type: 'getcwd', tid: 300, pid: 300, ppid: 100, vtid: 1, vpid: 1, sid: 1, pgid: 1, comm: 'sh', res: 0n, path: '/' }),
  ]);

  it('finds the session leader as libsinsp does: pid = sid, else the eldest ancestor in the session', () => {
    const rows = fieldValues(trace, 'evt.type=getcwd', ['proc.pid', 'proc.sid', 'proc.sname', 'proc.sid.exe', 'proc.is_sid_leader']);
    expect(rows).toEqual([
      // leader gone: bash, the eldest ancestor sharing sid 90
      { 'proc.pid': '200', 'proc.sid': '90', 'proc.sname': 'bash', 'proc.sid.exe': '-bash', 'proc.is_sid_leader': 'false' },
      // setsid's result is the new session (parse_setsid_exit)
      { 'proc.pid': '200', 'proc.sid': '200', 'proc.sname': 'daemon', 'proc.sid.exe': '-bash', 'proc.is_sid_leader': 'true' },
      // a virtual sid is not looked up as a host pid; no ancestor shares it
      { 'proc.pid': '300', 'proc.sid': '1', 'proc.sname': '<NA>', 'proc.sid.exe': '<NA>', 'proc.is_sid_leader': 'true' },
    ]);
  });
});

describe('replay state: network', () => {
  const nc = { tid: 300, pid: 300, ppid: 100, comm: 'nc' };
  // The machine's interfaces say which addresses are local (fd.lip, fd.lport…), as libsinsp's ifaddr list.
  const withInterfaces = snapshot.map((e) => (e.type === 'snapshot_machine' ? { ...e, extra: { interfaces: 'lo=127.0.0.1 eth0=10.0.0.5 lo=::1' } } : e));
  const trace = writeEvents(tmp.dir, [
    ...withInterfaces,
    ev({ type: 'socket', ...nc, sock_family: 2, sock_type: 1, l4proto: 6, res: 3n }),
    ev({ type: 'connect', ...nc, fd: 3n, res: 0n, sock_family: 2, l4proto: 6, sip: '10.0.0.5', sport: 40112, dip: '203.0.113.50', dport: 4444 }),
    ev({ type: 'dup2', ...nc, fd: 3n, fd2: 0n, res: 0n }),
    ev({ type: 'read', ...nc, fd: 0n, res: 5n }),
    ev({ type: 'accept4', ...bash, fd: 6n, res: 9n, sock_family: 2, l4proto: 6, sip: '198.18.0.1', sport: 50000, dip: '10.0.0.5', dport: 80 }),
  ]);

  it('knows both ends of a connection, by role', () => {
    const [connect] = fieldValues(trace, 'evt.type=connect', ['fd.name', 'fd.cip', 'fd.sip', 'fd.lip', 'fd.rip', 'fd.cport', 'fd.sport', 'fd.lport', 'fd.rport', 'fd.l4proto', 'fd.sockfamily', 'fd.type', 'fd.connected', 'evt.arg.tuple']);
    expect(connect).toEqual({
      'fd.name': '10.0.0.5:40112->203.0.113.50:4444', 'fd.cip': '10.0.0.5', 'fd.sip': '203.0.113.50', 'fd.lip': '10.0.0.5', 'fd.rip': '203.0.113.50',
      'fd.cport': '40112', 'fd.sport': '4444', 'fd.lport': '40112', 'fd.rport': '4444', 'fd.l4proto': 'tcp', 'fd.sockfamily': 'ip', 'fd.type': 'ipv4',
      'fd.connected': 'true', 'evt.arg.tuple': '10.0.0.5:40112->203.0.113.50:4444',
    });
    const [accepted] = fieldValues(trace, 'evt.type=accept4', ['fd.num', 'fd.lip', 'fd.rip', 'fd.lport', 'fd.rport']);
    expect(accepted).toEqual({ 'fd.num': '9', 'fd.lip': '10.0.0.5', 'fd.rip': '198.18.0.1', 'fd.lport': '80', 'fd.rport': '50000' });
    // stdin of nc is now the socket
    expect(fieldValues(trace, 'evt.type=read and fd.num=0', ['fd.name', 'fd.typechar'])).toEqual([{ 'fd.name': '10.0.0.5:40112->203.0.113.50:4444', 'fd.typechar': '4' }]);
  });

  it('takes the server side as the local one when the client address is not the machine\'s (libsinsp)', () => {
    const other = writeEvents(tmp.dir, [
      ...snapshot,
      ev({ type: 'socket', ...nc, sock_family: 2, sock_type: 1, l4proto: 6, res: 3n }),
      ev({ type: 'connect', ...nc, fd: 3n, res: 0n, sock_family: 2, l4proto: 6, sip: '10.0.0.5', sport: 40112, dip: '203.0.113.50', dport: 4444 }),
    ]);
    // no interface list: 10.0.0.5 is not known to be local
    expect(fieldValues(other, 'evt.type=connect', ['fd.lip', 'fd.lport', 'fd.rip', 'fd.rport', 'fd.lproto', 'fd.cproto', 'fd.sproto'])).toEqual([
      { 'fd.lip': '203.0.113.50', 'fd.lport': '4444', 'fd.rip': '10.0.0.5', 'fd.rport': '40112', 'fd.lproto': '4444', 'fd.cproto': '40112', 'fd.sproto': '4444' },
    ]);
  });

  it('matches CIDR networks and port ranges in conditions', () => {
    expect(fieldValues(trace, 'evt.type=connect and fd.snet in ("203.0.113.0/24") and fd.rport > 1024', ['proc.name'])).toEqual([{ 'proc.name': 'nc' }]);
    expect(fieldValues(trace, 'evt.type=connect and fd.snet in ("10.0.0.0/8")', ['proc.name'])).toEqual([]);
  });
});

describe('replay state: containers', () => {
  const id = 'a'.repeat(12) + 'b'.repeat(52);
  const inCtr = { tid: 500, pid: 500, ppid: 400, comm: 'sh', uid: 0, euid: 0, gid: 0, egid: 0 };
  const trace = writeEvents(tmp.dir, [
    { type: 'snapshot_machine', name: 'node-1' },
    {
      type: 'snapshot_container', container_id: id.slice(0, 12), name: 'k8s_web_web-7d9_prod', image: 'docker.io/library/nginx:1.25', privileged: true,
      mounts: ['/var/run/docker.sock:/var/run/docker.sock::true:rprivate', '/etc:/host/etc:ro:false:rprivate'],
      extra: { runtime: 'containerd', 'label.io.kubernetes.pod.name': 'web-7d9', 'label.io.kubernetes.pod.namespace': 'prod', 'label.app': 'web' },
    },
    { type: 'snapshot_proc', ...inCtr, exe: 'sh', exepath: '/bin/sh', args: [], cwd: '/', cgroup: `/kubepods.slice/kubepods-pod1.slice/cri-containerd-${id}.scope` },
    { type: 'snapshot_proc', tid: 600, pid: 600, ppid: 1, comm: 'sshd', exe: 'sshd', exepath: '/usr/sbin/sshd', args: [], cwd: '/', cgroup: '/system.slice/ssh.service' },
    { type: 'snapshot_end' },
    ev({ type: 'execve', ...inCtr, comm: 'id', res: 0n, exe: 'id', exepath: '/usr/bin/id', args: [] }),
    ev({ type: 'execve', tid: 600, pid: 600, ppid: 1, comm: 'bash', res: 0n, exe: 'bash', exepath: '/usr/bin/bash', args: [] }),
  ]);

  it('finds the container from the cgroup and its metadata from the snapshot', () => {
    const [inside, host] = fieldValues(trace, 'evt.type=execve', [
      'container.id', 'container.name', 'container.image.repository', 'container.image.tag', 'container.privileged', 'container.type',
      'container.mount.dest[/var/run/docker.sock]', 'container.mount.mode[/etc]', 'container.mount.source[/host/etc]', 'k8s.pod.name', 'k8s.ns.name', 'k8s.pod.label[app]',
    ]);
    expect(inside).toEqual({
      'container.id': 'aaaaaaaaaaaa', 'container.name': 'k8s_web_web-7d9_prod', 'container.image.repository': 'docker.io/library/nginx',
      'container.image.tag': '1.25', 'container.privileged': 'true', 'container.type': 'containerd',
      'container.mount.dest[/var/run/docker.sock]': '/var/run/docker.sock', 'container.mount.mode[/etc]': 'ro', 'container.mount.source[/host/etc]': '/etc',
      'k8s.pod.name': 'web-7d9', 'k8s.ns.name': 'prod', 'k8s.pod.label[app]': 'web',
    });
    expect(host['container.id']).toBe('host');
    expect(host['container.name']).toBe('host');
    expect(host['k8s.pod.name']).toBe('<NA>');
  });
});

describe('replay state: fd fields as libsinsp scopes them', () => {
  const trace = writeEvents(tmp.dir, [
    ...snapshot,
    ev({ type: 'openat', dirfd: -100n, path: '/etc/hosts', flags: PPM_O.RDONLY, res: 3n }),
    ev({ type: 'socket', res: 4n, sock_family: 2, sock_type: 1, l4proto: 6 }),
    ev({ type: 'poll', res: 1n, extra: { fds: '3:1 4:1 0:1 9:1' } }),
    ev({ type: 'getpid', res: 100n }),
    ev({ type: 'read', fd: 3n, res: -11n }),
  ]);

  it('gives fdlist.* for poll only, fd.* for fd events only, and counts errors by fd kind', () => {
    const rows = fieldValues(trace, 'evt.type in (poll, getpid, read)', ['evt.type', 'fdlist.nums', 'fdlist.names', 'fd.name', 'fd.uid', 'evt.count.error', 'evt.count.error.file', 'evt.count.error.net', 'evt.count.exit']);
    expect(rows).toEqual([
      // poll has no fd of its own (not an fd event); its list names each fd it waits on
      { 'evt.type': 'poll', 'fdlist.nums': '3,4,0,9', 'fdlist.names': '/etc/hosts,<NA>,/dev/pts/0,<NA>', 'fd.name': '<NA>', 'fd.uid': '<NA>', 'evt.count.error': '0', 'evt.count.error.file': '<NA>', 'evt.count.error.net': '<NA>', 'evt.count.exit': '1' },
      { 'evt.type': 'getpid', 'fdlist.nums': '<NA>', 'fdlist.names': '<NA>', 'fd.name': '<NA>', 'fd.uid': '<NA>', 'evt.count.error': '0', 'evt.count.error.file': '<NA>', 'evt.count.error.net': '<NA>', 'evt.count.exit': '1' },
      { 'evt.type': 'read', 'fdlist.nums': '<NA>', 'fdlist.names': '<NA>', 'fd.name': '/etc/hosts', 'fd.uid': '1003', 'evt.count.error': '1', 'evt.count.error.file': '1', 'evt.count.error.net': '<NA>', 'evt.count.exit': '1' },
    ]);
  });
});
