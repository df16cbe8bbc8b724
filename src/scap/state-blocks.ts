import { RECORD_TYPES } from '../trace/columns.js';
import type { TraceEvent } from '../trace/event.js';
import { PPM_EXE } from '../trace/flags.js';
import { BLOCK, type BlockReader } from './blocks.js';
import { ScapFormatError } from './input.js';
import { cstring, cstrings, ipv4Text, ipv6Text, unixPath } from './params.js';
import { shownFamily } from '../util/ip.js';

/**
 * The state blocks that precede the events of a .scap section: machine info, process lists (all
 * nine versions), fd lists (v1, v2), user/group lists (v1, v2) and interface lists (v1, v2),
 * decoded into snapshot rows of the trace's event model (`num` and `ts` are filled in by the
 * caller when the snapshot is emitted). Layouts from libscap's savefile reader.
 */

export type StateRow = Omit<TraceEvent, 'num' | 'ts'> & { num?: bigint; ts?: bigint };

/** Bounds-checked little-endian cursor over a block body. */
class Cursor {
  constructor(
    readonly r: BlockReader,
    public at: number,
    public end: number,
  ) {}

  get buf(): Uint8Array {
    return this.r.input.buf;
  }

  need(n: number, what: string): void {
    if (this.end - this.at < n) throw new ScapFormatError(`${what}: entry runs past the end of its block`, this.r.offset);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.r.input.buf[this.at++];
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.r.input.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.r.input.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  i64(what: string): bigint {
    this.need(8, what);
    const v = this.r.input.view.getBigInt64(this.at, true);
    this.at += 8;
    return v;
  }

  u64(what: string): bigint {
    this.need(8, what);
    const v = this.r.input.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }

  /** u16 length + bytes; returns [offset, length]. */
  lenBytes(what: string, max: number): [number, number] {
    const len = this.u16(what);
    if (len > max) throw new ScapFormatError(`${what}: length ${len} is larger than the ${max} bytes libscap allows`, this.r.offset);
    this.need(len, what);
    const at = this.at;
    this.at += len;
    return [at, len];
  }

  str(what: string, max: number): string {
    const [at, len] = this.lenBytes(what, max);
    return cstring(this.buf, at, len);
  }
}

// libscap's limits (SCAP_MAX_PATH_SIZE, SCAP_MAX_ARGS_SIZE, SCAP_MAX_ENV_SIZE, SCAP_MAX_CGROUPS_SIZE, MAX_CREDENTIALS_STR_LEN).
const MAX_PATH = 1024;
const MAX_ARGS = 4096;
const MAX_ENV = 4096;
const MAX_CGROUPS = 4096;
const MAX_CREDENTIAL = 256;

export interface MachineInfo {
  cpus: number;
  memoryBytes: bigint;
  maxPid: bigint;
  hostname: string;
  /** 0 when the file predates the field. */
  bootTimeNs: bigint;
}

/** Machine info block: u32 cpus, u64 memory, u64 max pid, char hostname[128], u64 boot time, u64 flags, 2 × u64 reserved. */
export function readMachineInfo(r: BlockReader): MachineInfo {
  const c = new Cursor(r, r.bodyStart, r.bodyEnd);
  const cpus = c.u32('machine info');
  const memoryBytes = c.u64('machine info');
  const maxPid = c.u64('machine info');
  c.need(128, 'machine info');
  const hostname = cstring(c.buf, c.at, 128);
  c.at += 128;
  const bootTimeNs = c.end - c.at >= 8 ? c.u64('machine info') : 0n;
  return { cpus, memoryBytes, maxPid, hostname, bootTimeNs };
}

export function machineRow(m: MachineInfo | null, interfaces: readonly string[]): StateRow {
  const extra: Record<string, string> = {};
  if (m) {
    extra.cpus = String(m.cpus);
    extra.memory_bytes = String(m.memoryBytes);
    extra.max_pid = String(m.maxPid);
    if (m.bootTimeNs !== 0n) extra.boot_time_ns = String(m.bootTimeNs);
  }
  if (interfaces.length > 0) extra.interfaces = interfaces.join(' ');
  return { type: RECORD_TYPES.snapshotMachine, cpu: -1, name: m?.hostname ?? '', extra };
}

/** The cgroup path a container is recognised by: cpuset's (where runtimes put the id), else v2's, else the first. */
/**
 * The cgroups of a thread as libscap lists them, `controller=path`, from the one cgroup path a
 * tsfalco capture records (cgroup v2: every controller has the same path).
 */
export function cgroupEntriesFor(path: string): string[] {
  return ['cpuset', 'cpu', 'cpuacct', 'io', 'memory', 'pids'].map((c) => `${c}=${path}`);
}

/**
 * A `controller=path` entry with the controller named as libsinsp names it (set_cgroups):
 * `X_cgroup` is X, perf is perf_event, mem is memory, io is blkio (its old name).
 */
export function sinspCgroupEntry(entry: string): string {
  const eq = entry.indexOf('=');
  if (eq < 0) return entry;
  let sub = entry.slice(0, eq).replace('_cgroup', '');
  sub = sub === 'perf' ? 'perf_event' : sub === 'mem' ? 'memory' : sub === 'io' ? 'blkio' : sub;
  return `${sub}${entry.slice(eq)}`;
}

/** A `cgroups` parameter's text (NUL-separated entries shown as '.') back as its entries. */
export function cgroupEntriesOfText(text: string): string[] {
  return text.replace(/\.$/, '').split(/\.(?=[a-z_0-9]+=)/).filter((e) => e.includes('='));
}

function pickCgroup(entries: readonly string[]): string | undefined {
  let first: string | undefined;
  let unified: string | undefined;
  for (const e of entries) {
    const eq = e.indexOf('=');
    const sub = eq < 0 ? '' : e.slice(0, eq);
    const path = eq < 0 ? e : e.slice(eq + 1);
    if (sub === 'cpuset') return path;
    if (sub === '' || sub === '0') unified ??= path;
    first ??= path;
  }
  return unified ?? first;
}

export function cgroupColumns(row: StateRow, entries: readonly string[]): void {
  if (entries.length === 0) return;
  const path = pickCgroup(entries);
  if (path !== undefined) row.cgroup = path;
}

function nz(v: bigint): bigint | null {
  return v === 0n ? null : v;
}

/**
 * A process list block (version 1…9): one snapshot_proc row per thread. What each version adds,
 * in order: v2 memory counters, v3 environment, v4 vtid/vpid/cgroups, v5 root, v6 sid, v7 exe
 * path, v8 vpgid, v9 an entry length followed by optional fields (loginuid, capabilities, exe
 * inode and times, overlay/memfd flags, pgid; files of libs 0.10+ insert pidns start and tty first).
 */
export function readProcList(r: BlockReader, version: number, emit: (row: StateRow) => void): void {
  const blockEnd = r.bodyEnd;
  let at = r.bodyStart;
  while (blockEnd - at >= 4) {
    let subLen = 0;
    let c = new Cursor(r, at, blockEnd);
    if (version === 9) {
      subLen = c.u32('process list');
      if (subLen < 4 || subLen > blockEnd - at) throw new ScapFormatError(`process list entry length ${subLen} does not fit its block`, r.offset);
      c = new Cursor(r, at + 4, at + subLen);
    }
    const entryStart = at;
    const tid = Number(c.i64('process list'));
    const pid = Number(c.i64('process list'));
    const ptid = Number(c.i64('process list'));
    const row: StateRow = { type: RECORD_TYPES.snapshotProc, tid, pid, ppid: ptid };
    if (version >= 6) row.sid = Number(c.i64('process list'));
    if (version >= 8) row.pgid = Number(c.i64('process list'));
    row.comm = c.str('process comm', MAX_PATH);
    row.exe = c.str('process exe', MAX_PATH);
    if (version >= 7) row.exepath = c.str('process exepath', MAX_PATH);
    const [argsAt, argsLen] = c.lenBytes('process args', MAX_ARGS);
    row.args = cstrings(c.buf, argsAt, argsLen);
    row.cwd = c.str('process cwd', MAX_PATH);
    // Resource figures without a column go to `extra` under the execve exit's parameter names.
    const extra: Record<string, string> = {};
    extra.fdlimit = String(c.i64('process fdlimit'));
    c.u32('process flags');
    row.euid = c.u32('process uid');
    row.egid = c.u32('process gid');
    if (version >= 2) {
      extra.vm_size = String(c.u32('process vmsize'));
      extra.vm_rss = String(c.u32('process vmrss'));
      extra.vm_swap = String(c.u32('process vmswap'));
      extra.pgft_maj = String(c.u64('process pfmajor'));
      extra.pgft_min = String(c.u64('process pfminor'));
      if (version >= 3) {
        const [envAt, envLen] = c.lenBytes('process env', MAX_ENV);
        row.env = cstrings(c.buf, envAt, envLen);
      }
      if (version >= 4) {
        row.vtid = Number(c.i64('process vtid'));
        row.vpid = Number(c.i64('process vpid'));
        const [cgAt, cgLen] = c.lenBytes('process cgroups', MAX_CGROUPS);
        const cgroups = cstrings(c.buf, cgAt, cgLen);
        cgroupColumns(row, cgroups);
        // all of them, as a clone or execve exit's parameter shows them (thread.cgroups)
        if (cgroups.length > 0) extra.cgroups = cgroups.join('.');
        if (version >= 5) c.str('process root', MAX_PATH);
      }
    }
    if (version === 9) {
      readProcExtensions(c, row, subLen - 4, extra);
      at = entryStart + subLen;
    } else {
      at = c.at;
    }
    row.extra = extra;
    emit(row);
  }
}

/** The optional fields of a v9 entry, each read only when the entry is long enough to hold it. */
function readProcExtensions(c: Cursor, row: StateRow, _len: number, extra: Record<string, string>): void {
  const fits = (n: number) => c.end - c.at >= n;
  // libs 0.10 inserted pidns_init_start_ts and tty before the older optional fields; entries
  // with at most 29 optional bytes left are from before (loginuid 4 + exe_writable 1 + 3 caps × 8).
  if (c.end - c.at > 29) {
    if (fits(8)) {
      const pidns = c.u64('pidns start');
      if (pidns !== 0n) extra.pidns_init_start_ts = String(pidns);
    }
    if (fits(4)) row.tty = c.u32('tty');
  }
  let exeFlags = 0;
  let any = false;
  if (fits(4)) {
    const login = c.u32('loginuid');
    row.loginuid = login === 0xffffffff ? -1 : login | 0;
  }
  if (fits(1)) {
    any = true;
    if (c.u8('exe_writable')) exeFlags |= PPM_EXE.WRITABLE;
  }
  if (fits(8)) row.cap_inheritable = c.u64('cap_inheritable');
  if (fits(8)) row.cap_permitted = c.u64('cap_permitted');
  if (fits(8)) row.cap_effective = c.u64('cap_effective');
  if (fits(1) && c.u8('exe_upper_layer')) exeFlags |= PPM_EXE.UPPER_LAYER;
  if (fits(8)) row.exe_ino = nz(c.u64('exe_ino'));
  if (fits(8)) row.exe_ctime = nz(c.u64('exe_ctime'));
  if (fits(8)) row.exe_mtime = nz(c.u64('exe_mtime'));
  if (fits(1) && c.u8('exe_from_memfd')) exeFlags |= PPM_EXE.FROM_MEMFD;
  if (fits(1) && c.u8('exe_lower_layer')) exeFlags |= PPM_EXE.LOWER_LAYER;
  // pgid (global) has no column: `pgid` holds the namespace view (vpgid) as Falco's proc.vpgid.
  if (any) row.exe_flags = exeFlags;
}

/** scap's transport codes (SCAP_L4_*: unknown, n/a, tcp, udp, icmp, raw) → IP protocol numbers, as the trace stores them. */
function l4proto(code: number, family: number): number {
  switch (code) {
    case 2:
      return 6;
    case 3:
      return 17;
    case 4:
      return family === 10 ? 58 : 1;
    case 5:
      return 255;
    default:
      return 0;
  }
}

/** scap's fd types (scap_fd_type) → the trace's fd_type names. */
const FD_TYPES: Record<number, string> = {
  1: 'file', 2: 'directory', 3: 'ipv4', 4: 'ipv6', 5: 'ipv4', 6: 'ipv6', 7: 'pipe', 8: 'unix', 9: 'event', 10: 'unknown',
  11: 'signalfd', 12: 'eventpoll', 13: 'inotify', 14: 'timerfd', 15: 'netlink', 16: 'file', 17: 'bpf', 18: 'userfaultfd',
  19: 'io_uring', 20: 'memfd', 21: 'pidfd',
};

/** An established socket as the fd list stores it (local, remote), before client/server roles are decided. */
export interface PendingSocket {
  row: StateRow;
  local: [string, number];
  remote: [string, number];
}

/**
 * A fd list block: the fds of one process. `pidOf` maps the block's thread id to its process.
 * Established sockets are returned apart: which end is the client is decided once every fd list
 * of the snapshot is known (a local port that some socket listens on is the server's).
 */
export function readFdList(r: BlockReader, pidOf: (tid: number) => number, emit: (row: StateRow) => void, sockets: PendingSocket[], listening: Set<string>): void {
  const v2 = r.type === BLOCK.FDL_V2;
  const head = new Cursor(r, r.bodyStart, r.bodyEnd);
  const tid = Number(head.i64('fd list'));
  const pid = pidOf(tid);
  let at = head.at;
  const blockEnd = r.bodyEnd;
  // A later entry for the same fd replaces an earlier one (libscap's fd table is keyed by fd).
  const socketOf = new Map<unknown, PendingSocket>();
  while (blockEnd - at >= 4) {
    let c = new Cursor(r, at, blockEnd);
    let subLen = 0;
    if (v2) {
      subLen = c.u32('fd list');
      if (subLen < 4 || subLen > blockEnd - at) throw new ScapFormatError(`fd list entry length ${subLen} does not fit its block`, r.offset);
      c = new Cursor(r, at, at + subLen);
      c.at += 4;
    }
    const fd = c.i64('fd entry');
    const ino = c.u64('fd entry');
    const type = c.u8('fd entry');
    const row: StateRow = { type: RECORD_TYPES.snapshotFd, pid, tid, fd };
    if (ino !== 0n) row.ino = ino;
    const fdType = FD_TYPES[type];
    row.fd_type = fdType ?? 'unknown';
    let pending: PendingSocket | null = null;
    switch (type) {
      case 3: {
        // ipv4 socket: local ip, remote ip, local port, remote port, l4 protocol.
        c.need(13, 'ipv4 fd');
        const b = c.buf;
        const local = ipv4Text(b, c.at);
        const remote = ipv4Text(b, c.at + 4);
        c.at += 8;
        const lport = c.u16('ipv4 fd');
        const rport = c.u16('ipv4 fd');
        row.l4proto = l4proto(c.u8('ipv4 fd'), 2);
        row.sock_family = 2;
        pending = { row, local: [local, lport], remote: [remote, rport] };
        break;
      }
      case 4: {
        c.need(37, 'ipv6 fd');
        const b = c.buf;
        const mapped = shownFamily(10, b, c.at) === 2;
        const local = mapped ? ipv4Text(b, c.at + 12) : ipv6Text(b, c.at);
        const remote = mapped ? ipv4Text(b, c.at + 28) : ipv6Text(b, c.at + 16);
        c.at += 32;
        const lport = c.u16('ipv6 fd');
        const rport = c.u16('ipv6 fd');
        row.l4proto = l4proto(c.u8('ipv6 fd'), 10);
        row.sock_family = mapped ? 2 : 10;
        if (mapped) row.fd_type = 'ipv4';
        pending = { row, local: [local, lport], remote: [remote, rport] };
        break;
      }
      case 5: {
        c.need(7, 'ipv4 server fd');
        row.dip = ipv4Text(c.buf, c.at);
        c.at += 4;
        row.dport = c.u16('ipv4 server fd');
        row.l4proto = l4proto(c.u8('ipv4 server fd'), 2);
        row.sock_family = 2;
        listening.add(`${row.l4proto}:${row.dport}`);
        break;
      }
      case 6: {
        c.need(19, 'ipv6 server fd');
        row.dip = ipv6Text(c.buf, c.at);
        c.at += 16;
        row.dport = c.u16('ipv6 server fd');
        row.l4proto = l4proto(c.u8('ipv6 server fd'), 10);
        row.sock_family = 10;
        listening.add(`${row.l4proto}:${row.dport}`);
        break;
      }
      case 8: {
        c.u64('unix fd');
        c.u64('unix fd');
        const [p, len] = c.lenBytes('unix fd name', MAX_PATH);
        // Older libscap kept the line end of /proc/net/unix in the name.
        const path = unixPath(c.buf, p, len);
        row.path = path.endsWith('\n') ? path.slice(0, -1) : path;
        row.sock_family = 1;
        break;
      }
      case 16: {
        row.flags = c.u32('file fd');
        row.path = c.str('file fd name', MAX_PATH);
        if (v2 && c.end - c.at >= 4) row.dev = c.u32('file fd dev');
        break;
      }
      case 0:
        break;
      default:
        if (fdType === undefined) {
          // A type from a newer libscap: its layout is unknown, only a v2 entry length lets us skip it.
          if (!v2) throw new ScapFormatError(`fd list entry of unknown type ${type}`, r.offset);
          row.path = `unknown-type:[${type}]`;
        } else {
          row.path = c.str('fd name', MAX_PATH);
        }
    }
    at = v2 ? at + subLen : c.at;
    if (pending) socketOf.set(fd, pending);
    else {
      socketOf.delete(fd);
      emit(row);
    }
  }
  for (const s of socketOf.values()) sockets.push(s);
}

/** Puts pending sockets' ends in the client (s*) and server (d*) columns. */
export function settleSockets(sockets: readonly PendingSocket[], listening: ReadonlySet<string>, emit: (row: StateRow) => void): void {
  for (const s of sockets) {
    const serverSide = listening.has(`${s.row.l4proto}:${s.local[1]}`);
    const [client, server] = serverSide ? [s.remote, s.local] : [s.local, s.remote];
    s.row.sip = client[0];
    s.row.sport = client[1];
    s.row.dip = server[0];
    s.row.dport = server[1];
    emit(s.row);
  }
}

/** A user list block: users (uid, gid, name, home, shell) and groups (gid, name). */
export function readUserList(r: BlockReader, emit: (row: StateRow) => void): void {
  const v2 = r.type === BLOCK.UL_V2;
  const blockEnd = r.bodyEnd;
  let at = r.bodyStart;
  while (blockEnd - at >= 4) {
    let c = new Cursor(r, at, blockEnd);
    let subLen = 0;
    if (v2) {
      subLen = c.u32('user list');
      if (subLen < 4 || subLen > blockEnd - at) throw new ScapFormatError(`user list entry length ${subLen} does not fit its block`, r.offset);
      c = new Cursor(r, at + 4, at + subLen);
    }
    const kind = c.u8('user list');
    if (kind === 0) {
      const uid = c.u32('user');
      const gid = c.u32('user');
      const name = c.str('user name', MAX_CREDENTIAL);
      const home = c.str('user home', MAX_CREDENTIAL);
      const shell = c.str('user shell', MAX_CREDENTIAL);
      emit({ type: RECORD_TYPES.snapshotUser, uid, gid, name, path: home, path2: shell });
    } else {
      const gid = c.u32('group');
      const name = c.str('group name', MAX_CREDENTIAL);
      emit({ type: RECORD_TYPES.snapshotGroup, gid, name });
    }
    at = v2 ? at + subLen : c.at;
  }
}

/** An interface list block, as `name=address` strings. */
export function readInterfaces(r: BlockReader): string[] {
  const v2 = r.type === BLOCK.IL_V2;
  const out: string[] = [];
  const blockEnd = r.bodyEnd;
  let at = r.bodyStart;
  while (blockEnd - at >= 4) {
    let entryEnd = -1;
    const c = new Cursor(r, at, blockEnd);
    if (v2) {
      const size = c.u32('interface list');
      entryEnd = c.at + size;
      if (size < 4 || entryEnd > blockEnd) throw new ScapFormatError(`interface list entry length ${size} does not fit its block`, r.offset);
    }
    const type = c.u16('interface');
    const nameLen = c.u16('interface');
    if (nameLen >= MAX_PATH) throw new ScapFormatError(`interface name length ${nameLen} is too large`, r.offset);
    let addr: string;
    if (type === 1 || type === 3) {
      c.need(12, 'ipv4 interface');
      addr = ipv4Text(c.buf, c.at);
      c.at += 12;
      if (type === 1) c.u64('ipv4 interface');
    } else if (type === 2 || type === 4) {
      c.need(48, 'ipv6 interface');
      addr = ipv6Text(c.buf, c.at);
      c.at += 48;
      if (type === 2) c.u64('ipv6 interface');
    } else {
      throw new ScapFormatError(`interface list entry of unknown type ${type}`, r.offset);
    }
    c.need(nameLen, 'interface name');
    out.push(`${cstring(c.buf, c.at, nameLen)}=${addr}`);
    c.at += nameLen;
    at = entryEnd >= 0 ? Math.max(entryEnd, c.at) : c.at;
  }
  return out;
}
