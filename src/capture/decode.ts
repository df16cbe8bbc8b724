import type { TraceEvent } from '../trace/event.js';
import { PPM_O } from '../trace/flags.js';
import { fcntlCmdToPpm, ptraceRequestToPpm } from './ppm-codes.js';
import { cloneFlags, encodeDev, mmapFlags, openFlags, openMode, protFlags, resolveFlags } from './convert.js';
import { ipv4Text, ipv6Text, shownFamily } from '../util/ip.js';

/**
 * Decodes the helper's binary stream (layout: src/capture/README.md, helper/record.h) into
 * TraceEvent objects, one per completed syscall or process exit, plus hello and stats records.
 *
 * This is the readable statement of what goes where; `tsfalco capture` uses its fast twin,
 * decode-columns.ts, which writes the same values straight into the writer's columns.
 * test/capture/decode-columns.test.ts checks that both give the same rows.
 */

export const REC = { SYSCALL: 1, PROCEXIT: 2, STATS: 3, HELLO: 4 } as const;
export const REC_F_NO_EXIT = 1;
export const TSF_MAGIC = 0x31465354;
export const PROTOCOL_VERSION = 1;

export const ITEM = {
  PATH: 1, PATH2: 2, NAME: 3, SOCKADDR: 4, SOCK: 5, ARGV: 6, ENV: 7, EXEPATH: 8, CWD: 9, CGROUP: 10, PROC: 11, FILE: 12,
  DATA: 13, CLONE3: 14, FDPAIR: 15, FILENAME: 16, OPEN_HOW: 17,
} as const;

export const SYSCALL_FIXED = 128;

export interface Hello {
  version: number;
  ncpus: number;
  bootToRealtimeNs: bigint;
  helperPid: number;
  ringbufBytes: number;
}

export interface CpuCounters {
  events: bigint;
  drops: bigint;
}

export interface DecoderSinks {
  hello(h: Hello): void;
  event(e: TraceEvent): void;
  stats(perCpu: CpuCounters[], tsBoot: bigint): void;
}

export interface Decoder {
  /** Feeds a chunk of the stream; complete records go to the sinks, the rest waits for more. */
  push(chunk: Buffer): void;
  /** Bytes held back waiting for the rest of a record. */
  readonly pending: number;
  readonly records: number;
}

export type ArgCol = 'fd' | 'fd2' | 'dirfd' | 'dirfd2' | 'flags' | 'mode' | 'id' | 'id2' | 'id3' | 'op' | 'size' | 'addr' | 'prot' | 'sock_family' | 'sock_type' | 'l4proto';
export type Conv = 'open' | 'clone' | 'prot' | 'mmap' | 'dupflags';

/** Conversion of a 32-bit flags argument to the column's encoding. */
export function convert(conv: Conv | undefined): (v: number) => number {
  return conv === 'open' ? (v) => openFlags(v)
    : conv === 'clone' ? cloneFlags
    : conv === 'prot' ? protFlags
    : conv === 'mmap' ? mmapFlags
    : conv === 'dupflags' ? (v) => (v & 0o2000000 ? PPM_O.CLOEXEC : 0) | (v & 0o4000 ? PPM_O.NONBLOCK : 0)
    : (v) => v >>> 0;
}

