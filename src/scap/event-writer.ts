import { COLUMNS } from '../trace/columns.js';
import { type Param, paramsOf } from '../trace/event-params.js';
import { ipv4Bytes, ipv6Bytes } from './addr.js';
import type { ByteBuilder } from './byte-sink.js';
import { EVENT_TABLE, PT, type ScapParamInfo } from './event-table.js';
import { BLOCK, PPM_AF } from './format.js';
import type { RowCursor } from './row-cursor.js';
import { cgroupEntriesFor } from './state-blocks.js';

/**
 * Encodes one event (block header, cpu, event header, parameter lengths and values) from a row of
 * a trace. Each parameter of the event table's layout gets its value from the row's columns,
 * found through src/trace/event-params.ts by the parameter's name; what the trace does not hold
 * (page faults, fd limit, queue lengths…) is written as zero, as a driver writes a value it could
 * not read. Process fields a driver takes from the running task (exe, args, cwd of a clone) come
 * from the writer's view of the processes when the row does not carry them.
 */

/** What a process looked like last, for parameters a driver reads from the task. */
export interface ProcView {
  comm: string;
  exe: string;
  exepath: string;
  args: readonly string[];
  cwd: string;
  env: readonly string[];
  cgroup: string;
}

export interface EventContext {
  cur: RowCursor;
  /** The process view of the row's thread, if known. */
  proc: ProcView | undefined;
}

type Value = number | bigint | string | Uint8Array | readonly string[] | Tuple | SockAddr | null;

interface Tuple {
  kind: 'tuple';
  family: number;
  sip: string | null;
  sport: number;
  dip: string | null;
  dport: number;
  path: string | null;
}

interface SockAddr {
  kind: 'sockaddr';
  family: number;
  ip: string | null;
  port: number;
  path: string | null;
}

type Getter = (ctx: EventContext) => Value;

/** Longest value written for a variable-length parameter (the event must fit libscap's 64 KiB buffer). */
const MAX_TEXT = 4096;
const MAX_DATA = 16384;
/**
 * Room reserved per event block. libscap reads blocks of up to 64 KiB (its READER_BUF_SIZE); with
 * the caps above the largest event (execve: eight text parameters) stays well below this.
 */
export const MAX_EVENT_BLOCK = 60 * 1024;

const COLUMN_KIND = new Map<string, string>(COLUMNS.map((c) => [c.name, c.kind]));

function columnGetter(col: string): Getter {
  switch (COLUMN_KIND.get(col)) {
    case 'string':
      return ({ cur }) => cur.str(col);
    case 'int64':
    case 'uint64':
    case 'timestamp':
      return ({ cur }) => cur.big(col);
    case 'strings':
      return ({ cur }) => cur.list(col);
    case 'binary':
      return ({ cur }) => cur.bytes(col);
    case 'bool':
      return ({ cur }) => (cur.bool(col) ? 1 : 0);
    case 'map':
      return () => null;
    case undefined:
      return () => null;
    default:
      return ({ cur }) => cur.int(col);
  }
}

function familyOf(ctx: EventContext): number {
  const f = ctx.cur.int('sock_family');
  if (f !== null) return f;
  const t = ctx.cur.str('fd_type');
  return t === 'ipv4' ? PPM_AF.INET : t === 'ipv6' ? PPM_AF.INET6 : t === 'unix' ? PPM_AF.UNIX : PPM_AF.UNSPEC;
}

/** The connection as Falco's tuple: client (sip:sport) → server (dip:dport), as the trace stores it. */
const tupleGetter: Getter = (ctx) => {
  const { cur } = ctx;
  const family = familyOf(ctx);
  if (family === PPM_AF.UNIX) return { kind: 'tuple', family, sip: null, sport: 0, dip: null, dport: 0, path: cur.str('path') };
  if (family !== PPM_AF.INET && family !== PPM_AF.INET6) return null;
  if (!cur.has('sip') && !cur.has('dip')) return null;
  return { kind: 'tuple', family, sip: cur.str('sip'), sport: cur.int('sport') ?? 0, dip: cur.str('dip'), dport: cur.int('dport') ?? 0, path: null };
};

