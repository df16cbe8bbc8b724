import { RECORD_TYPES } from '../trace/columns.js';
import { isUnspecified, ipv4Bytes, ipv6Bytes } from './addr.js';
import { ByteBuilder } from './byte-sink.js';
import type { ProcView } from './event-writer.js';
import { BLOCK, MACHINE_INFO_SIZE, SCAP_FD, SCAP_MAX, SCAP_VERSION, SHB_MAGIC, USERBLOCK } from './format.js';
import type { RowCursor } from './row-cursor.js';
import type { TargetProfile } from './targets.js';

/**
 * The metadata blocks of a .scap file (section header, machine info, user list, process list, fd
 * lists), built from the first snapshot of a trace (snapshot_machine … snapshot_end rows).
 */

export interface ThreadRow extends ProcView {
  tid: number;
  pid: number;
  ppid: number;
  sid: number;
  pgid: number;
  vtid: number;
  vpid: number;
  uid: number;
  gid: number;
  loginuid: number;
  tty: number;
  exeFlags: number;
  exeIno: bigint;
  exeCtime: bigint;
  exeMtime: bigint;
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
}

interface FdRow {
  fd: bigint;
  type: string;
  path: string;
  flags: number;
  dev: number;
  ino: bigint;
  family: number;
  l4proto: number;
  sip: string | null;
  sport: number;
  dip: string | null;
  dport: number;
}

interface UserRow {
  uid: number;
  gid: number;
  name: string;
  home: string;
  shell: string;
}

export class Snapshot {
  hostname = '';
  cpus = 0;
  memoryBytes = 0n;
  bootNs = 0n;
  /** Network interfaces as `name=address` (what a trace read from a .scap keeps of its interface list). */
  interfaces: string[] = [];
  readonly threads: ThreadRow[] = [];
  readonly fds = new Map<number, FdRow[]>();
  readonly users: UserRow[] = [];
  readonly groups: { gid: number; name: string }[] = [];

  /** Takes one snapshot row. */
  add(type: string, cur: RowCursor): void {
    switch (type) {
      case RECORD_TYPES.snapshotMachine: {
        this.hostname = cur.str('name') ?? '';
        const extra = cur.map('extra') ?? {};
        this.cpus = Number(extra.cpus ?? 0) || 0;
        this.memoryBytes = /^\d+$/.test(extra.memory_bytes ?? '') ? BigInt(extra.memory_bytes) : 0n;
        this.bootNs = /^\d+$/.test(extra.boot_time_ns ?? '') ? BigInt(extra.boot_time_ns) : 0n;
        this.interfaces = (extra.interfaces ?? '').split(' ').filter((i) => i.includes('='));
        return;
      }
      case RECORD_TYPES.snapshotProc: {
        const tid = cur.int('tid');
        if (tid === null) return;
        const pid = cur.int('pid') ?? tid;
        const args = cur.list('args') ?? [];
        this.threads.push({
          tid,
          pid,
          ppid: cur.int('ppid') ?? 0,
          sid: cur.int('sid') ?? 0,
          pgid: cur.int('pgid') ?? 0,
          vtid: cur.int('vtid') ?? tid,
          vpid: cur.int('vpid') ?? pid,
          uid: cur.int('euid') ?? cur.int('uid') ?? 0,
          gid: cur.int('egid') ?? cur.int('gid') ?? 0,
          loginuid: cur.int('loginuid') ?? -1,
          tty: cur.int('tty') ?? 0,
          comm: cur.str('comm') ?? '',
          exe: cur.str('exe') ?? '',
          exepath: cur.str('exepath') ?? '',
          args,
          cwd: cur.str('cwd') ?? '',
          env: cur.list('env') ?? [],
          cgroup: cur.str('cgroup') ?? '',
          exeFlags: cur.int('exe_flags') ?? 0,
          exeIno: cur.big('exe_ino') ?? 0n,
          exeCtime: cur.big('exe_ctime') ?? 0n,
          exeMtime: cur.big('exe_mtime') ?? 0n,
          capInheritable: cur.big('cap_inheritable') ?? 0n,
          capPermitted: cur.big('cap_permitted') ?? 0n,
          capEffective: cur.big('cap_effective') ?? 0n,
        });
        return;
      }
      case RECORD_TYPES.snapshotFd: {
        const pid = cur.int('pid');
        const fd = cur.big('fd');
        if (pid === null || fd === null) return;
        let list = this.fds.get(pid);
        if (!list) this.fds.set(pid, (list = []));
        list.push({
          fd,
          type: cur.str('fd_type') ?? 'unknown',
          path: cur.str('path') ?? '',
          flags: cur.int('flags') ?? 0,
          dev: cur.int('dev') ?? 0,
          ino: cur.big('ino') ?? 0n,
          family: cur.int('sock_family') ?? 0,
          l4proto: cur.int('l4proto') ?? 0,
          sip: cur.str('sip'),
          sport: cur.int('sport') ?? 0,
          dip: cur.str('dip'),
          dport: cur.int('dport') ?? 0,
        });
        return;
      }
      // libscap's user and group lists are the host's: a container's own (rows with its id) have no place there.
      case RECORD_TYPES.snapshotUser:
        if ((cur.str('container_id') ?? 'host') !== 'host') return;
        this.users.push({ uid: cur.int('uid') ?? 0, gid: cur.int('gid') ?? 0, name: cur.str('name') ?? '', home: cur.str('path') ?? '', shell: cur.str('path2') ?? '' });
        return;
      case RECORD_TYPES.snapshotGroup:
        if ((cur.str('container_id') ?? 'host') !== 'host') return;
        this.groups.push({ gid: cur.int('gid') ?? 0, name: cur.str('name') ?? '' });
        return;
    }
  }
}

