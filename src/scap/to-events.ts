import { COLUMNS, type ColumnKind } from '../trace/columns.js';
import type { TraceEvent } from '../trace/event.js';
import { LAYOUT_KEY, paramMapping } from '../trace/event-params.js';
import { PPM_FCNTL_CREATES_FD } from '../trace/flags.js';
import { EF, EVENT_TABLE, PT, latestCode, type DynamicType, type ScapEventInfo, type ScapParamInfo } from './event-table.js';
import { bytesText, cstring, cstrings, ipv4Text, ipv6Text, isV4Mapped, numberAt, tupleText, unixPath, valueText } from './params.js';
import { shownFamily } from '../util/ip.js';
import { syscallName } from './ppm-sc.js';
import type { ScapEvent } from './scap-event.js';
import { cgroupColumns } from './state-blocks.js';

/**
 * scap events → rows of the trace's event model. Each event becomes one row: enter events keep
 * `dir` '>' and no `res`, exit events '<'. Parameters go to the columns that
 * src/trace/event-params.ts names for the event type (the first parameter naming a column wins);
 * parameters without a column go to `extra` as text. Flags stay in scap's encodings, which are
 * the trace's.
 *
 * Exit rows are completed with what their enter event carried and the exit lacks (older drivers
 * put the fd of read/write/close/connect… only in the enter event; libsinsp reads it from there,
 * and libs' own converter merges it the same way), and get the syscall's latency.
 *
 * Per event code, the parameter → column work is compiled once into an array of setters.
 */

type Row = Record<string, unknown> & { ts: bigint; num: bigint; type: string };
type Setter = (e: Row, ev: ScapEvent, i: number) => void;

interface CodeMapper {
  type: string;
  dir: '>' | '<';
  setters: (Setter | null)[];
  post: ((e: Row) => void) | null;
  /** An enter event whose exit comes as its own event (not switch, procexit, procinfo…). */
  paired: boolean;
  /** Columns the setters and `post` may fill (what an exit row can take from this enter row). */
  columns: string[];
  /** Whether this code is the newest layout of its event (rows of other layouts name theirs: LAYOUT_KEY). */
  latest: boolean;
}

export const KIND = new Map<string, ColumnKind>(COLUMNS.map((c) => [c.name, c.kind]));


function toBig(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
}

export function toNum(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : v;
}

/** Converts a numeric value to what a column kind takes. */
export function numericFor(kind: ColumnKind): ((v: number | bigint) => unknown) | null {
  switch (kind) {
    case 'int64':
      return (v) => BigInt.asIntN(64, toBig(v));
    case 'uint64':
    case 'timestamp':
      return (v) => BigInt.asUintN(64, toBig(v));
    case 'int32':
      return (v) => toNum(v) | 0;
    case 'uint32':
      return (v) => toNum(v) >>> 0;
    case 'int16':
      return (v) => (toNum(v) << 16) >> 16;
    case 'uint16':
      return (v) => toNum(v) & 0xffff;
    case 'uint8':
      return (v) => toNum(v) & 0xff;
    case 'bool':
      return (v) => toNum(v) !== 0;
    case 'string':
      return (v) => String(v);
    default:
      return null;
  }
}

export function isStringType(t: number): boolean {
  return t === PT.CHARBUF || t === PT.FSPATH || t === PT.FSRELPATH;
}

