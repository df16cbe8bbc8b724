import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { helperArgs, helperPath } from '../../src/capture/helper.js';
import { selectSyscalls } from '../../src/capture/syscalls.js';
import { PPM_O } from '../../src/trace/flags.js';
import { tempDir } from '../helpers/cli.js';
import { decodeBothWays } from './decode-compare.js';
import { captureSuite } from './helpers.js';

/**
 * `tsfalco capture` decodes the helper's records straight into the writer's columns
 * (decode-columns.ts); decode.ts states the same mapping as TraceEvents. Both must give the same
 * rows: on a synthesized stream with every item and every special case, and on a real one.
 */

const NAMES = selectSyscalls('all').names;
const NR = new Map([...NAMES].map(([nr, name]) => [name, nr]));

class Stream {
  private parts: Buffer[] = [];

  hello(boot: bigint): this {
    const b = Buffer.alloc(32);
    b.writeUInt16LE(32, 0);
    b[2] = 4;
    b.writeUInt32LE(0x31465354, 4);
    b.writeUInt32LE(1, 8);
    b.writeUInt32LE(2, 12);
    b.writeBigInt64LE(boot, 16);
    b.writeUInt32LE(1234, 24);
    b.writeUInt32LE(1 << 23, 28);
    this.parts.push(b);
    return this;
  }

  syscall(
    name: string | number,
    o: { ret?: bigint; args?: (number | bigint)[]; comm?: string | Buffer; noExit?: boolean; ts?: bigint; pid?: number; items?: [number, Buffer][] } = {},
  ): this {
    const nr = typeof name === 'number' ? name : NR.get(name)!;
    expect(nr).toBeDefined();
    const items = (o.items ?? []).map(([tag, data]) => {
      const h = Buffer.alloc(4);
      h.writeUInt16LE(tag, 0);
      h.writeUInt16LE(data.length, 2);
      return Buffer.concat([h, data]);
    });
    const b = Buffer.alloc(128);
    const size = 128 + items.reduce((s, i) => s + i.length, 0);
    b.writeUInt16LE(size, 0);
    b[2] = 1;
    b[3] = o.noExit ? 1 : 0;
    b.writeUInt16LE(nr, 4);
    b.writeUInt16LE(1, 6);
    b.writeBigUInt64LE(o.ts ?? 0xfffffff0n + BigInt(this.parts.length), 8);
    b.writeBigUInt64LE(0x1_0000_0005n, 16);
    b.writeBigInt64LE(o.ret ?? 0n, 24);
    const pid = o.pid ?? 4242;
    [pid + 1, pid, 1, 1000, 1000, 0, 0, 0xffffffff].forEach((v, i) => b.writeUInt32LE(v, 32 + 4 * i));
    const comm = typeof o.comm === 'string' || o.comm === undefined ? Buffer.from(o.comm ?? 'cat') : o.comm;
    comm.copy(b, 64, 0, 16);
    (o.args ?? []).forEach((a, i) => b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 80 + 8 * i));
    this.parts.push(b, ...items);
    return this;
  }

  procexit(pid: number, code: number): this {
    const b = Buffer.alloc(56);
    b.writeUInt16LE(56, 0);
    b[2] = 2;
    b.writeUInt16LE(0, 6);
    b.writeBigUInt64LE(123456789n, 8);
    b.writeInt32LE(pid, 16);
    b.writeInt32LE(pid, 20);
    b.writeInt32LE(1, 24);
    b.writeInt32LE(code, 28);
    Buffer.from('sh').copy(b, 40);
    this.parts.push(b);
    return this;
  }

  stats(ncpus: number, events: bigint, drops: bigint): this {
    const b = Buffer.alloc(16 + 16 * ncpus);
    b.writeUInt16LE(b.length, 0);
    b[2] = 3;
    b.writeUInt32LE(ncpus, 4);
    b.writeBigUInt64LE(99n, 8);
    for (let i = 0; i < ncpus; i++) {
      b.writeBigUInt64LE(events, 16 + 16 * i);
      b.writeBigUInt64LE(drops, 24 + 16 * i);
    }
    this.parts.push(b);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const ITEM = { PATH: 1, PATH2: 2, NAME: 3, SOCKADDR: 4, SOCK: 5, ARGV: 6, ENV: 7, EXEPATH: 8, CWD: 9, CGROUP: 10, PROC: 11, FILE: 12, DATA: 13, CLONE3: 14, FDPAIR: 15, FILENAME: 16, OPEN_HOW: 17 };
const str = (s: string) => Buffer.from(s);
const components = (...leafFirst: string[]) => Buffer.from(leafFirst.map((c) => c + '\0').join(''));

function sock(family: number, type: number, proto: number, lport: number, rport: number, laddr: number[], raddr: number[]): Buffer {
  const b = Buffer.alloc(40);
  b[0] = family;
  b[1] = type;
  b[2] = proto;
  b.writeUInt16LE(lport, 4);
  b.writeUInt16LE(rport, 6);
  Buffer.from(laddr).copy(b, 8);
  Buffer.from(raddr).copy(b, 24);
  return b;
}
const V6_LOOP = [...Array(15).fill(0), 1];
const V6_DOC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];