/** Opens a block: type and a length patched by `endBlock`. */
function beginBlock(b: ByteBuilder, type: number): number {
  const start = b.pos;
  b.reserve(8);
  b.u32(type);
  b.u32(0);
  return start;
}

function endBlock(b: ByteBuilder, start: number): void {
  b.reserve(8);
  b.pad4(start + 8);
  const total = b.pos - start + 4;
  b.u32(total);
  b.buf.writeUInt32LE(total, start + 4);
}

/** A u16 length and the UTF-8 text, at most `max` bytes. */
function lenText(b: ByteBuilder, s: string, max: number): void {
  b.reserve(2 + max + 4);
  const at = b.pos;
  b.u16(0);
  const n = b.text(s, max);
  b.buf.writeUInt16LE(n, at);
}

/** A u16 length and NUL-terminated items (cmdline, environ, cgroups), at most `max` bytes. */
function lenItems(b: ByteBuilder, items: readonly string[], max: number): void {
  b.reserve(2 + max + 4);
  const at = b.pos;
  b.u16(0);
  let room = max;
  for (const s of items) {
    if (room <= 1) break;
    const n = b.text(s, room - 1);
    b.u8(0);
    room -= n + 1;
  }
  b.buf.writeUInt16LE(b.pos - at - 2, at);
}

export function sectionHeader(b: ByteBuilder): void {
  const start = beginBlock(b, BLOCK.SHB);
  b.reserve(16);
  b.u32(SHB_MAGIC);
  b.u16(SCAP_VERSION.major);
  b.u16(SCAP_VERSION.minor);
  b.i64(-1n);
  endBlock(b, start);
}

export function machineInfo(b: ByteBuilder, snap: Snapshot | null, fallbackHost: string, fallbackBootNs: bigint): void {
  const start = beginBlock(b, BLOCK.MI);
  b.reserve(MACHINE_INFO_SIZE);
  b.u32(snap?.cpus ?? 0);
  b.u64(snap?.memoryBytes ?? 0n);
  b.u64(0n); // max pid: not recorded
  const host = b.pos;
  b.zeros(128);
  b.buf.write(snap?.hostname || fallbackHost, host, 127, 'utf8');
  b.u64(snap?.bootNs || fallbackBootNs); // boot_ts_epoch (reserved1 before libs 0.10)
  b.u64(0n); // flags
  b.u64(0n);
  b.u64(0n);
  endBlock(b, start);
}

/**
 * The interface list (IL_BLOCK_TYPE_V2), from the addresses the trace keeps. libsinsp uses it to
 * fill the unknown local address of a socket tuple. Netmasks are not kept: 255.0.0.0 for IPv4
 * loopback, a host mask otherwise (an address then only matches itself).
 */