/** Which argument goes to which column, per syscall: "col[:conv]" per position, empty to skip. */
export const ARG_SPEC: Record<string, string> = {
  open: ',flags:open,mode',
  openat: 'dirfd,,flags:open,mode',
  openat2: 'dirfd', // flags, mode and resolve: ITEM_OPEN_HOW
  creat: ',mode',
  execveat: 'dirfd,,,,flags',
  clone: 'flags:clone',
  unshare: 'flags:clone',
  setns: 'fd,flags:clone',
  close: 'fd',
  dup: 'fd',
  dup2: 'fd,fd2',
  dup3: 'fd,fd2,flags:dupflags',
  fcntl: 'fd,op',
  renameat: 'dirfd,,dirfd2',
  renameat2: 'dirfd,,dirfd2,,flags',
  linkat: 'dirfd,,dirfd2,,flags',
  symlinkat: ',dirfd2',
  unlinkat: 'dirfd,,flags',
  mkdir: ',mode',
  mkdirat: 'dirfd,,mode',
  chmod: ',mode',
  fchmod: 'fd,mode',
  fchmodat: 'dirfd,,mode',
  fchmodat2: 'dirfd,,mode,flags',
  chown: ',id,id2',
  lchown: ',id,id2',
  fchown: 'fd,id,id2',
  fchownat: 'dirfd,,id,id2,flags',
  newfstatat: 'dirfd,,,flags',
  statx: 'dirfd,,flags',
  faccessat: 'dirfd,,mode',
  faccessat2: 'dirfd,,mode,flags',
  readlinkat: 'dirfd',
  mknodat: 'dirfd,,mode',
  utimensat: 'dirfd',
  mount: ',,,flags',
  umount2: ',flags',
  fchdir: 'fd',
  socket: 'sock_family,sock_type,l4proto',
  socketpair: 'sock_family,sock_type,l4proto',
  connect: 'fd',
  bind: 'fd',
  listen: 'fd,size',
  shutdown: 'fd,op',
  accept: 'fd',
  accept4: 'fd,,,flags',
  sendto: 'fd,,size,flags',
  recvfrom: 'fd,,size,flags',
  sendmsg: 'fd,,flags',
  recvmsg: 'fd,,flags',
  sendmmsg: 'fd',
  recvmmsg: 'fd',
  read: 'fd,,size',
  pread: 'fd,,size',
  write: 'fd,,size',
  pwrite: 'fd,,size',
  readv: 'fd',
  writev: 'fd',
  ioctl: 'fd,op',
  setuid: 'id',
  setgid: 'id',
  setfsuid: 'id',
  setfsgid: 'id',
  setreuid: 'id,id2',
  setregid: 'id,id2',
  setresuid: 'id,id2,id3',
  setresgid: 'id,id2,id3',
  setpgid: 'id,id2',
  kill: 'id,op',
  tgkill: 'id,id2,op',
  tkill: 'id,op',
  ptrace: 'op,id',
  prctl: 'op',
  bpf: 'op',
  init_module: ',size',
  finit_module: 'fd,,flags',
  delete_module: ',flags',
  memfd_create: ',flags',
  mmap: 'addr,size,prot:prot,flags:mmap,fd',
  mprotect: 'addr,size,prot:prot',
  munmap: 'addr,size',
  pipe2: ',flags:dupflags',
  exit: 'id',
  exit_group: 'id',
  userfaultfd: 'flags',
  process_vm_readv: 'id',
  process_vm_writev: 'id',
  pidfd_getfd: 'fd,fd2',
  io_uring_setup: 'size',
  ftruncate: 'fd,size',
  fstat: 'fd',
  lseek: 'fd',
  fsync: 'fd',
  getdents64: 'fd',
  flock: 'fd,op',
  sendfile: 'fd,fd2',
  copy_file_range: 'fd,,fd2',
  splice: 'fd,,fd2',
  epoll_ctl: 'fd,op,fd2',
};

type ArgSetter = (e: Record<string, unknown>, buf: Buffer, base: number) => void;

function lo(buf: Buffer, base: number, i: number): number {
  return buf.readUInt32LE(base + 80 + 8 * i);
}

function setterFor(i: number, col: ArgCol, conv: Conv | undefined): ArgSetter {
  switch (col) {
    case 'fd':
    case 'fd2':
    case 'dirfd':
    case 'dirfd2':
    case 'id':
    case 'id2':
    case 'id3':
    case 'op':
      return (e, buf, base) => {
        e[col] = BigInt(lo(buf, base, i) | 0);
      };
    case 'size':
      return (e, buf, base) => {
        e[col] = buf.readBigInt64LE(base + 80 + 8 * i);
      };
    case 'addr':
      return (e, buf, base) => {
        e[col] = buf.readBigUInt64LE(base + 80 + 8 * i);
      };
    case 'sock_family':
      return (e, buf, base) => {
        e[col] = lo(buf, base, i) & 0xff;
      };
    case 'sock_type':
      return (e, buf, base) => {
        e[col] = lo(buf, base, i) & 0xf; // without SOCK_NONBLOCK / SOCK_CLOEXEC
      };
    case 'l4proto':
      return (e, buf, base) => {
        e[col] = lo(buf, base, i) & 0xff;
      };
    default: {
      const f = convert(conv);
      return (e, buf, base) => {
        e[col] = f(lo(buf, base, i));
      };
    }
  }
}