function sin(port: number, ip: number[]): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(ip).copy(b, 4);
  return b;
}
function sin6(port: number, ip: number[]): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(ip).copy(b, 8);
  return b;
}
function sun(path: string, abstract = false): Buffer {
  const b = Buffer.alloc(2 + (abstract ? 1 : 0) + path.length + 1);
  b.writeUInt16LE(1, 0);
  Buffer.from(path).copy(b, abstract ? 3 : 2);
  return b;
}
function proc(start: bigint): Buffer {
  const b = Buffer.alloc(80);
  [0x8801, 100, 100, 7, 7, 5].forEach((v, i) => b.writeUInt32LE(v, 4 * i));
  [12345n, 1_700_000_000_123_456_789n, 1_700_000_000_987_654_321n, 0n, 0x1ffffffffffn, 0xffffffffffffffffn, start].forEach((v, i) => b.writeBigUInt64LE(v, 24 + 8 * i));
  return b;
}
function file(dev: number, mode: number, ino: bigint, fmode: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(dev, 0);
  b.writeUInt32LE(mode, 4);
  b.writeBigUInt64LE(ino, 8);
  b.writeUInt32LE(fmode, 16);
  return b;
}
const fdpair = (a: number, b: number) => {
  const x = Buffer.alloc(8);
  x.writeInt32LE(a, 0);
  x.writeInt32LE(b, 4);
  return x;
};
const u64 = (v: bigint) => {
  const x = Buffer.alloc(8);
  x.writeBigUInt64LE(v);
  return x;
};
/** openat2's struct open_how { u64 flags, mode, resolve } (kernel values). */
const openHow = (flags: number, mode: number, resolve: number) => {
  const x = Buffer.alloc(24);
  x.writeBigUInt64LE(BigInt(flags), 0);
  x.writeBigUInt64LE(BigInt(mode), 8);
  x.writeBigUInt64LE(BigInt(resolve), 16);
  return x;
};

