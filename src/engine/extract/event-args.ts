import { EC, EVENT_TABLE, PF, PT, type ScapEventInfo, type ScapParamInfo, latestCode } from '../../scap/event-table.js';
import { numericSize } from '../../scap/params.js';
import { syscallName } from '../../scap/ppm-sc.js';
import { ERRNO_NAMES, SIGNAL_NAMES, VALUE_TABLES } from '../../scap/value-names.js';
import { COLUMNS, type ColumnKind, type ColumnName } from '../../trace/columns.js';
import { LAYOUT_KEY, type Param, paramMapping, paramsOf } from '../../trace/event-params.js';
import type { Cursor } from '../cursor.js';
import { resolvePath } from '../state/paths.js';
import type { FdInfo } from '../state/types.js';
import { groupNameOf, userOf } from '../state/users.js';

/**
 * An event's parameters as libsinsp lists and renders them: `evt.args`, `evt.arg.NAME`,
 * `evt.arg[N]`, `evt.rawarg.NAME`.
 *
 * Which parameters, in which order: the event table (src/scap/event-table.ts) layout of the
 * event. A row read from a .scap file names the layout it was read from when it is not the
 * newest one at full length (`extra[LAYOUT_KEY]` = `code:nparams`, see src/scap/to-events.ts):
 * an exit row then shows the exit event's own parameters, never the enter columns it was
 * completed with, and a parameter the file left empty shows as libsinsp shows it (`<NA>`, `NULL`).
 * Other rows (tsfalco's own captures: one completed-syscall row with both halves' arguments, and
 * .scap rows of current drivers) list the newest exit layout, then the enter parameters it lacks,
 * each one the row has a value for. Types the table does not know fall back to
 * src/trace/event-params.ts.
 *
 * How each value is rendered follows libsinsp's sinsp_evt::get_param_as_str (current libs): the
 * raw text by PT type and PF format, then what it resolves to (an fd's type and name, an errno's
 * name, flag names, a pid's command, a user's name, a relative path's full path), shown as
 * `raw(resolved)` in evt.args and as the resolved text alone by evt.arg.
 */

/** A parameter value as the row holds it: a number, text, a list, or bytes. */
type Raw = bigint | string | readonly string[] | Uint8Array | readonly (readonly [bigint, number])[];
type Getter = (c: Cursor) => Raw | undefined;

interface Arg {
  readonly info: ScapParamInfo;
  readonly get: Getter;
}

interface Layout {
  readonly args: readonly Arg[];
  /** Leave out parameters the row has no value for (rows not tied to one .scap event layout). */
  readonly lenient: boolean;
  /** Generic events: libsinsp shows no arguments for them. */
  readonly generic: boolean;
}

const KIND = new Map<string, ColumnKind>(COLUMNS.map((c) => [c.name, c.kind]));

// ---------------------------------------------------------------------------------------------
// Display limit (sysdig shows buffers cut to 80 characters unless -v; Falco does not cut)

let bufferLimit = 0;

/** Cuts rendered byte buffers to `n` characters (the last three become `...`), 0 = no limit. */
export function setBufferDisplayLimit(n: number): void {
  bufferLimit = n;
}

// ---------------------------------------------------------------------------------------------
// Event categories

const internalTypes = new Set<string>();
for (const e of EVENT_TABLE) if (e && e.category & EC.INTERNAL) internalTypes.add(e.name);

/** Events sysdig leaves out of its output (libsinsp's EC_INTERNAL: procinfo, container, drop…) and trace records. */
export function isInternalEvent(c: Cursor): boolean {
  const type = c.type();
  return internalTypes.has(type) || type.startsWith('snapshot_') || type === 'capture_stats';
}

// ---------------------------------------------------------------------------------------------
// Values