/** The address a connect/bind names: the server side. */
const sockaddrGetter: Getter = (ctx) => {
  const { cur } = ctx;
  const family = familyOf(ctx);
  if (family === PPM_AF.UNIX) return { kind: 'sockaddr', family, ip: null, port: 0, path: cur.str('path') };
  if (family !== PPM_AF.INET && family !== PPM_AF.INET6) return null;
  if (!cur.has('dip')) return null;
  return { kind: 'sockaddr', family, ip: cur.str('dip'), port: cur.int('dport') ?? 0, path: null };
};

function paramGetter(p: Param): Getter {
  if (p.col === 'tuple') return tupleGetter;
  if (p.col === 'addr') return sockaddrGetter;
  if (p.col === 'extra') return ({ cur }) => cur.map('extra')?.[p.name] ?? null;
  return columnGetter(p.col);
}

/** Names libs gives parameters that src/trace/event-params.ts lists under another name, by column. */
const ALIAS_COLUMN: Readonly<Record<string, string>> = {
  vpgid: 'pgid',
  gid: 'egid',
  uid: 'euid',
  trusted_exepath: 'exepath',
};

/** The generic parameter names (fd, res, path, name…), for event layouts named differently from the trace type. */
const GENERIC_PARAMS = paramsOf('\0generic');

/** Process fields a driver reads from the task itself. */
const FROM_PROC: Readonly<Record<string, (p: ProcView) => Value>> = {
  exe: (p) => p.exe,
  args: (p) => p.args,
  cwd: (p) => p.cwd,
  comm: (p) => p.comm,
  env: (p) => p.env,
  cgroups: (p) => p.cgroup || null,
  trusted_exepath: (p) => p.exepath,
};

/** Header values a parameter repeats (clone/execve tid, pid, ptid; namespaced ids outside containers). */
const FROM_HEADER: Readonly<Record<string, Getter>> = {
  tid: ({ cur }) => cur.int('tid'),
  pid: ({ cur }) => cur.int('pid'),
  ptid: ({ cur }) => cur.int('ppid'),
  vtid: ({ cur }) => cur.int('vtid') ?? cur.int('tid'),
  vpid: ({ cur }) => cur.int('vpid') ?? cur.int('pid'),
  comm: ({ cur }) => cur.str('comm'),
};

/** procexit: the trace keeps the kernel's exit code (status << 8 | signal, 0x80 = core dumped). */
const PROCEXIT: Readonly<Record<string, Getter>> = {
  status: ({ cur }) => cur.big('id'),
  ret: ({ cur }) => (Number(cur.big('id') ?? 0n) >> 8) & 0xff,
  sig: ({ cur }) => Number(cur.big('id') ?? 0n) & 0x7f,
  core: ({ cur }) => ((Number(cur.big('id') ?? 0n) & 0x80) !== 0 ? 1 : 0),
};


/** cgroups as libscap writes them, `controller=path` entries, from the trace's one cgroup path. */
function cgroupValue(v: Value): Value {
  if (typeof v === 'string') return v ? cgroupEntriesFor(v) : null;
  if (Array.isArray(v)) return (v as readonly string[]).every((e) => e.includes('=')) ? v : (v as readonly string[]).flatMap(cgroupEntriesFor);
  return v;
}

function getterFor(type: string, info: ScapParamInfo): Getter {
  const name = info.name;
  if (type === 'procexit' && PROCEXIT[name]) return PROCEXIT[name];
  const own = paramsOf(type).find((p) => p.name === name);
  let base: Getter | null = own ? paramGetter(own) : null;
  if (!base && ALIAS_COLUMN[name]) base = columnGetter(ALIAS_COLUMN[name]);
  if (!base && name === 'cgroups') base = columnGetter('cgroup');
  if (!base) {
    const generic = GENERIC_PARAMS.find((p) => p.name === name);
    if (generic) base = paramGetter(generic);
  }
  const header = FROM_HEADER[name];
  const proc = FROM_PROC[name];
  const get: Getter = (ctx) => {
    let v = base ? base(ctx) : null;
    // A parameter without a column of its own (a trace read from a .scap keeps it in `extra`, as text).
    if (v === null) v = ctx.cur.map('extra')?.[name] ?? null;
    if (v === null && proc && ctx.proc) v = proc(ctx.proc);
    if (v === null && header) v = header(ctx);
    return v;
  };
  return name === 'cgroups' ? (ctx) => cgroupValue(get(ctx)) : get;
}