function everything(): Buffer {
  const s = new Stream().hello(1_700_000_000_000_000_000n - 3n);
  s.syscall('openat', { ret: 3n, args: [-100, 0, 0o1 | 0o100 | 0o2000000, 0o644], items: [[ITEM.PATH, str('/tmp/x')], [ITEM.FILE, file((8 << 20) | 1, 0o100644, 42n, 0x100000)]] })
    .syscall('openat', { ret: 4n, args: [-100, 0, 0o200000, 0], items: [[ITEM.PATH, str('/tmp')], [ITEM.FILE, file((259 << 20) | 300, 0o040755, 2n ** 40n, 0)]] })
    .syscall('openat', { ret: -2n, args: [5, 0, 0, 0], items: [[ITEM.PATH, str('caf\u00e9/\u00fcber')]] })
    .syscall('openat', { ret: -2n, args: [5, 0, 0, 0], items: [[ITEM.PATH, Buffer.from([0x2f, 0xff, 0xfe, 0x41])]] })
    .syscall('open', { ret: 3n, args: [0, 0o2, 0], items: [[ITEM.PATH, str('/etc/passwd')], [ITEM.FILE, file(1, 0o100644, 7n, 0)]] })
    .syscall('creat', { ret: 3n, args: [0, 0o600], items: [[ITEM.PATH, str('/tmp/new')], [ITEM.FILE, file(1, 0o100600, 8n, 0x100000)]] })
    // openat2: O_WRONLY|O_CREAT|O_CLOEXEC, 0640, RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, created; a read without
    // O_CREAT whose mode is dropped (libs' open_modes_to_scap); a failure; one whose open_how could not be read.
    .syscall('openat2', { ret: 5n, args: [7, 0, 0x7ff000, 24], items: [[ITEM.PATH, str('out.txt')], [ITEM.OPEN_HOW, openHow(0o1 | 0o100 | 0o2000000, 0o640, 0x08 | 0x04)], [ITEM.FILE, file(1, 0o100640, 9n, 0x100000)]] })
    .syscall('openat2', { ret: 6n, args: [-100, 0, 0x7ff000, 24], items: [[ITEM.PATH, str('/etc/hostname')], [ITEM.OPEN_HOW, openHow(0, 0o777, 0x01 | 0x02 | 0x10 | 0x20)], [ITEM.FILE, file(1, 0o100644, 10n, 0)]] })
    .syscall('openat2', { ret: -18n, args: [-100, 0, 0x7ff000, 32], items: [[ITEM.PATH, str('/mnt/x')], [ITEM.OPEN_HOW, openHow(0o2, 0, 0x01)]] })
    .syscall('openat2', { ret: -14n, args: [-100, 0, 0, 24], items: [[ITEM.PATH, str('/bad/how')]] })
    .syscall('execve', {
      ret: 0n,
      comm: 'echo',
      items: [
        [ITEM.FILENAME, str('/bin/echo')],
        [ITEM.ARGV, Buffer.from('echo\0hello\0a b\0')],
        [ITEM.ENV, Buffer.from('A=1\0B=2')],
        [ITEM.EXEPATH, components('echo', 'bin', 'usr')],
        [ITEM.CWD, components('root')],
        [ITEM.CGROUP, components('session-1.scope', 'user.slice')],
        [ITEM.PROC, proc(5_000_000_000n)],
      ],
    })
    .syscall('execve', { ret: -2n, items: [[ITEM.FILENAME, str('/nonexistent')]] })
    .syscall('execve', { ret: 0n, items: [[ITEM.ARGV, Buffer.alloc(0)], [ITEM.CWD, Buffer.alloc(0)]] })
    .syscall('execveat', { ret: 0n, args: [3, 0, 0, 0, 0x1000], items: [[ITEM.FILENAME, str('')], [ITEM.ARGV, Buffer.from('x\0')], [ITEM.PROC, proc(0n)]] })
    .syscall('clone', { ret: 4243n, args: [0x3d0f00], items: [[ITEM.PROC, proc(0n)]] })
    .syscall('clone', { ret: 0n, args: [0x1200011], items: [[ITEM.PROC, proc(1n)]] })
    .syscall('clone3', { ret: 4244n, args: [0x7ffd0000, 88], items: [[ITEM.CLONE3, u64(0x1_0000_4111n)], [ITEM.PROC, proc(9n)]] })
    .syscall('fork', { ret: 4245n, items: [[ITEM.PROC, proc(9n)]] })
    .syscall('vfork', { ret: 4246n, items: [[ITEM.PROC, proc(9n)]] })
    .syscall('socket', { ret: 3n, args: [2, 1 | 0o4000, 0] })
    .syscall('socket', { ret: 3n, args: [10, 2 | 0o2000000, 0] })
    .syscall('socket', { ret: 3n, args: [2, 3, 1] })
    .syscall('socket', { ret: 3n, args: [1, 1, 0] })
    .syscall('socket', { ret: 3n, args: [16, 3, 9] })
    .syscall('connect', { ret: 0n, args: [3, 0, 16], items: [[ITEM.SOCKADDR, sin(8080, [127, 0, 0, 1])], [ITEM.SOCK, sock(2, 1, 6, 40000, 8080, [127, 0, 0, 1], [127, 0, 0, 1])]] })
    .syscall('connect', { ret: -111n, args: [3, 0, 16], items: [[ITEM.SOCKADDR, sin(9, [10, 1, 2, 3])], [ITEM.SOCK, sock(2, 1, 6, 0, 0, [0, 0, 0, 0], [0, 0, 0, 0])]] })
    .syscall('connect', { ret: 0n, args: [3, 0, 28], items: [[ITEM.SOCKADDR, sin6(443, V6_DOC)], [ITEM.SOCK, sock(10, 1, 6, 5555, 443, V6_LOOP, V6_DOC)]] })
    .syscall('connect', { ret: 0n, args: [3, 0, 20], items: [[ITEM.SOCKADDR, sun('/run/x.sock')], [ITEM.SOCK, sock(1, 1, 0, 0, 0, [], [])]] })
    .syscall('connect', { ret: 0n, args: [3, 0, 12], items: [[ITEM.SOCKADDR, sun('abs', true)], [ITEM.SOCK, sock(1, 2, 0, 0, 0, [], [])]] })
    .syscall('connect', { ret: 0n, args: [3, 0, 16], items: [[ITEM.SOCKADDR, sin(53, [8, 8, 8, 8])]] })
    .syscall('connect', { ret: 0n, args: [3, 0, 1], items: [[ITEM.SOCKADDR, Buffer.from([2])]] })
    .syscall('accept4', { ret: 5n, args: [3, 0, 0, 0o4000], items: [[ITEM.SOCK, sock(2, 1, 6, 8080, 40000, [127, 0, 0, 1], [127, 0, 0, 2])]] })
    .syscall('accept', { ret: -11n, args: [3] })
    .syscall('listen', { ret: 0n, args: [3, 128], items: [[ITEM.SOCK, sock(10, 1, 6, 8080, 0, V6_LOOP, [])]] })
    .syscall('bind', { ret: 0n, args: [3, 0, 16], items: [[ITEM.SOCKADDR, sin(8080, [0, 0, 0, 0])], [ITEM.SOCK, sock(2, 1, 6, 0, 0, [], [])]] })
    .syscall('bind', { ret: 0n, args: [3, 0, 12], items: [[ITEM.SOCKADDR, Buffer.from([16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])], [ITEM.SOCK, sock(16, 3, 9, 0, 0, [], [])]] })
    .syscall('bind', { ret: 0n, args: [3, 0, 4], items: [[ITEM.SOCKADDR, Buffer.from([99, 0, 0, 0])], [ITEM.SOCK, sock(99, 1, 0, 0, 0, [], [])]] })
    .syscall('sendto', { ret: 5n, args: [3, 0, 5, 0x40, 0, 16], items: [[ITEM.SOCK, sock(2, 2, 17, 5000, 0, [10, 0, 0, 1], [])], [ITEM.SOCKADDR, sin(53, [10, 0, 0, 53])], [ITEM.DATA, str('hello')]] })
    .syscall('sendto', { ret: 5n, args: [3, 0, 5, 0, 0, 0], items: [[ITEM.SOCK, sock(2, 1, 6, 5000, 80, [10, 0, 0, 1], [10, 0, 0, 80])], [ITEM.DATA, Buffer.from([0, 1, 2, 255])]] })
    .syscall('sendmsg', { ret: 5n, args: [3, 0, 0], items: [[ITEM.SOCK, sock(1, 2, 0, 0, 0, [], [])]] })
    .syscall('recvfrom', { ret: 5n, args: [3, 0, 512, 0], items: [[ITEM.SOCK, sock(2, 2, 17, 53, 40000, [10, 0, 0, 53], [10, 0, 0, 1])], [ITEM.DATA, str('hi')]] })
    .syscall('recvfrom', { ret: 5n, args: [3, 0, 512, 0], items: [[ITEM.SOCK, sock(10, 2, 17, 53, 0, V6_DOC, [])]] })
    .syscall('recvmsg', { ret: 5n, args: [3, 0, 0], items: [[ITEM.SOCK, sock(1, 1, 0, 0, 0, [], [])]] })
    .syscall('shutdown', { ret: 0n, args: [3, 1], items: [[ITEM.SOCK, sock(2, 1, 6, 40000, 8080, [127, 0, 0, 1], [127, 0, 0, 1])]] })
    .syscall('memfd_create', { ret: 3n, args: [0, 1], items: [[ITEM.NAME, str('tsfmemfd')]] })
    .syscall('pipe2', { ret: 0n, args: [0, 0o2000000 | 0o4000], items: [[ITEM.FDPAIR, fdpair(3, 4)]] })
    .syscall('pipe', { ret: -24n, args: [0] })
    .syscall('socketpair', { ret: 0n, args: [1, 1, 0, 0], items: [[ITEM.FDPAIR, fdpair(5, -1)]] })
    .syscall('fcntl', { ret: 10n, args: [3, 0, 10] })
    .syscall('fcntl', { ret: 11n, args: [3, 1030, 10] })
    .syscall('fcntl', { ret: -9n, args: [3, 1030, 10] })
    .syscall('fcntl', { ret: 2n, args: [3, 3] })
    .syscall('fcntl', { ret: 0n, args: [3, 0x1_0000_0000n] })
    .syscall('mmap', { ret: 0x7f0000000000n, args: [0, 0x2000n, 5, 0x802, 3, 0] })
    .syscall('mprotect', { ret: 0n, args: [0xffff_8000_0000_0000n, 4096, 7] })
    .syscall('read', { ret: 3n, args: [3, 0, 0xffff_ffff_ffffn], items: [[ITEM.DATA, str('abc')]] })
    .syscall('write', { ret: -14n, args: [-100, 0, -1] })
    .syscall('renameat2', { ret: 0n, args: [-100, 0, 7, 0, 1], items: [[ITEM.PATH, str('a')], [ITEM.PATH2, str('b')]] })
    .syscall('mount', { ret: 0n, args: [0, 0, 0, 0x1000], items: [[ITEM.PATH, str('none')], [ITEM.PATH2, str('/mnt')], [ITEM.NAME, str('tmpfs')]] })
    .syscall('setresuid', { ret: 0n, args: [0, 0xffffffff, 1000] })
    .syscall('kill', { ret: 0n, args: [-1, 9] })
    .syscall('ptrace', { ret: -1n, args: [16, 4242] })
    .syscall('dup3', { ret: 5n, args: [3, 5, 0o2000000] })
    .syscall('unshare', { ret: 0n, args: [0x20000000] })
    .syscall('prctl', { ret: 0n, args: [15, 0], items: [[ITEM.NAME, str('worker')]] })
    .syscall('exit_group', { noExit: true, args: [3] })
    .syscall('exit', { noExit: true, args: [-1] })
    .syscall('getpid', { ret: 4242n, comm: Buffer.from('sixteen-chars-xx') })
    .syscall('getpid', { ret: 4242n, comm: Buffer.from([0x63, 0xc3, 0xa9, 0, 0x7a, 0x7a]) })
    .syscall(499, { ret: -38n })
    .syscall('openat', { ret: 3n, args: [-100, 0, 0, 0], items: [[99, str('unknown item')], [ITEM.PATH, str('/after/unknown')]] })
    .syscall('openat', { ret: 3n, args: [-100, 0, 0, 0], items: [[ITEM.PATH, str('/cut')]] })
    .procexit(4243, 256)
    .procexit(4244, -1)
    .stats(2, 100n, 3n);
  // An item whose length runs past the record: the rest of the record is ignored.
  const out = s.bytes();
  const lastOpen = out.lastIndexOf(Buffer.from('/cut'));
  out.writeUInt16LE(200, lastOpen - 2);
  return out;
}