const NUMERIC = new Set<number>([
  PT.INT8, PT.INT16, PT.INT32, PT.INT64, PT.UINT8, PT.UINT16, PT.UINT32, PT.UINT64, PT.ERRNO, PT.FD, PT.PID, PT.SYSCALLID,
  PT.SIGTYPE, PT.RELTIME, PT.ABSTIME, PT.PORT, PT.L4PROTO, PT.SOCKFAMILY, PT.BOOL, PT.FLAGS8, PT.FLAGS16, PT.FLAGS32, PT.UID,
  PT.GID, PT.SIGSET, PT.MODE, PT.ENUMFLAGS8, PT.ENUMFLAGS16, PT.ENUMFLAGS32, PT.FD32, PT.PID32,
]);
const FLAG_TYPES = new Set<number>([PT.FLAGS8, PT.FLAGS16, PT.FLAGS32, PT.ENUMFLAGS8, PT.ENUMFLAGS16, PT.ENUMFLAGS32]);
const SIGNED = new Set<number>([PT.INT8, PT.INT16, PT.INT32, PT.INT64, PT.ERRNO, PT.FD, PT.PID, PT.FD32, PT.PID32]);

/** A number at the width and signedness of its PT type. */
function normalise(v: bigint, type: number): bigint {
  const bits = BigInt((numericSize(type) || 8) * 8);
  return SIGNED.has(type) ? BigInt.asIntN(Number(bits), v) : BigInt.asUintN(Number(bits), v);
}

/** A number kept as text in `extra` (src/scap/params.ts valueText), back to its value. */
function parseNumberText(text: string, info: ScapParamInfo, type: number): bigint | undefined {
  try {
    if (text === 'none') return (1n << 64n) - 1n;
    if (text === 'true') return 1n;
    if (text === 'false') return 0n;
    if (text === '-1' && (type === PT.UID || type === PT.GID)) return 0xffffffffn;
    if (!FLAG_TYPES.has(type) && type !== PT.UID && type !== PT.GID && type !== PT.RELTIME && type !== PT.BOOL) {
      if (info.fmt === PF.HEX) return BigInt(`0x${text}`);
      if (info.fmt === PF.OCT) return BigInt(`0o${text.replace(/^0(?=.)/, '')}`);
    }
    return BigInt(text);
  } catch {
    return undefined;
  }
}

/** The column of a parameter in src/trace/event-params.ts, with the reader's aliases. */

function tupleText(c: Cursor): string | undefined {
  const family = c.num('sock_family');
  const sip = c.str('sip');
  const dip = c.str('dip');
  if (sip === undefined && dip === undefined) {
    const path = c.str('path');
    return family === 1 && path !== undefined ? path : undefined;
  }
  // an end without an address is the unspecified one, as libs' tuple has it
  const none = family === 10 ? '::' : '0.0.0.0';
  return `${sip ?? none}:${c.num('sport') ?? 0}->${dip ?? none}:${c.num('dport') ?? 0}`;
}

function sockaddrText(c: Cursor): string | undefined {
  const dip = c.str('dip');
  if (dip !== undefined) return `${dip}:${c.num('dport') ?? 0}`;
  return c.num('sock_family') === 1 ? c.str('path') : undefined;
}

/** NUL-terminated strings as one byte buffer's text (execve args and env are PT_BYTEBUF). */
function joinedStrings(list: readonly string[]): string {
  let s = '';
  for (const x of list) s += `${x}\0`;
  return s;
}