/** The setter for a value of scap type `type` stored in column `col`, or null when they do not fit. */
function columnSetter(col: string, type: number, dynamic: readonly DynamicType[] | null): Setter | null {
  const kind = KIND.get(col);
  if (kind === undefined) return null;
  if (type === PT.DYN) {
    if (!dynamic) return null;
    const inner = dynamic.map((d) => columnSetter(col, d.type, null));
    return (e, ev, i) => {
      const off = ev.paramOff[i];
      const len = ev.paramLen[i];
      if (len < 1) return;
      const idx = ev.buf[off];
      const set = inner[idx];
      if (!set) return;
      // Shift the parameter by the index byte for the inner setter, then restore it.
      ev.paramOff[i] = off + 1;
      ev.paramLen[i] = len - 1;
      set(e, ev, i);
      ev.paramOff[i] = off;
      ev.paramLen[i] = len;
    };
  }
  if (col === 'cgroup') {
    // The column holds the one cgroup a container is found by; evt.args shows them all.
    return (e, ev, i) => {
      cgroupColumns(e as never, cstrings(ev.buf, ev.paramOff[i], ev.paramLen[i]));
      ((e.extra ??= {}) as Record<string, string>).cgroups = bytesText(ev.buf, ev.paramOff[i], ev.paramLen[i]);
    };
  }
  switch (kind) {
    case 'strings':
      return (e, ev, i) => {
        e[col] = cstrings(ev.buf, ev.paramOff[i], ev.paramLen[i]);
      };
    case 'binary':
      return (e, ev, i) => {
        const off = ev.paramOff[i];
        e[col] = ev.buf.slice(off, off + ev.paramLen[i]);
      };
    case 'map':
      return null;
    case 'string':
      if (isStringType(type) || type === PT.BYTEBUF) {
        return (e, ev, i) => {
          e[col] = cstring(ev.buf, ev.paramOff[i], ev.paramLen[i]);
        };
      }
      return (e, ev, i) => {
        e[col] = valueText(ev.buf, ev.view, ev.paramOff[i], ev.paramLen[i], type, 1);
      };
  }
  const convert = numericFor(kind)!;
  if (col === 'sock_type') {
    // The type argument also carries SOCK_NONBLOCK/SOCK_CLOEXEC: the column keeps the type, and
    // `extra.type` the argument as it was when the flags are set (evt.args shows it).
    return (e, ev, i) => {
      const v = numberAt(ev.view, ev.paramOff[i], ev.paramLen[i], type);
      if (v === null) return;
      const n = toNum(v);
      e[col] = convert(n & 0xf);
      if ((n & ~0xf) !== 0) ((e.extra ??= {}) as Record<string, string>).type = String(n >>> 0);
    };
  }
  return (e, ev, i) => {
    const v = numberAt(ev.view, ev.paramOff[i], ev.paramLen[i], type);
    if (v === null) return;
    e[col] = convert(v);
  };
}

/** A socket tuple: source → sip/sport, destination → dip/dport (scap already orders it client → server, or peer → local for inbound data). */
function tupleSetter(e: Row, ev: ScapEvent, i: number): void {
  const off = ev.paramOff[i];
  const len = ev.paramLen[i];
  if (len === 0) return;
  const buf = ev.buf;
  const view = ev.view;
  const family = buf[off];
  if (family === 2 && len >= 13) {
    e.sock_family = 2;
    e.sip = ipv4Text(buf, off + 1);
    e.sport = view.getUint16(off + 5, true);
    e.dip = ipv4Text(buf, off + 7);
    e.dport = view.getUint16(off + 11, true);
  } else if (family === 10 && len >= 37) {
    if (shownFamily(10, buf, off + 1, buf, off + 19) === 2) {
      // libsinsp treats a socket whose two ends are IPv4-mapped as an IPv4 one.
      e.sock_family = 2;
      e.sip = ipv4Text(buf, off + 13);
      e.dip = ipv4Text(buf, off + 31);
    } else {
      e.sock_family = 10;
      e.sip = ipv6Text(buf, off + 1);
      e.dip = ipv6Text(buf, off + 19);
    }
    e.sport = view.getUint16(off + 17, true);
    e.dport = view.getUint16(off + 35, true);
  } else if (family === 1 && len >= 17) {
    e.sock_family = 1;
    const path = unixPath(buf, off + 17, len - 17);
    if (path !== '') e.path = path;
  }
}

/**
 * A socket tuple parameter named `name`: the columns, and for a unix socket also the whole tuple
 * as text in `extra` (its kernel addresses have no column; evt.args shows them).
 */
function tupleSetterFor(name: string): Setter {
  return (e, ev, i) => {
    tupleSetter(e, ev, i);
    if (ev.paramLen[i] >= 17 && ev.buf[ev.paramOff[i]] === 1) {
      ((e.extra ??= {}) as Record<string, string>)[name] = tupleText(ev.buf, ev.view, ev.paramOff[i], ev.paramLen[i]);
    }
  };
}