describe('decode-columns.ts writes what decode.ts decodes', () => {
  it('every item and special case, across chunk and batch boundaries', () => {
    const stream = everything();
    const full = decodeBothWays(stream, NAMES);
    expect(full.reference.length).toBeGreaterThan(70);
    expect(full.columns).toEqual(full.reference);
    // Not only the same rows: the same file, byte for byte (dictionary order included).
    expect(full.columnsBytes.equals(full.referenceBytes)).toBe(true);
    // A few checks on the reference itself, so that "equal" means "right".
    const rows = full.reference;
    expect(rows.find((e) => e.type === 'execve' && e.res === 0n)).toMatchObject({ exe: 'echo', args: ['hello', 'a b'], env: ['A=1', 'B=2'], exepath: '/usr/bin/echo', cwd: '/root', cgroup: '/user.slice/session-1.scope' });
    expect(rows.find((e) => e.type === 'connect' && e.dport === 8080)).toMatchObject({ sip: '127.0.0.1', sport: 40000, dip: '127.0.0.1', fd_type: 'ipv4' });
    expect(rows.find((e) => e.type === 'fcntl' && e.res === 10n)).toMatchObject({ fd2: 10n });
    expect(rows.find((e) => e.type === 'getpid' && e.comm?.startsWith('six'))?.comm).toBe('sixteen-chars-xx');
    const openat2 = rows.filter((e) => e.type === 'openat2');
    expect(openat2.map((e) => [e.path, e.dirfd, e.flags, e.mode, e.extra?.resolve])).toEqual([
      ['out.txt', 7n, PPM_O.WRONLY | PPM_O.CREAT | PPM_O.CLOEXEC | PPM_O.F_CREATED, 0o640, '9'], // PPM_RESOLVE_BENEATH | PPM_RESOLVE_NO_SYMLINKS
      ['/etc/hostname', -100n, PPM_O.RDONLY, 0, '54'], // NO_XDEV 16 | NO_MAGICLINKS 4 | IN_ROOT 2 | CACHED 32
      ['/mnt/x', -100n, PPM_O.RDWR, 0, '16'],
      ['/bad/how', -100n, undefined, undefined, undefined],
    ]);
    expect(rows.filter((e) => e.num === 0n)).toEqual([]);
    for (const [chunk, batchRows] of [
      [1, 5],
      [7, 16],
      [4093, 3],
    ]) {
      const { reference, columns, referenceBytes, columnsBytes } = decodeBothWays(stream, NAMES, { chunk, batchRows });
      expect(columns).toEqual(reference);
      expect(columns).toEqual(rows);
      expect(columnsBytes.equals(referenceBytes)).toBe(true);
    }
  });
});