function getterFor(type: string, info: ScapParamInfo, list: readonly Param[], takenCols: Set<string>): Getter {
  const name = info.name;
  const pt = info.type;
  const fromExtra = (c: Cursor): Raw | undefined => {
    const text = c.extra()?.[name];
    if (text === undefined) return undefined;
    if (NUMERIC.has(pt)) {
      const v = parseNumberText(text, info, pt);
      return v === undefined ? undefined : normalise(v, pt);
    }
    if (pt === PT.FDLIST) return parseFdList(text);
    return text;
  };
  const m = paramMapping(type, name);
  // The reader gives a column to the first parameter naming it; the others went to `extra`.
  const colKey = m ? (m.render === 'addr' ? 'addr:' : m.col === 'tuple' ? 'tuple:' : '') + m.col : '';
  if (!m || m.col === 'extra' || takenCols.has(colKey)) return fromExtra;
  takenCols.add(colKey);
  let fromColumn: Getter;
  if (m.render === 'addr') fromColumn = sockaddrText;
  else if (m.col === 'tuple') fromColumn = tupleText;
  else {
    const col = m.col as ColumnName;
    const kind = KIND.get(col);
    if (kind === 'string') fromColumn = (c) => c.str(col);
    else if (kind === 'strings') fromColumn = pt === PT.BYTEBUF ? (c) => {
      const l = c.strings_(col);
      return l === undefined ? undefined : joinedStrings(l);
    } : (c) => c.strings_(col);
    else if (kind === 'binary') fromColumn = (c) => c.bytes(col);
    else if (kind === 'map') fromColumn = () => undefined;
    else if (NUMERIC.has(pt)) fromColumn = (c) => {
      const v = c.big(col);
      return v === undefined ? undefined : normalise(v, pt);
    };
    else fromColumn = (c) => {
      const v = c.big(col);
      return v === undefined ? undefined : String(v);
    };
  }
  // `extra` first: text the reader kept for what a column cannot hold (a unix tuple's kernel
  // addresses, all of execve's cgroups, socket type flags).
  return (c) => fromExtra(c) ?? fromColumn(c);
}

function parseFdList(text: string): readonly (readonly [bigint, number])[] {
  if (text === '') return [];
  return text.split(' ').map((pair) => {
    const [fd, flags] = pair.split(':');
    return [BigInt(fd), Number.parseInt(flags ?? '0', 16)] as const;
  });
}

// ---------------------------------------------------------------------------------------------
// Layouts

/** Parameters of tsfalco's event-parameter table as event-table entries (types the table lacks). */
function fromEventParams(type: string): ScapParamInfo[] {
  const RENDER_TYPE: Record<string, [number, number, string | null]> = {
    num: [PT.INT64, PF.DEC, null], str: [PT.CHARBUF, PF.NA, null], fd: [PT.FD, PF.DEC, null], res: [PT.ERRNO, PF.DEC, null],
    openflags: [PT.FLAGS32, PF.HEX, 'file_flags'], cloneflags: [PT.FLAGS32, PF.HEX, 'clone_flags'], prot: [PT.FLAGS32, PF.HEX, 'prot_flags'],
    mode: [PT.MODE, PF.OCT, null], tuple: [PT.SOCKTUPLE, PF.NA, null], addr: [PT.SOCKADDR, PF.NA, null], list: [PT.BYTEBUF, PF.NA, null],
    bytes: [PT.BYTEBUF, PF.NA, null],
  };
  return paramsOf(type).map((p) => {
    const [t, fmt, values] = RENDER_TYPE[p.render] ?? [PT.CHARBUF, PF.NA, null];
    return { name: p.name, type: t, fmt, values, dirfd: null, dynamic: null };
  });
}

function buildLayout(type: string, dir: string, marker: string | undefined): Layout {
  const list = paramsOf(type);
  const taken = new Set<string>();
  const make = (infos: readonly ScapParamInfo[]) => {
    taken.clear();
    return infos.map((info) => ({ info, get: getterFor(type, info, list, taken) }));
  };
  if (marker !== undefined) {
    const [codeText, nText] = marker.split(':');
    const e = EVENT_TABLE[Number(codeText)];
    if (e) {
      const generic = e.id === 'GENERIC_E' || e.id === 'GENERIC_X';
      // Enter rows map `res` to extra (an enter event has no result): same as the reader.
      const params = e.params.slice(0, Math.min(Number(nText), e.params.length));
      return { args: make(params), lenient: false, generic };
    }
  }
  if (dir === '>') {
    // Only .scap files have enter rows: one event each, every parameter of the layout present.
    const code = latestCode(type, '>');
    if (code !== undefined) return { args: make(EVENT_TABLE[code].params), lenient: false, generic: false };
    return { args: make(fromEventParams(type).filter((p) => p.name !== 'res')), lenient: true, generic: false };
  }
  const exit = latestCode(type, '<');
  if (exit === undefined) return { args: make(fromEventParams(type)), lenient: true, generic: false };
  const params = [...EVENT_TABLE[exit].params];
  const enter = latestCode(type, '>');
  if (enter !== undefined) for (const p of EVENT_TABLE[enter].params) if (!params.some((q) => q.name === p.name)) params.push(p);
  return { args: make(params), lenient: true, generic: false };
}