/** A socket address (connect, bind, sendto…): the server side of the exchange, unless a tuple already said it. */
function sockaddrSetter(e: Row, ev: ScapEvent, i: number): void {
  const off = ev.paramOff[i];
  const len = ev.paramLen[i];
  if (len === 0 || e.dip !== undefined) return;
  const buf = ev.buf;
  const family = buf[off];
  if (family === 2 && len >= 7) {
    e.sock_family ??= 2;
    e.dip = ipv4Text(buf, off + 1);
    e.dport = ev.view.getUint16(off + 5, true);
  } else if (family === 10 && len >= 19) {
    const mapped = isV4Mapped(buf, off + 1);
    e.sock_family ??= mapped ? 2 : 10;
    e.dip = mapped ? ipv4Text(buf, off + 13) : ipv6Text(buf, off + 1);
    e.dport = ev.view.getUint16(off + 17, true);
  } else if (family === 1) {
    e.sock_family ??= 1;
    if (e.path === undefined) e.path = unixPath(buf, off + 1, len - 1);
  }
}

function extraSetter(name: string, type: number, fmt: number, info: ScapEventInfo, index: number): Setter {
  const param = info.params[index];
  return (e, ev, i) => {
    const extra = (e.extra ??= {}) as Record<string, string>;
    extra[name] = valueText(ev.buf, ev.view, ev.paramOff[i], ev.paramLen[i], type, fmt, param);
  };
}

export function fdTypeOfFamily(family: unknown): string | undefined {
  return family === 2 ? 'ipv4' : family === 10 ? 'ipv6' : family === 1 ? 'unix' : family === 16 ? 'netlink' : undefined;
}

/** Events with a post step (postFor). */
export const POST_EVENTS: ReadonlySet<string> = new Set(['socket', 'socketpair', 'connect', 'accept', 'accept4', 'pipe', 'pipe2', 'memfd_create']);

/** What the event type implies beyond its parameters (as tsfalco's capture records it). */
function postFor(name: string): ((e: Row) => void) | null {
  switch (name) {
    case 'socket':
    case 'socketpair':
      return (e) => {
        const fdType = fdTypeOfFamily(e.sock_family);
        if (fdType) e.fd_type = fdType;
        if ((e.sock_family === 2 || e.sock_family === 10) && (e.l4proto === 0 || e.l4proto === undefined) && e.sock_type !== undefined) {
          // The transport libsinsp infers from the type; the argument as passed stays in extra.
          if (e.l4proto === 0) ((e.extra ??= {}) as Record<string, string>).proto = '0';
          e.l4proto = e.sock_type === 1 ? 6 : e.sock_type === 2 ? 17 : 0;
        }
      };
    case 'connect':
    case 'accept':
    case 'accept4':
      return (e) => {
        const fdType = fdTypeOfFamily(e.sock_family);
        if (fdType) e.fd_type = fdType;
      };
    case 'pipe':
    case 'pipe2':
      return (e) => {
        e.fd_type = 'pipe';
      };
    case 'memfd_create':
      return (e) => {
        e.fd_type = 'memfd';
      };
    default:
      return null;
  }
}

/**
 * Where each parameter of an event code goes: the one mapping both the row objects (`rows()`,
 * through setters) and the direct column writes (`batches()`, src/scap/to-columns.ts) follow.
 */
export type ParamPlan =
  /** A generic event's syscall code: names the row's type, and stays in extra as ID. */
  | { readonly kind: 'syscall' }
  | { readonly kind: 'column'; readonly col: string; readonly type: number; readonly dynamic: readonly DynamicType[] | null }
  /** A socket tuple: sock_family, sip, sport, dip, dport, path (and for unix sockets extra[name]). */
  | { readonly kind: 'tuple'; readonly name: string }
  /** A socket address: the server side, unless a tuple said it. */
  | { readonly kind: 'addr' }
  | { readonly kind: 'extra'; readonly name: string; readonly type: number; readonly fmt: number; readonly param: ScapParamInfo };