export interface EventPlan {
  code: number;
  params: readonly { type: number; get: Getter; dyn: number | null }[];
}

const plans = new Map<string, EventPlan>();

/** How to fill event `code` from rows of trace type `type` (cached). */
export function planFor(type: string, code: number): EventPlan {
  const key = `${type}\0${code}`;
  let plan = plans.get(key);
  if (plan) return plan;
  const info = EVENT_TABLE[code];
  plan = {
    code,
    params: info.params.map((p) => ({ type: p.type, get: getterFor(type, p), dyn: p.dynamic ? p.dynamic[0].type : null })),
  };
  plans.set(key, plan);
  return plan;
}

const TEXT_TYPES: ReadonlySet<number> = new Set([PT.CHARBUF, PT.FSPATH, PT.FSRELPATH]);

function toBig(v: Value): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

function toNum(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return 0;
}

function nulTerminated(out: ByteBuilder, items: readonly string[], max: number): void {
  let room = max;
  for (const s of items) {
    if (room <= 1) break;
    const n = out.text(s, room - 1);
    out.u8(0);
    room -= n + 1;
  }
}

/** Writes one parameter value of type `pt`. Missing values: zero, empty text, empty buffer. */
function encodeValue(out: ByteBuilder, pt: number, v: Value, dyn: number | null): void {
  switch (pt) {
    case PT.INT8:
    case PT.UINT8:
    case PT.FLAGS8:
    case PT.SIGTYPE:
    case PT.L4PROTO:
    case PT.SOCKFAMILY:
    case PT.ENUMFLAGS8:
      out.u8(toNum(v) & 0xff);
      return;
    case PT.INT16:
    case PT.UINT16:
    case PT.FLAGS16:
    case PT.PORT:
    case PT.SYSCALLID:
    case PT.ENUMFLAGS16:
      out.u16(toNum(v));
      return;
    case PT.INT32:
    case PT.FD32:
    case PT.PID32:
      out.i32(v === null && pt === PT.FD32 ? -1 : toNum(v));
      return;
    case PT.UINT32:
    case PT.FLAGS32:
    case PT.MODE:
    case PT.BOOL:
    case PT.SIGSET:
    case PT.ENUMFLAGS32:
      out.u32(toNum(v));
      return;
    case PT.UID:
    case PT.GID:
      out.u32(v === null ? 0xffffffff : toNum(v));
      return;
    case PT.INT64:
    case PT.ERRNO:
    case PT.PID:
    case PT.RELTIME:
    case PT.ABSTIME:
    case PT.UINT64:
      out.i64(toBig(v));
      return;
    case PT.FD:
      out.i64(v === null ? -1n : toBig(v));
      return;
    case PT.DOUBLE:
      out.buf.writeDoubleLE(toNum(v), out.pos);
      out.pos += 8;
      return;
    case PT.CHARBUF:
    case PT.FSPATH:
    case PT.FSRELPATH:
      if (typeof v === 'string') out.text(v, MAX_TEXT - 1);
      else if (Array.isArray(v)) out.text(v.join(' '), MAX_TEXT - 1);
      out.u8(0);
      return;
    case PT.BYTEBUF:
      if (v instanceof Uint8Array) out.bytes(v.length > MAX_DATA ? v.subarray(0, MAX_DATA) : v);
      else if (Array.isArray(v)) nulTerminated(out, v as readonly string[], MAX_TEXT);
      else if (typeof v === 'string') out.text(v, MAX_TEXT);
      return;
    case PT.CHARBUFARRAY:
    case PT.CHARBUF_PAIR_ARRAY:
      if (Array.isArray(v)) nulTerminated(out, v as readonly string[], MAX_TEXT);
      return;
    case PT.SOCKTUPLE:
      if (v && typeof v === 'object' && 'kind' in v && v.kind === 'tuple') encodeTuple(out, v);
      return;
    case PT.SOCKADDR:
      if (v && typeof v === 'object' && 'kind' in v && v.kind === 'sockaddr') encodeSockaddr(out, v);
      return;
    case PT.IPV4ADDR:
      out.bytes(ipv4Bytes(typeof v === 'string' ? v : null));
      return;
    case PT.IPV6ADDR:
      out.bytes(ipv6Bytes(typeof v === 'string' ? v : null));
      return;
    case PT.IPADDR:
      if (typeof v === 'string' && v.includes(':')) out.bytes(ipv6Bytes(v));
      else out.bytes(ipv4Bytes(typeof v === 'string' ? v : null));
      return;
    case PT.FDLIST:
      out.u16(0);
      return;
    case PT.DYN:
      out.u8(0);
      encodeValue(out, dyn ?? PT.UINT64, v, null);
      return;
    default:
      // PT_NONE and network types no syscall event carries: nothing.
      return;
  }
}