/** The event-table entry of the event a row is: the layout it names, or the newest of its type and direction. */
export function eventInfoOf(c: Cursor): ScapEventInfo | undefined {
  // Asked by several fields of one event (fd.num, fd.name…): computed once per event.
  if (c.stamp === infoStamp) return infoOf;
  infoStamp = c.stamp;
  const marker = c.has('extra') ? c.extra()?.[LAYOUT_KEY] : undefined;
  if (marker !== undefined) return (infoOf = EVENT_TABLE[Number(marker.slice(0, marker.indexOf(':')))]);
  const enter = c.str('dir') === '>';
  const type = c.type();
  let codes = latestCodes.get(type);
  if (codes === undefined) {
    codes = [latestCode(type, '<') ?? -1, latestCode(type, '>') ?? -1];
    latestCodes.set(type, codes);
  }
  const code = codes[enter ? 1 : 0];
  return (infoOf = code < 0 ? undefined : EVENT_TABLE[code]);
}

let infoStamp = -1;
let infoOf: ScapEventInfo | undefined;
/** Newest exit and enter code of each type (-1: none). */
const latestCodes = new Map<string, [number, number]>();

const layouts = new Map<string, Layout>();

function layoutOf(c: Cursor): Layout {
  const type = c.type();
  const dir = c.str('dir') ?? '<';
  const marker = c.extra()?.[LAYOUT_KEY];
  const key = marker === undefined ? `${type}\0${dir}` : `${type}\0${dir}\0${marker}`;
  let l = layouts.get(key);
  if (!l) {
    l = buildLayout(type, dir, marker);
    layouts.set(key, l);
  }
  return l;
}

// ---------------------------------------------------------------------------------------------
// Rendering (libsinsp's get_param_as_str)

/** The raw text and the resolved text ('' when none) of a parameter. */
type Rendered = readonly [string, string];

const AT_FDCWD = -100n;

function hex(v: bigint, type: number): string {
  return BigInt.asUintN((numericSize(type) || 8) * 8, v).toString(16).toUpperCase();
}

/** SET_NUMERIC_FORMAT: %#o, %d/%u, %09d, %X by the parameter's print format. */
function numberText(v: bigint, fmt: number, type: number): string {
  switch (fmt) {
    case PF.OCT:
      return v === 0n ? '0' : `0${BigInt.asUintN((numericSize(type) || 8) * 8, v).toString(8)}`;
    case PF.HEX:
      return hex(v, type);
    case PF['10_PADDED_DEC']:
      return v < 0n ? `-${String(-v).padStart(8, '0')}` : String(v).padStart(9, '0');
    default:
      return String(v);
  }
}

/** Flag names (PT_FLAGS*: every set flag; PT_ENUMFLAGS*: the entries equal to the value). */
function flagNames(val: number, table: string | null, exact: boolean): string {
  const entries = table ? VALUE_TABLES[table] : undefined;
  if (!entries) return '';
  const out: string[] = [];
  const initial = val;
  let rest = val;
  for (const [name, value] of entries) {
    let match = false;
    if (exact) match = value === initial;
    else if ((value === 0 && initial === 0) || (value !== 0 && (rest & value) >>> 0 === value >>> 0 && rest !== 0)) {
      match = true;
      rest = (rest & ~value) >>> 0;
    }
    if (match) {
      out.push(name);
      if (!exact && value === initial) break;
    }
  }
  return out.join('|');
}