export function interfaceList(b: ByteBuilder, snap: Snapshot): void {
  const parsed = snap.interfaces.map((i) => {
    const eq = i.indexOf('=');
    return { name: i.slice(0, eq), addr: i.slice(eq + 1) };
  });
  if (parsed.length === 0) return;
  const start = beginBlock(b, BLOCK.IL_V2);
  for (const v6 of [false, true]) {
    for (const { name, addr } of parsed) {
      if (addr.includes(':') !== v6) continue;
      b.reserve(96 + SCAP_MAX.PATH);
      const at = b.pos;
      b.u32(0); // entry length, without itself
      b.u16(v6 ? 2 : 1); // SCAP_II_IPV6 / SCAP_II_IPV4 (with link speed)
      const nameAt = b.pos;
      b.u16(0);
      if (v6) {
        b.bytes(ipv6Bytes(addr));
        b.bytes(new Uint8Array(16).fill(0xff));
        b.zeros(16);
      } else {
        b.bytes(ipv4Bytes(addr));
        b.bytes(addr.startsWith('127.') ? Uint8Array.of(255, 0, 0, 0) : Uint8Array.of(255, 255, 255, 255));
        b.zeros(4);
      }
      b.u64(0n); // link speed
      const n = b.text(name, SCAP_MAX.PATH - 1);
      b.buf.writeUInt16LE(n, nameAt);
      b.buf.writeUInt32LE(b.pos - at - 4, at);
    }
  }
  endBlock(b, start);
}

export function userList(b: ByteBuilder, snap: Snapshot): void {
  if (snap.users.length === 0 && snap.groups.length === 0) return;
  const start = beginBlock(b, BLOCK.UL_V2);
  const max = SCAP_MAX.CREDENTIALS - 1;
  for (const u of snap.users) {
    b.reserve(16);
    const at = b.pos;
    b.u32(0);
    b.u8(USERBLOCK.USER);
    b.u32(u.uid);
    b.u32(u.gid);
    lenText(b, u.name, max);
    lenText(b, u.home, SCAP_MAX.PATH - 1);
    lenText(b, u.shell, SCAP_MAX.PATH - 1);
    b.buf.writeUInt32LE(b.pos - at, at);
  }
  for (const g of snap.groups) {
    b.reserve(16);
    const at = b.pos;
    b.u32(0);
    b.u8(USERBLOCK.GROUP);
    b.u32(g.gid);
    lenText(b, g.name, max);
    b.buf.writeUInt32LE(b.pos - at, at);
  }
  endBlock(b, start);
}

const PPM_CL_CLONE_FILES = 1 << 0;
const PPM_CL_CLONE_THREAD = 1 << 13;

export function processList(b: ByteBuilder, snap: Snapshot, profile: TargetProfile): void {
  if (snap.threads.length === 0) return;
  const start = beginBlock(b, BLOCK.PL_V9);
  for (const t of snap.threads) {
    b.reserve(64);
    const at = b.pos;
    b.u32(0); // entry length, patched
    b.i64n(t.tid);
    b.i64n(t.pid);
    b.i64n(t.ppid);
    b.i64n(t.sid);
    b.i64n(t.pgid);
    lenText(b, t.comm, SCAP_MAX.PATH);
    lenText(b, t.exe, SCAP_MAX.PATH);
    lenText(b, t.exepath, SCAP_MAX.PATH);
    lenItems(b, t.args, SCAP_MAX.ARGS);
    lenText(b, t.cwd, SCAP_MAX.PATH);
    b.reserve(64);
    b.u64(0n); // fdlimit: not recorded
    b.u32(t.tid !== t.pid ? PPM_CL_CLONE_THREAD | PPM_CL_CLONE_FILES : 0);
    b.u32(t.uid);
    b.u32(t.gid);
    b.u32(0); // vmsize_kb
    b.u32(0); // vmrss_kb
    b.u32(0); // vmswap_kb
    b.u64(0n); // pfmajor
    b.u64(0n); // pfminor
    lenItems(b, t.env, SCAP_MAX.ENV);
    b.reserve(16);
    b.i64n(t.vtid);
    b.i64n(t.vpid);
    lenItems(b, t.cgroup ? ['cpuset', 'cpu', 'cpuacct', 'io', 'memory', 'pids'].map((c) => `${c}=${t.cgroup}`) : [], SCAP_MAX.CGROUPS);
    lenText(b, '/', SCAP_MAX.PATH); // root
    b.reserve(96);
    if (profile.preLibs010ProcessList) {
      // loginuid, exe_writable, capabilities: 29 bytes, the layout readers before libs 0.10 know
      // (newer readers recognise it by that size).
      b.u32(t.loginuid);
      b.u8(t.exeFlags & 1);
      b.u64(t.capInheritable);
      b.u64(t.capPermitted);
      b.u64(t.capEffective);
    } else {
      b.u64(0n); // pidns_init_start_ts
      b.u32(t.tty);
      b.u32(t.loginuid);
      b.u8(t.exeFlags & 1); // exe_writable
      b.u64(t.capInheritable);
      b.u64(t.capPermitted);
      b.u64(t.capEffective);
      b.u8((t.exeFlags >> 1) & 1); // exe_upper_layer
      b.u64(t.exeIno);
      b.u64(t.exeCtime);
      b.u64(t.exeMtime);
      b.u8((t.exeFlags >> 2) & 1); // exe_from_memfd
      b.u8((t.exeFlags >> 3) & 1); // exe_lower_layer
      b.i64n(t.pgid);
    }
    b.buf.writeUInt32LE(b.pos - at, at);
  }
  endBlock(b, start);
}