function encodeTuple(out: ByteBuilder, t: Tuple): void {
  out.u8(t.family);
  if (t.family === PPM_AF.UNIX) {
    out.u64(0n);
    out.u64(0n);
    out.text(t.path ?? '', MAX_TEXT - 1);
    out.u8(0);
  } else if (t.family === PPM_AF.INET) {
    out.bytes(ipv4Bytes(t.sip));
    out.u16(t.sport);
    out.bytes(ipv4Bytes(t.dip));
    out.u16(t.dport);
  } else {
    out.bytes(ipv6Bytes(t.sip));
    out.u16(t.sport);
    out.bytes(ipv6Bytes(t.dip));
    out.u16(t.dport);
  }
}

function encodeSockaddr(out: ByteBuilder, a: SockAddr): void {
  out.u8(a.family);
  if (a.family === PPM_AF.UNIX) {
    out.text(a.path ?? '', MAX_TEXT - 1);
    out.u8(0);
  } else if (a.family === PPM_AF.INET) {
    out.bytes(ipv4Bytes(a.ip));
    out.u16(a.port);
  } else {
    out.bytes(ipv6Bytes(a.ip));
    out.u16(a.port);
  }
}

/**
 * Appends an event block (EV_BLOCK_TYPE_V2: no flags) for `plan`, or for a generic syscall event
 * when `generic` is given ([ppm_sc code, native id]). The caller has reserved MAX_EVENT_BLOCK bytes.
 *
 * With `asRead` (rows read from a .scap, whose events may have had an older layout with fewer
 * parameters): an event the row has no value at all for is written without parameters, as it
 * was, and a missing text parameter is written empty (length 0) rather than as an empty string;
 * libsinsp then takes such values from the other half of the syscall (an open's name from its
 * exit when the enter had none) instead of empty ones.
 */
const values: Value[] = [];

export function writeEventBlock(
  out: ByteBuilder,
  plan: EventPlan,
  ts: bigint,
  tid: number,
  cpu: number,
  ctx: EventContext,
  generic: readonly [number, number] | null,
  asRead = false,
): void {
  let n = plan.params.length;
  if (asRead && !generic) {
    let any = false;
    for (let i = 0; i < n; i++) {
      values[i] = plan.params[i].get(ctx);
      if (values[i] !== null) any = true;
    }
    if (!any) n = 0;
  }
  const start = out.pos;
  out.u32(BLOCK.EV_V2);
  out.u32(0); // total length, patched below
  out.u16(cpu);
  const ev = out.pos;
  out.u64(ts);
  out.i64n(tid);
  out.u32(0); // event length, patched below
  out.u16(plan.code);
  out.u32(n);
  const lens = out.pos;
  out.pos += 2 * n;
  for (let i = 0; i < n; i++) {
    const p = plan.params[i];
    const at = out.pos;
    if (generic) out.u16(generic[i] ?? 0);
    else {
      const v = asRead ? values[i] : p.get(ctx);
      if (v !== null || !asRead || !TEXT_TYPES.has(p.type)) encodeValue(out, p.type, v, p.dyn);
    }
    out.buf.writeUInt16LE(out.pos - at, lens + 2 * i);
  }
  const evLen = out.pos - ev;
  out.buf.writeUInt32LE(evLen, ev + 16);
  out.pad4(start + 8);
  const total = out.pos - start + 4;
  out.u32(total);
  out.buf.writeUInt32LE(total, start + 4);
}

