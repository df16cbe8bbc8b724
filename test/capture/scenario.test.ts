import { createServer, type Server } from 'node:net';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/trace/event.js';
import { PPM_EXE, PPM_O } from '../../src/trace/flags.js';
import { tempDir } from '../helpers/cli.js';
import { captureSuite, isSyscallRow, readEvents, runTsfalco, type Run } from './helpers.js';

/**
 * One real capture of a scripted incident (--only-command), then checks that each action is in
 * the trace with the right process, names, paths, flags, addresses and results.
 */

const SCENARIO = `set -e
D="$1"; PORT="$2"
cp /bin/cat "$D/notcat"
"$D/notcat" /etc/shadow > /dev/null
/bin/echo hello world 'a b' > /dev/null
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; echo hi >&3; exec 3>&-"
mkdir "$D/sub"
echo data > "$D/sub/file.txt"
perl -e '
  use IO::Handle;
  my $name = "tsfmemfd"; my $fd = syscall(319, $name, 0); die "memfd_create: $!" if $fd < 0;
  open(my $dst, ">&=", $fd) or die "fdopen: $!"; binmode $dst;
  open(my $src, "<:raw", "/bin/true") or die; my $data = do { local $/; <$src> }; print {$dst} $data; $dst->flush;
  exec {"/proc/self/fd/$fd"} "memfdchild", "arg1" or die "exec: $!";
'
exit 7
`;