export interface CodePlan {
  /** The event name (`syscall` for generic events, until their ID names them). */
  type: string;
  dir: '>' | '<';
  params: ParamPlan[];
  /** An enter event whose exit comes as its own event (not switch, procexit, procinfo…). */
  paired: boolean;
  /** Columns the parameters and the post step may fill (what an exit row can take from this enter row). */
  columns: string[];
  /** Whether this code is the newest layout of its event (rows of other layouts name theirs: LAYOUT_KEY). */
  latest: boolean;
}

/** Whether columnSetter has a setter for a value of scap type `type` in column `col`. */
export function columnFits(col: string, type: number, dynamic: readonly DynamicType[] | null): boolean {
  const kind = KIND.get(col);
  if (kind === undefined) return false;
  if (type === PT.DYN) return dynamic !== null;
  return col === 'cgroup' || kind !== 'map';
}

export function planCode(info: ScapEventInfo): CodePlan {
  const enter = info.dir === '>';
  const used = new Set<string>();
  const columns = new Set<string>();
  const params: ParamPlan[] = [];
  const generic = info.id === 'GENERIC_E' || info.id === 'GENERIC_X';
  for (let i = 0; i < info.params.length; i++) {
    const p = info.params[i];
    const extra: ParamPlan = { kind: 'extra', name: p.name, type: p.type, fmt: p.fmt, param: p };
    if (generic) {
      // The ID is the syscall (a PPM_SC code): it names the event, as Falco's evt.type does.
      params.push(i === 0 ? { kind: 'syscall' } : extra);
      continue;
    }
    const mapped = paramMapping(info.name, p.name);
    let plan: ParamPlan | null = null;
    if (mapped && !(enter && mapped.col === 'res') && !used.has(mapped.col)) {
      if (mapped.render === 'tuple' || mapped.col === 'tuple') {
        if (p.type === PT.SOCKTUPLE) plan = { kind: 'tuple', name: p.name };
        for (const c of ['sock_family', 'sip', 'sport', 'dip', 'dport', 'path']) columns.add(c);
      } else if (mapped.render === 'addr') {
        if (p.type === PT.SOCKADDR) plan = { kind: 'addr' };
        for (const c of ['sock_family', 'dip', 'dport', 'path']) columns.add(c);
      } else if (mapped.col !== 'extra') {
        if (columnFits(mapped.col, p.type, p.dynamic)) plan = { kind: 'column', col: mapped.col, type: p.type, dynamic: p.dynamic };
        columns.add(mapped.col);
      }
      if (plan) used.add(mapped.col);
    }
    if (!plan) columns.add('extra');
    params.push(plan ?? extra);
  }
  const exit = EVENT_TABLE[info.code + 1];
  const paired = enter && exit !== undefined && exit.name === info.name && !(info.flags & EF.SKIPPARSERESET);
  if (POST_EVENTS.has(info.name)) for (const c of ['fd_type', 'l4proto']) columns.add(c);
  columns.add('extra'); // block comments, EVF flags
  for (const own of ['ts', 'num', 'type', 'dir', 'cpu', 'tid', 'res', 'latency']) columns.delete(own);
  const latest = !generic && latestCode(info.name, info.dir) === info.code;
  return { type: generic ? 'syscall' : info.name, dir: info.dir, params, paired, columns: [...columns], latest };
}

function syscallSetter(e: Row, ev: ScapEvent, j: number): void {
  if (ev.paramLen[j] < 2) return;
  const sc = ev.view.getUint16(ev.paramOff[j], true);
  e.type = syscallName(sc);
  // The code itself stays a parameter (evt.arg.ID, evt.arg[0]).
  ((e.extra ??= {}) as Record<string, string>).ID = String(sc);
}

function setterOf(plan: ParamPlan, info: ScapEventInfo, i: number): Setter {
  switch (plan.kind) {
    case 'syscall':
      return syscallSetter;
    case 'column':
      return columnSetter(plan.col, plan.type, plan.dynamic)!;
    case 'tuple':
      return tupleSetterFor(plan.name);
    case 'addr':
      return sockaddrSetter;
    case 'extra':
      return extraSetter(plan.name, plan.type, plan.fmt, info, i);
  }
}