const SCAP_L4 = (proto: number): number => (proto === 6 ? 2 : proto === 17 ? 3 : proto === 1 || proto === 58 ? 4 : proto === 255 ? 5 : 0);

const FD_TYPES: Readonly<Record<string, number>> = {
  file: SCAP_FD.FILE_V2,
  directory: SCAP_FD.DIRECTORY,
  pipe: SCAP_FD.FIFO,
  event: SCAP_FD.EVENT,
  signalfd: SCAP_FD.SIGNALFD,
  eventpoll: SCAP_FD.EVENTPOLL,
  inotify: SCAP_FD.INOTIFY,
  timerfd: SCAP_FD.TIMERFD,
  netlink: SCAP_FD.NETLINK,
  bpf: SCAP_FD.BPF,
  userfaultfd: SCAP_FD.USERFAULTFD,
  io_uring: SCAP_FD.IOURING,
  memfd: SCAP_FD.MEMFD,
  pidfd: SCAP_FD.PIDFD,
  unix: SCAP_FD.UNIX_SOCK,
};

function fdEntry(b: ByteBuilder, f: FdRow, profile: TargetProfile): void {
  let type: number;
  if (f.type === 'ipv4' || f.type === 'ipv6') {
    const server = f.sport === 0 && isUnspecified(f.sip);
    type = f.type === 'ipv4' ? (server ? SCAP_FD.IPV4_SERVSOCK : SCAP_FD.IPV4_SOCK) : server ? SCAP_FD.IPV6_SERVSOCK : SCAP_FD.IPV6_SOCK;
  } else {
    type = FD_TYPES[f.type] ?? SCAP_FD.UNSUPPORTED;
    // Older readers reject fd types they do not know: a memfd was a file to them.
    if (type > profile.maxFdType) type = type === SCAP_FD.MEMFD ? SCAP_FD.FILE_V2 : SCAP_FD.UNSUPPORTED;
  }
  b.reserve(64);
  const at = b.pos;
  b.u32(0);
  b.i64(f.fd);
  b.u64(f.ino);
  b.u8(type);
  switch (type) {
    case SCAP_FD.IPV4_SOCK:
      b.bytes(ipv4Bytes(f.sip));
      b.bytes(ipv4Bytes(f.dip));
      b.u16(f.sport);
      b.u16(f.dport);
      b.u8(SCAP_L4(f.l4proto));
      break;
    case SCAP_FD.IPV4_SERVSOCK:
      b.bytes(ipv4Bytes(f.dip));
      b.u16(f.dport);
      b.u8(SCAP_L4(f.l4proto));
      break;
    case SCAP_FD.IPV6_SOCK:
      b.reserve(40);
      b.bytes(ipv6Bytes(f.sip));
      b.bytes(ipv6Bytes(f.dip));
      b.u16(f.sport);
      b.u16(f.dport);
      b.u8(SCAP_L4(f.l4proto));
      break;
    case SCAP_FD.IPV6_SERVSOCK:
      b.bytes(ipv6Bytes(f.dip));
      b.u16(f.dport);
      b.u8(SCAP_L4(f.l4proto));
      break;
    case SCAP_FD.UNIX_SOCK:
      b.u64(0n);
      b.u64(0n);
      lenText(b, f.path, SCAP_MAX.FD_NAME);
      break;
    case SCAP_FD.FILE_V2:
      b.u32(f.flags);
      lenText(b, f.path, SCAP_MAX.FD_NAME);
      b.reserve(4);
      b.u32(f.dev);
      break;
    default:
      lenText(b, f.path, SCAP_MAX.FD_NAME);
  }
  b.buf.writeUInt32LE(b.pos - at, at);
}

/** One fd list block per process of the process list (fds belong to the thread group leader). */
export function fdLists(b: ByteBuilder, snap: Snapshot, profile: TargetProfile): void {
  const leaders = new Set(snap.threads.filter((t) => t.tid === t.pid).map((t) => t.tid));
  for (const [pid, fds] of snap.fds) {
    if (!leaders.has(pid) || fds.length === 0) continue;
    const start = beginBlock(b, BLOCK.FDL_V2);
    b.reserve(8);
    b.i64n(pid);
    for (const f of fds) fdEntry(b, f, profile);
    endBlock(b, start);
  }
}