captureSuite('decode-columns.ts on a real stream', () => {
  it('gives the same rows as decode.ts for everything the helper recorded system-wide (--events all, --env, --snaplen)', async () => {
    const tmp = tempDir('tsfalco-decode-real-');
    try {
      const helper = spawn(helperPath(), helperArgs({ syscalls: selectSyscalls('all').helperArg, ringbufBytes: 1 << 24, follow: [], exclude: [process.pid], cgroupIds: [], env: true, snaplen: 64 }), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const chunks: Buffer[] = [];
      helper.stdout.on('data', (c: Buffer) => chunks.push(c));
      await new Promise<void>((resolve) => helper.stdout.once('data', () => resolve()));
      const script = `cd ${tmp.dir}; echo x > f; mv f g; ln -s g h; cat h /etc/hostname > /dev/null; mkdir d; rmdir d; ls -la > /dev/null;
        (exec 3<>/dev/tcp/127.0.0.1/1) 2>/dev/null; python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(b"x", ("::1", 9))' 2>/dev/null;
        python3 -c 'import ctypes; c = ctypes.CDLL(None); how = (ctypes.c_uint64 * 3)(0o2000000, 0, 0x08); assert c.syscall(437, -100, b"g", how, 24) >= 0'; true`;
      spawnSync('bash', ['-c', script], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      helper.kill('SIGTERM');
      await new Promise((r) => helper.on('close', r));
      const stream = Buffer.concat(chunks);
      const { reference, columns, referenceBytes, columnsBytes } = decodeBothWays(stream, NAMES, { chunk: 65536 });
      expect(reference.filter((e) => e.type === 'execve').length).toBeGreaterThan(3);
      expect(reference.some((e) => e.type === 'connect')).toBe(true);
      // openat2's open_how (O_CLOEXEC, RESOLVE_BENEATH → PPM_RESOLVE_BENEATH 1).
      expect(reference.find((e) => e.type === 'openat2' && e.path === 'g' && e.res! >= 0n)).toMatchObject({ flags: PPM_O.RDONLY | PPM_O.CLOEXEC, mode: 0, extra: { resolve: '1' } });
      expect(columns.length).toBe(reference.length);
      for (let i = 0; i < reference.length; i++) if (JSON.stringify(columns[i], big) !== JSON.stringify(reference[i], big)) expect(columns[i]).toEqual(reference[i]);
      expect(columnsBytes.equals(referenceBytes)).toBe(true);
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});

function big(_k: string, v: unknown) {
  return typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v;
}