function compile(info: ScapEventInfo): CodeMapper {
  const plan = planCode(info);
  const setters = plan.params.map((p, i) => setterOf(p, info, i));
  return { type: plan.type, dir: plan.dir, setters, post: postFor(info.name), paired: plan.paired, columns: plan.columns, latest: plan.latest };
}

export class EventMapper {
  private readonly mappers: (CodeMapper | undefined)[] = [];
  /** The pending enter row of each thread, until its exit comes. */
  private readonly enters = new Map<number, { row: Row; columns: string[] }>();

  /** The row for the decoded event `ev`, numbered `num`. */
  map(ev: ScapEvent, num: bigint): TraceEvent {
    const code = ev.code;
    const m = (this.mappers[code] ??= compile(ev.info));
    const e: Row = { ts: ev.ts, num, type: m.type, dir: m.dir, cpu: ev.cpu, tid: ev.tid };
    const setters = m.setters;
    const n = ev.nparams < setters.length ? ev.nparams : setters.length;
    for (let i = 0; i < n; i++) setters[i]!(e, ev, i);
    // The header's thread id is the event's; a tid parameter (execve, clone) says the same or less.
    e.tid = ev.tid;
    if (m.post !== null) m.post(e);
    if (ev.flags !== 0) ((e.extra ??= {}) as Record<string, string>).scap_flags = String(ev.flags);
    if (ev.comment !== null) ((e.extra ??= {}) as Record<string, string>).comment = ev.comment;
    let completed = false;
    if (m.dir === '>') {
      if (m.paired) this.enters.set(ev.tid, { row: e, columns: m.columns });
    } else {
      const enter = this.enters.get(ev.tid);
      if (enter !== undefined) {
        this.enters.delete(ev.tid);
        if (enter.row.type === e.type) completed = completeExit(e, enter.row, enter.columns);
      }
      // fcntl's command may come from its enter event: only now can the row say it made an fd.
      if (e.type === 'fcntl' && e.op !== undefined && PPM_FCNTL_CREATES_FD.has(Number(e.op)) && typeof e.res === 'bigint' && e.res >= 0n && e.fd2 === undefined) e.fd2 = e.res;
    }
    // Rows that do not show their event's parameters by the newest layout alone name theirs.
    const nparams = ev.nparams < ev.info.params.length ? ev.nparams : ev.info.params.length;
    if (!m.latest || nparams < ev.info.params.length || completed) {
      // A copy: an exit row may share its enter row's map.
      e.extra = { ...(e.extra as Record<string, string> | undefined), [LAYOUT_KEY]: `${code}:${nparams}` };
    }
    return e as unknown as TraceEvent;
  }

  /** Forgets pending enter events (a new section of the file starts over). */
  reset(): void {
    this.enters.clear();
  }
}

/** Fills what the exit row lacks from its enter row; true when anything was taken. */
function completeExit(e: Row, enter: Row, columns: readonly string[]): boolean {
  let taken = false;
  for (let i = 0; i < columns.length; i++) {
    const key = columns[i];
    const v = enter[key];
    if (v === undefined) continue;
    if (key === 'extra') {
      // The exit's own values win; the enter row is done with, its map can be shared (the
      // exit's layout marker is set on a copy). The enter's layout marker is its own.
      const from = v as Record<string, string>;
      const own = e.extra as Record<string, string> | undefined;
      if (own === undefined) {
        if (from[LAYOUT_KEY] === undefined) e.extra = from;
        else {
          const copy = { ...from };
          delete copy[LAYOUT_KEY];
          e.extra = copy;
        }
        taken = true;
      } else {
        for (const k in from) {
          if (own[k] === undefined && k !== LAYOUT_KEY) {
            own[k] = from[k];
            taken = true;
          }
        }
      }
    } else if (e[key] === undefined) {
      e[key] = v;
      taken = true;
    }
  }
  if (e.ts >= enter.ts) e.latency = e.ts - enter.ts;
  return taken;
}