const setterCache = new Map<string, ArgSetter[]>();
function settersOf(type: string): ArgSetter[] {
  let s = setterCache.get(type);
  if (s) return s;
  s = [];
  const spec = ARG_SPEC[type];
  if (spec) {
    spec.split(',').forEach((item, i) => {
      if (!item) return;
      const [col, conv] = item.split(':') as [ArgCol, Conv | undefined];
      s!.push(setterFor(i, col, conv));
    });
  }
  setterCache.set(type, s);
  return s;
}

const commCache = new Map<string, string>();
export function cString(buf: Buffer, start: number, max: number): string {
  let end = start;
  const limit = start + max;
  while (end < limit && buf[end] !== 0) end++;
  return buf.toString('utf8', start, end);
}

function comm(buf: Buffer, at: number): string {
  // comm values repeat endlessly: decode each distinct 16-byte value once.
  const key = buf.toString('latin1', at, at + 16);
  let v = commCache.get(key);
  if (v === undefined) {
    v = cString(buf, at, 16);
    if (commCache.size < 65536) commCache.set(key, v);
  }
  return v;
}

/** NUL-separated strings (argv, env). */
export function strings(buf: Buffer, start: number, end: number): string[] {
  const out: string[] = [];
  let s = start;
  for (let i = start; i < end; i++) {
    if (buf[i] === 0) {
      out.push(buf.toString('utf8', s, i));
      s = i + 1;
    }
  }
  if (s < end) out.push(buf.toString('utf8', s, end));
  return out;
}

/** Path components written leaf first, each NUL-terminated, as an absolute path. */
export function componentsPath(buf: Buffer, start: number, end: number): string {
  const parts = strings(buf, start, end);
  parts.reverse();
  return '/' + parts.join('/');
}

function sockaddr(e: Record<string, unknown>, buf: Buffer, at: number, len: number, role: 'server' | 'client'): void {
  if (len < 2) return;
  const family = buf.readUInt16LE(at);
  const ip = role === 'server' ? 'dip' : 'sip';
  const port = role === 'server' ? 'dport' : 'sport';
  if (family === 2 && len >= 8) {
    e.sock_family = 2;
    e[port] = buf.readUInt16BE(at + 2);
    e[ip] = ipv4Text(buf, at + 4);
  } else if (family === 10 && len >= 24) {
    e.sock_family = 10;
    e[port] = buf.readUInt16BE(at + 2);
    e[ip] = ipv6Text(buf, at + 8);
  } else if (family === 1) {
    e.sock_family = 1;
    // An abstract socket's name starts with a NUL; Falco shows it with a leading '@'.
    if (len > 2 && buf[at + 2] === 0) e.path = '@' + cString(buf, at + 3, len - 3);
    else e.path = cString(buf, at + 2, len - 2);
  }
}

interface SockItem {
  family: number;
  type: number;
  proto: number;
  lport: number;
  rport: number;
  laddr: string;
  raddr: string;
}

function sockItem(buf: Buffer, at: number): SockItem {
  const family = shownFamily(buf[at], buf, at + 8);
  // A v4-mapped pair is read as the IPv4 addresses in the last 4 bytes of each.
  const addr = (o: number) => (family === 2 ? ipv4Text(buf, buf[at] === 10 ? o + 12 : o) : family === 10 ? ipv6Text(buf, o) : '');
  return { family, type: buf[at + 1], proto: buf[at + 2], lport: buf.readUInt16LE(at + 4), rport: buf.readUInt16LE(at + 6), laddr: addr(at + 8), raddr: addr(at + 24) };
}

export function fdTypeOfFamily(family: number): string | undefined {
  return family === 2 ? 'ipv4' : family === 10 ? 'ipv6' : family === 1 ? 'unix' : family === 16 ? 'netlink' : undefined;
}