/** Mode names (PT_MODE): libsinsp walks the table until an entry equals the whole value. */
function modeNames(val: number, table: string | null): string {
  const entries = table ? VALUE_TABLES[table] : undefined;
  if (!entries) return '';
  const out: string[] = [];
  let rest = val;
  let i = 0;
  for (; i < entries.length && entries[i][1] !== val; i++) {
    const value = entries[i][1];
    if ((value === 0 && val === 0) || (value !== 0 && (rest & value) >>> 0 === value >>> 0 && rest !== 0)) {
      out.push(entries[i][0]);
      rest = (rest & ~value) >>> 0;
    }
  }
  if (i < entries.length) out.push(entries[i][0]);
  return out.join('|');
}

/** C's `%lg`: six significant digits, trailing zeros dropped, exponent form for very small or large values. */
function cG(x: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e');
    const mant = m.replace(/\.?0+$/, '');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return x.toPrecision(6).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** PT_ABSTIME: local time `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (libsinsp's buffer cuts its `%z`). */
function absTime(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${frac}`;
}

function dots(bytes: Uint8Array | string): string {
  let s = '';
  if (typeof bytes === 'string') {
    for (let i = 0; i < bytes.length; i++) {
      const ch = bytes.charCodeAt(i);
      s += ch >= 0x20 && ch < 0x7f ? bytes[i] : '.';
    }
  } else {
    for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  if (bufferLimit > 0 && s.length > bufferLimit) s = `${s.slice(0, bufferLimit - 3)}...`;
  return s;
}

/** The fd of the event's process with this number. */
function fdOf(c: Cursor, num: number): FdInfo | undefined {
  const pid = c.num('pid') ?? c.thread()?.pid;
  return pid === undefined ? undefined : c.state.fds.get(pid)?.get(num);
}

const TYPE_CHAR: Record<string, string> = {
  file: 'f', directory: 'd', ipv4: '4', ipv6: '6', unix: 'u', pipe: 'p', event: 'e', signalfd: 's', eventpoll: 'l',
  inotify: 'i', timerfd: 't', netlink: 'n', bpf: 'b', userfaultfd: 'u', io_uring: 'r', memfd: 'm', unknown: 'o',
};

/** fd.typechar as libsinsp gives it. */
export function fdTypeChar(fd: FdInfo): string {
  return TYPE_CHAR[fd.type] ?? 'o';
}

/** The transport letter libsinsp adds to a socket's type (t, u, i, r), once the socket has a role. */
function protoChar(fd: FdInfo): string {
  if (fd.type !== 'ipv4' && fd.type !== 'ipv6') return '';
  const hasRole = fd.isServer || fd.connected || fd.sip !== '' || fd.cip !== '';
  if (!hasRole && fd.l4proto !== 255) return '';
  switch (fd.l4proto) {
    case 6:
      return 't';
    case 17:
      return 'u';
    case 1:
    case 58:
      return 'i';
    case 255:
      return 'r';
    default:
      return '';
  }
}

/** render_fd: the number, and `<type>name` of the fd it names (AT_FDCWD, an errno for negative values). */
function renderFd(c: Cursor, v: bigint, simple: boolean): Rendered {
  const raw = String(v);
  if (!c.thread()) return [raw, ''];
  if (v >= 0n) {
    const fd = v <= 0x7fffffffn ? fdOf(c, Number(v)) : undefined;
    if (!fd) return [raw, ''];
    return [raw, `<${simple ? '' : fdTypeChar(fd)}${protoChar(fd)}>${fd.name}`];
  }
  if (v === AT_FDCWD) return [raw, 'AT_FDCWD'];
  return [raw, ERRNO_NAMES.get(Number(-v)) ?? ''];
}

/** The directory a PT_FSRELPATH parameter is relative to (its dirfd's path, or cwd). */
function baseDir(c: Cursor, layout: Layout, info: ScapParamInfo, cwd: string): string {
  if (info.type !== PT.FSRELPATH || info.dirfd === null) return cwd;
  const dirArg = layout.args[info.dirfd];
  if (!dirArg || dirArg.info.type !== PT.FD) return cwd;
  const dirfd = dirArg.get(c);
  if (typeof dirfd !== 'bigint' || dirfd === AT_FDCWD) return cwd;
  const fd = dirfd >= 0n && dirfd <= 0x7fffffffn ? fdOf(c, Number(dirfd)) : undefined;
  return fd?.name ?? '';
}

/** A parameter the row holds no value for, as libsinsp shows an empty parameter. */
function emptyText(type: number): string {
  return type === PT.BYTEBUF || type === PT.SOCKTUPLE || type === PT.FDLIST || type === PT.CHARBUFARRAY || type === PT.CHARBUF_PAIR_ARRAY || type === PT.DYN ? 'NULL' : '<NA>';
}

function render(c: Cursor, layout: Layout, info: ScapParamInfo, raw: Raw, simple = false): Rendered {
  const type = info.type;
  if (typeof raw === 'bigint') {
    switch (type) {
      case PT.FD:
      case PT.FD32:
        return renderFd(c, raw, simple);
      case PT.PID:
      case PT.PID32: {
        const t = raw >= -0x80000000n && raw <= 0x7fffffffn ? c.state.threads.get(Number(raw)) : undefined;
        return [String(raw), t?.comm ?? ''];
      }
      case PT.ERRNO:
        return [String(raw), raw < 0n ? (ERRNO_NAMES.get(Number(-raw)) ?? '') : ''];
      case PT.UINT64:
        // printed through int64 (PRId64), or %X / %#o
        return [info.fmt === PF.DEC || info.fmt === PF.NA || info.fmt === PF.ID || info.fmt === PF.DIR ? String(BigInt.asIntN(64, raw)) : numberText(raw, info.fmt, type), ''];
      case PT.FLAGS8:
      case PT.FLAGS16:
      case PT.FLAGS32:
        return [String(raw), flagNames(Number(raw), info.values, false)];
      case PT.ENUMFLAGS8:
      case PT.ENUMFLAGS16:
      case PT.ENUMFLAGS32:
        return [String(raw), flagNames(Number(raw), info.values, true)];
      case PT.MODE:
        return [numberText(raw, info.fmt, type), modeNames(Number(raw), info.values)];
      case PT.UID:
      case PT.GID: {
        if (raw >= 0xffffffffn) return ['-1', '<NONE>'];
        const id = Number(raw);
        const name = type === PT.UID ? userOf(c, id)?.name : groupNameOf(c, id);
        return [String(id), name || '<NA>'];
      }
      case PT.SIGTYPE:
        return [String(raw), SIGNAL_NAMES.get(Number(raw)) ?? ''];
      case PT.SYSCALLID:
        return [String(raw), syscallName(Number(raw))];
      case PT.RELTIME:
        if (raw === (1n << 64n) - 1n) return ['none', ''];
        return [String(raw), `${cG(Number(raw) / 1e9)}s`];
      case PT.ABSTIME:
        return [absTime(raw), ''];
      case PT.SIGSET: {
        const names: string[] = [];
        for (let sig = 0; sig < 32; sig++) if (Number(raw) & (1 << sig)) {
          const n = SIGNAL_NAMES.get(sig + 1);
          if (n) names.push(n);
        }
        return [names.join(' '), ''];
      }
      case PT.INT8:
      case PT.INT16:
      case PT.INT32:
      case PT.INT64:
      case PT.UINT8:
      case PT.UINT16:
      case PT.UINT32:
        return [numberText(raw, info.fmt, type), ''];
      default:
        // PT_BOOL, PT_PORT, PT_L4PROTO, PT_SOCKFAMILY: libsinsp has no text for them.
        return ['(n.a.)', ''];
    }
  }
  switch (type) {
    case PT.FSPATH:
    case PT.FSRELPATH: {
      const path = String(raw);
      const t = c.thread();
      if (!t || path === '<NA>' || path === '' || path.startsWith('/')) return [path, ''];
      const base = baseDir(c, layout, info, t.cwd);
      // an unknown dirfd's path is empty: the relative path stays relative (concatenate_paths)
      return [path, base === '' ? path : resolvePath(base, path)];
    }
    case PT.BYTEBUF:
      return [raw instanceof Uint8Array ? dots(raw) : dots(String(raw)), ''];
    case PT.FDLIST: {
      if (!c.thread() || !Array.isArray(raw)) return ['', ''];
      const out: string[] = [];
      for (const [fd, flags] of raw as readonly (readonly [bigint, number])[]) {
        const info = fd >= 0n && fd <= 0x7fffffffn ? fdOf(c, Number(fd)) : undefined;
        out.push(`${BigInt.asUintN(64, fd)}:${info ? fdTypeChar(info) : '?'}${(flags & 0xffff).toString(16)}`);
      }
      return [out.join(' '), ''];
    }
    case PT.CHARBUFARRAY:
      return [Array.isArray(raw) ? (raw as readonly string[]).join('.') : String(raw), ''];
    default:
      return [Array.isArray(raw) ? (raw as readonly string[]).join(' ') : String(raw), ''];
  }
}

// ---------------------------------------------------------------------------------------------
// Fields

/** evt.args / evt.info: `name=raw` or `name=raw(resolved)` for each parameter, space-separated. */
export function argsText(c: Cursor): string {
  const layout = layoutOf(c);
  if (layout.generic) return '';
  let out = '';
  for (const arg of layout.args) {
    const raw = arg.get(c);
    let text: string;
    if (raw === undefined) {
      // A trace row shows the parameters it has, and an I/O buffer it did not record as empty,
      // as libsinsp shows a capture's data parameter without its snapshot.
      if (layout.lenient && arg.info.type !== PT.BYTEBUF) continue;
      text = layout.lenient ? '' : emptyText(arg.info.type);
    } else {
      const [value, resolved] = render(c, layout, arg.info, raw);
      text = resolved === '' ? value : `${value}(${resolved})`;
    }
    out += out === '' ? `${arg.info.name}=${text}` : ` ${arg.info.name}=${text}`;
  }
  return out;
}

function findArg(layout: Layout, key: string): Arg | undefined {
  if (/^\d+$/.test(key)) return layout.args[Number(key)];
  return layout.args.find((a) => a.info.name === key);
}

/** evt.arg.NAME / evt.arg[N]: the resolved text when there is one, else the raw text. */
export function argText(c: Cursor, key: string): string | undefined {
  const layout = layoutOf(c);
  const arg = findArg(layout, key);
  if (!arg) return undefined;
  const raw = arg.get(c);
  if (raw === undefined) return layout.lenient ? (arg.info.type === PT.BYTEBUF ? '' : undefined) : emptyText(arg.info.type);
  const [value, resolved] = render(c, layout, arg.info, raw);
  return resolved === '' ? value : resolved;
}

/** evt.rawarg.NAME: the parameter's value (numbers as numbers, text as text). */
export function argRaw(c: Cursor, key: string): unknown {
  const layout = layoutOf(c);
  const arg = layout.args.find((a) => a.info.name === key);
  if (!arg) return undefined;
  const raw = arg.get(c);
  if (typeof raw === 'bigint') {
    return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
  }
  if (raw instanceof Uint8Array) return raw;
  if (Array.isArray(raw)) return raw.length && typeof raw[0] === 'string' ? (raw as string[]).join(' ') : undefined;
  return raw;
}