captureSuite('tsfalco capture: a scripted incident', () => {
  const tmp = tempDir('tsfalco-capture-');
  let server: Server;
  let port = 0;
  let run: Run;
  let events: TraceEvent[];
  const trace = join(tmp.dir, 'scenario.arrow');
  const script = join(tmp.dir, 'scenario.sh');

  beforeAll(async () => {
    server = createServer((s) => s.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    writeFileSync(script, SCENARIO);
    run = await runTsfalco(['capture', '-o', trace, '--only-command', '--events', 'default,read', '--', 'sh', script, tmp.dir, String(port)]);
    events = readEvents(trace);
  }, 60_000);
  afterAll(() => {
    server?.close();
    tmp.cleanup();
  });

  const shellPid = () => events.find((e) => e.type === 'execve' && e.res === 0n && e.exe === 'sh' && e.args?.[0] === script)!.pid!;
  const execOf = (pred: (e: TraceEvent) => boolean) => events.find((e) => e.type === 'execve' && e.res === 0n && pred(e));

  it('returns the command\'s exit code and writes a complete 0600 trace with a snapshot and statistics', () => {
    expect(run.stderr).toMatch(/wrote .*scenario\.arrow \(command exited\)/);
    expect(run.status).toBe(7);
    expect(statSync(trace).mode & 0o777).toBe(0o600);
    expect(events[0].type).toBe('snapshot_machine');
    expect(events.some((e) => e.type === 'snapshot_proc' && e.pid === 1)).toBe(true);
    expect(events.some((e) => e.type === 'snapshot_user' && e.name === 'root' && e.uid === 0)).toBe(true);
    const total = events.filter((e) => e.type === 'capture_stats' && e.cpu === -1).pop();
    expect(total?.n_drops).toBe(0n);
    // Every row the kernel side emitted is in the trace: nothing lost between helper and writer.
    expect(total?.n_events).toBe(BigInt(events.filter(isSyscallRow).length));
    expect(events.filter(isSyscallRow).every((e) => e.dir === '<')).toBe(true);
  });

  it('records only the command\'s process tree', () => {
    const sh = shellPid();
    const pids = new Set(events.filter(isSyscallRow).map((e) => e.pid));
    expect(pids.has(process.pid)).toBe(false);
    // Every process but the command itself was started by another process of the tree.
    for (const e of events.filter((e) => e.type === 'execve' && e.res === 0n && e.pid !== sh)) expect(pids.has(e.ppid!)).toBe(true);
    expect(events.find((e) => e.type === 'execve' && e.pid === sh)?.ppid).toBe(run.pid);
  });

  it('opens and reads /etc/shadow from a renamed binary', () => {
    const notcat = execOf((e) => e.comm === 'notcat');
    expect(notcat).toMatchObject({ exepath: join(tmp.dir, 'notcat'), exe: join(tmp.dir, 'notcat'), args: ['/etc/shadow'], ppid: shellPid(), uid: 0, euid: 0 });
    expect(notcat!.exe_flags! & PPM_EXE.WRITABLE).toBe(PPM_EXE.WRITABLE); // root owns the copy
    const open = events.find((e) => e.type === 'openat' && e.path === '/etc/shadow')!;
    expect(open).toMatchObject({ pid: notcat!.pid, comm: 'notcat', dirfd: -100n, fd_type: 'file' });
    expect(open.flags! & PPM_O.RDWR).toBe(PPM_O.RDONLY);
    expect(open.res! >= 0n).toBe(true);
    expect(open.ino).toBe(BigInt(statSync('/etc/shadow').ino));
    const read = events.find((e) => e.type === 'read' && e.pid === notcat!.pid && e.fd === open.res && e.num > open.num)!;
    expect(read.res).toBe(BigInt(statSync('/etc/shadow').size));
  });

  it('execs a child with arguments, seen from the clone in both processes', () => {
    const echo = execOf((e) => e.comm === 'echo')!;
    expect(echo).toMatchObject({ exe: '/bin/echo', args: ['hello', 'world', 'a b'], exepath: '/usr/bin/echo', ppid: shellPid(), path: '/bin/echo', cwd: process.cwd() });
    expect(echo.vpid).toBe(echo.pid);
    expect(echo.start_ts! > 0n && echo.start_ts! <= echo.ts).toBe(true);
    const clones = events.filter((e) => ['clone', 'clone3', 'fork', 'vfork'].includes(e.type));
    expect(clones.find((e) => e.pid === shellPid() && e.res === BigInt(echo.pid!))).toBeDefined();
    expect(clones.find((e) => e.pid === echo.pid && e.res === 0n)).toMatchObject({ ppid: shellPid() });
    expect(events.find((e) => e.type === 'procexit' && e.pid === echo.pid)).toMatchObject({ id: 0n });
  });

  it('connects to a local TCP listener', () => {
    const bash = execOf((e) => e.comm === 'bash')!;
    // bash may also talk to unix sockets (name service lookups for /dev/tcp on some hosts): the
    // test is about its one IPv4 socket.
    const socket = events.find((e) => e.type === 'socket' && e.pid === bash.pid && e.sock_family === 2)!;
    expect(socket).toMatchObject({ sock_family: 2, sock_type: 1, l4proto: 6, fd_type: 'ipv4' });
    // An earlier, failed unix connect can have used the same fd number: take the socket's own.
    const connect = events.find((e) => e.type === 'connect' && e.pid === bash.pid && e.fd === socket.res && e.num > socket.num)!;
    expect(connect).toMatchObject({ res: 0n, fd: socket.res, sock_family: 2, l4proto: 6, fd_type: 'ipv4', sip: '127.0.0.1', dip: '127.0.0.1', dport: port });
    expect(connect.sport! > 0).toBe(true);
  });

  it('writes below a temp dir', () => {
    const mkdir = events.find((e) => (e.type === 'mkdir' || e.type === 'mkdirat') && e.path === join(tmp.dir, 'sub'))!;
    expect(mkdir).toMatchObject({ res: 0n, comm: 'mkdir', mode: 0o777 });
    const open = events.find((e) => e.type === 'openat' && e.path === join(tmp.dir, 'sub/file.txt'))!;
    expect(open.pid).toBe(shellPid());
    expect(open.flags).toBe(PPM_O.WRONLY | PPM_O.CREAT | PPM_O.TRUNC | PPM_O.F_CREATED);
    expect(open.mode).toBe(0o666);
    expect(open.res! >= 0n).toBe(true);
  });

  it('creates and executes a memfd', () => {
    const memfd = events.find((e) => e.type === 'memfd_create' && e.name === 'tsfmemfd')!;
    expect(memfd).toMatchObject({ comm: 'perl', fd_type: 'memfd', flags: 0 });
    expect(memfd.res! >= 3n).toBe(true);
    const exec = execOf((e) => e.pid === memfd.pid && e.path === `/proc/self/fd/${memfd.res}`)!;
    expect(exec).toMatchObject({ exe: 'memfdchild', args: ['arg1'], exepath: '/memfd:tsfmemfd' });
    expect(exec.exe_flags! & PPM_EXE.FROM_MEMFD).toBe(PPM_EXE.FROM_MEMFD);
  });
});