/** Puts a socket's addresses in the client/server columns; `localIsClient` says which side we are. */
function applySock(e: Record<string, unknown>, s: SockItem, localIsClient: boolean): void {
  e.sock_family = s.family;
  if (s.type) e.sock_type = s.type;
  const fdType = fdTypeOfFamily(s.family);
  if (fdType) e.fd_type = fdType;
  if (s.family !== 2 && s.family !== 10) return;
  e.l4proto = s.proto;
  if (localIsClient) {
    e.sip = s.laddr;
    e.sport = s.lport;
    if (s.rport !== 0) {
      e.dip = s.raddr;
      e.dport = s.rport;
    }
  } else {
    e.dip = s.laddr;
    e.dport = s.lport;
    if (s.rport !== 0) {
      e.sip = s.raddr;
      e.sport = s.rport;
    }
  }
}

export const FORK_FLAGS = 0; // fork(): SIGCHLD only
export const VFORK_FLAGS = cloneFlags(0x100 | 0x4000); // CLONE_VM | CLONE_VFORK

export function createDecoder(names: ReadonlyMap<number, string>, sinks: DecoderSinks): Decoder {
  let held: Buffer | null = null;
  let records = 0;
  let boot = 0n;

  const syscall = (buf: Buffer, base: number, size: number) => {
    const nr = buf.readUInt16LE(base + 4);
    const type = names.get(nr) ?? `syscall_${nr}`;
    const flags = buf[base + 3];
    const noExit = (flags & REC_F_NO_EXIT) !== 0;
    const ret = buf.readBigInt64LE(base + 24);
    const e: Record<string, unknown> = {
      ts: buf.readBigUInt64LE(base + 8) + boot,
      num: 0n,
      type,
      dir: '<',
      cpu: buf.readUInt16LE(base + 6),
      tid: buf.readInt32LE(base + 32),
      pid: buf.readInt32LE(base + 36),
      ppid: buf.readInt32LE(base + 40),
      uid: buf.readUInt32LE(base + 44),
      gid: buf.readUInt32LE(base + 48),
      euid: buf.readUInt32LE(base + 52),
      egid: buf.readUInt32LE(base + 56),
      loginuid: buf.readInt32LE(base + 60),
      comm: comm(buf, base + 64),
      res: noExit ? null : ret,
      latency: noExit ? null : buf.readBigUInt64LE(base + 16),
    };
    for (const set of settersOf(type)) set(e, buf, base);
    if (type === 'fork') e.flags = FORK_FLAGS;
    else if (type === 'vfork') e.flags = VFORK_FLAGS;
    else if (type === 'creat') e.flags = openFlags(0o1 | 0o100 | 0o1000);

    // Items.
    let at = base + SYSCALL_FIXED;
    const end = base + size;
    let sock: SockItem | undefined;
    let sockaddrAt = -1;
    let sockaddrLen = 0;
    while (at + 4 <= end) {
      const tag = buf.readUInt16LE(at);
      const len = buf.readUInt16LE(at + 2);
      const d = at + 4;
      if (d + len > end) break;
      switch (tag) {
        case ITEM.PATH:
          e.path = buf.toString('utf8', d, d + len);
          break;
        case ITEM.PATH2:
          e.path2 = buf.toString('utf8', d, d + len);
          break;
        case ITEM.NAME:
          e.name = buf.toString('utf8', d, d + len);
          break;
        case ITEM.FILENAME:
          e.path = buf.toString('utf8', d, d + len);
          break;
        case ITEM.SOCKADDR:
          sockaddrAt = d;
          sockaddrLen = len;
          break;
        case ITEM.SOCK:
          sock = sockItem(buf, d);
          break;
        case ITEM.ARGV: {
          const argv = strings(buf, d, d + len);
          e.exe = argv[0] ?? '';
          e.args = argv.slice(1);
          break;
        }
        case ITEM.ENV:
          e.env = strings(buf, d, d + len);
          break;
        case ITEM.EXEPATH:
          e.exepath = componentsPath(buf, d, d + len);
          break;
        case ITEM.CWD:
          e.cwd = componentsPath(buf, d, d + len);
          break;
        case ITEM.CGROUP:
          e.cgroup = componentsPath(buf, d, d + len);
          break;
        case ITEM.PROC: {
          e.tty = buf.readUInt32LE(d);
          e.pgid = buf.readInt32LE(d + 4);
          e.sid = buf.readInt32LE(d + 8);
          e.vtid = buf.readInt32LE(d + 12);
          e.vpid = buf.readInt32LE(d + 16);
          if (type === 'execve' || type === 'execveat') {
            e.exe_flags = buf.readUInt32LE(d + 20);
            e.exe_ino = buf.readBigUInt64LE(d + 24);
            e.exe_ctime = buf.readBigUInt64LE(d + 32);
            e.exe_mtime = buf.readBigUInt64LE(d + 40);
          }
          e.cap_inheritable = buf.readBigUInt64LE(d + 48);
          e.cap_permitted = buf.readBigUInt64LE(d + 56);
          e.cap_effective = buf.readBigUInt64LE(d + 64);
          const start = buf.readBigUInt64LE(d + 72);
          if (start > 0n) e.start_ts = start + boot;
          break;
        }
        case ITEM.FILE: {
          const mode = buf.readUInt32LE(d + 4);
          e.dev = encodeDev(buf.readUInt32LE(d));
          e.ino = buf.readBigUInt64LE(d + 8);
          e.fd_type = (mode & 0o170000) === 0o040000 ? 'directory' : 'file';
          if (typeof e.flags === 'number' && (buf.readUInt32LE(d + 16) & 0x100000) !== 0) e.flags = ((e.flags as number) | PPM_O.F_CREATED) >>> 0;
          break;
        }
        case ITEM.DATA:
          e.buffer = new Uint8Array(buf.subarray(d, d + len));
          break;
        case ITEM.CLONE3:
          e.flags = cloneFlags(buf.readBigUInt64LE(d));
          break;
        case ITEM.FDPAIR:
          e.fd = BigInt(buf.readInt32LE(d));
          e.fd2 = BigInt(buf.readInt32LE(d + 4));
          break;
        case ITEM.OPEN_HOW: {
          // openat2's struct open_how { u64 flags, mode, resolve } (O_* and RESOLVE_* fit in 32 bits).
          const how = buf.readUInt32LE(d);
          e.flags = openFlags(how);
          e.mode = openMode(how, buf.readUInt32LE(d + 8));
          // No column of its own: `extra`, as the .scap reader keeps it (PT_FLAGS32 as decimal text).
          e.extra = { resolve: String(resolveFlags(buf.readUInt32LE(d + 16))) };
          break;
        }
      }
      at = d + len;
    }

    // Sockets: who is the client depends on the syscall.
    switch (type) {
      case 'connect':
        if (sock) applySock(e, sock, true);
        if (sockaddrAt >= 0 && (e.dip === undefined || e.sock_family === 1)) sockaddr(e, buf, sockaddrAt, sockaddrLen, 'server');
        break;
      case 'accept':
      case 'accept4':
        if (sock) applySock(e, sock, false);
        break;
      case 'bind':
        if (sockaddrAt >= 0) sockaddr(e, buf, sockaddrAt, sockaddrLen, 'server');
        if (sock) {
          e.fd_type = fdTypeOfFamily(sock.family) ?? null;
          if (sock.family === 2 || sock.family === 10) e.l4proto = sock.proto;
        }
        break;
      case 'listen':
        if (sock) applySock(e, sock, false);
        break;
      case 'sendto':
      case 'sendmsg':
      case 'sendmmsg':
        if (sock) applySock(e, sock, true);
        if (sockaddrAt >= 0 && e.dip === undefined) sockaddr(e, buf, sockaddrAt, sockaddrLen, 'server');
        break;
      case 'recvfrom':
      case 'recvmsg':
      case 'recvmmsg':
        // The data comes from the peer: the peer is the tuple's source.
        if (sock) {
          applySock(e, sock, false);
          if (sock.family === 2 || sock.family === 10) {
            e.sip = sock.rport ? sock.raddr : null;
            e.sport = sock.rport || null;
            e.dip = sock.laddr;
            e.dport = sock.lport;
          }
        }
        break;
      case 'shutdown':
        if (sock) applySock(e, sock, true);
        break;
      case 'socket': {
        const family = e.sock_family as number;
        const fdType = fdTypeOfFamily(family);
        if (fdType) e.fd_type = fdType;
        if ((family === 2 || family === 10) && e.l4proto === 0) e.l4proto = e.sock_type === 1 ? 6 : e.sock_type === 2 ? 17 : 0;
        break;
      }
      case 'memfd_create':
        e.fd_type = 'memfd';
        break;
      case 'pipe':
      case 'pipe2':
        e.fd_type = 'pipe';
        break;
      case 'fcntl':
        // F_DUPFD (0) and F_DUPFD_CLOEXEC (1030) create an fd: the engine takes fd2 as the sign.
        if ((e.op === 0n || e.op === 1030n) && ret >= 0n) e.fd2 = ret;
        if (typeof e.op === 'bigint') e.op = BigInt(fcntlCmdToPpm(Number(e.op)));
        break;
      case 'ptrace':
        if (typeof e.op === 'bigint') e.op = BigInt(ptraceRequestToPpm(Number(e.op)));
        break;
    }
    sinks.event(e as TraceEvent);
  };

  const procexit = (buf: Buffer, base: number) => {
    sinks.event({
      ts: buf.readBigUInt64LE(base + 8) + boot,
      num: 0n,
      type: 'procexit',
      dir: '<',
      cpu: buf.readUInt16LE(base + 6),
      tid: buf.readInt32LE(base + 16),
      pid: buf.readInt32LE(base + 20),
      ppid: buf.readInt32LE(base + 24),
      id: BigInt(buf.readInt32LE(base + 28)),
      uid: buf.readUInt32LE(base + 32),
      euid: buf.readUInt32LE(base + 36),
      comm: comm(buf, base + 40),
    });
  };

  const one = (buf: Buffer, base: number, size: number) => {
    const kind = buf[base + 2];
    records++;
    switch (kind) {
      case REC.SYSCALL:
        if (size >= SYSCALL_FIXED) syscall(buf, base, size);
        return;
      case REC.PROCEXIT:
        procexit(buf, base);
        return;
      case REC.STATS: {
        const ncpus = buf.readUInt32LE(base + 4);
        const ts = buf.readBigUInt64LE(base + 8);
        const per: CpuCounters[] = [];
        for (let i = 0; i < ncpus && base + 16 + 16 * i + 16 <= base + size; i++) {
          per.push({ events: buf.readBigUInt64LE(base + 16 + 16 * i), drops: buf.readBigUInt64LE(base + 24 + 16 * i) });
        }
        sinks.stats(per, ts + boot);
        return;
      }
      case REC.HELLO: {
        const magic = buf.readUInt32LE(base + 4);
        const version = buf.readUInt32LE(base + 8);
        if (magic !== TSF_MAGIC || version !== PROTOCOL_VERSION) {
          throw new Error(`capture helper speaks protocol ${version} (magic ${magic.toString(16)}), this tsfalco ${PROTOCOL_VERSION}: rebuild the helper (npm run build:helper)`);
        }
        boot = buf.readBigInt64LE(base + 16);
        sinks.hello({ version, ncpus: buf.readUInt32LE(base + 12), bootToRealtimeNs: boot, helperPid: buf.readUInt32LE(base + 24), ringbufBytes: buf.readUInt32LE(base + 28) });
        return;
      }
      default:
        throw new Error(`capture helper stream: unknown record kind ${kind} after ${records - 1} records`);
    }
  };

  return {
    push(chunk: Buffer) {
      let buf = held ? Buffer.concat([held, chunk]) : chunk;
      held = null;
      let at = 0;
      while (at + 4 <= buf.length) {
        const size = buf.readUInt16LE(at);
        if (size < 4) throw new Error(`capture helper stream: bad record size ${size} after ${records} records`);
        if (at + size > buf.length) break;
        one(buf, at, size);
        at += size;
      }
      if (at < buf.length) held = Buffer.from(buf.subarray(at));
      buf = Buffer.alloc(0);
    },
    get pending() {
      return held ? held.length : 0;
    },
    get records() {
      return records;
    },
  };
}
