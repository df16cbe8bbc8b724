import { PF, PT, type ScapParamInfo } from './event-table.js';
import type { ScapEvent } from './scap-event.js';
import { ipv4Text, ipv6Text, shownFamily } from '../util/ip.js';

/**
 * Values of event parameters, read straight from the reader's window by type (PT_*): numbers,
 * NUL-terminated strings, NUL-separated lists, addresses. `paramText` renders a parameter as
 * libsinsp prints its raw value (the part before any "(resolved)" suffix), for the `extra`
 * column and for comparisons with sysdig.
 */

const utf8 = new TextDecoder('utf-8');

/** Text of buf[off, off+len) up to the first NUL. ASCII is decoded by hand (the common case, and faster for short strings). */
export function cstring(buf: Uint8Array, off: number, len: number): string {
  let end = off;
  const stop = off + len;
  let ascii = true;
  while (end < stop) {
    const b = buf[end];
    if (b === 0) break;
    if (b >= 0x80) ascii = false;
    end++;
  }
  if (end === off) return '';
  if (ascii && end - off <= 64) {
    let s = '';
    for (let i = off; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  return utf8.decode(buf.subarray(off, end));
}

/** NUL-separated strings (execve args and env, cgroups), without the empty tail. */
export function cstrings(buf: Uint8Array, off: number, len: number): string[] {
  const out: string[] = [];
  const stop = off + len;
  let s = off;
  for (let i = off; i < stop; i++) {
    if (buf[i] === 0) {
      out.push(cstring(buf, s, i - s));
      s = i + 1;
    }
  }
  if (s < stop) out.push(cstring(buf, s, stop - s));
  return out;
}

// Address text and the v4-mapped test are shared with the capture layer.
export { ipv4Text, ipv6Text, isV4Mapped } from '../util/ip.js';

/** Byte size of a fixed-size numeric type, 0 for the others. */
export function numericSize(type: number): number {
  switch (type) {
    case PT.INT8:
    case PT.UINT8:
    case PT.SIGTYPE:
    case PT.L4PROTO:
    case PT.SOCKFAMILY:
    case PT.FLAGS8:
    case PT.ENUMFLAGS8:
      return 1;
    case PT.INT16:
    case PT.UINT16:
    case PT.SYSCALLID:
    case PT.PORT:
    case PT.FLAGS16:
    case PT.ENUMFLAGS16:
      return 2;
    case PT.INT32:
    case PT.UINT32:
    case PT.BOOL:
    case PT.FLAGS32:
    case PT.ENUMFLAGS32:
    case PT.UID:
    case PT.GID:
    case PT.SIGSET:
    case PT.MODE:
    case PT.FD32:
    case PT.PID32:
    case PT.IPV4ADDR:
      return 4;
    case PT.INT64:
    case PT.UINT64:
    case PT.ERRNO:
    case PT.FD:
    case PT.PID:
    case PT.RELTIME:
    case PT.ABSTIME:
    case PT.DOUBLE:
      return 8;
    default:
      return 0;
  }
}

export function isSigned(type: number): boolean {
  return (
    type === PT.INT8 || type === PT.INT16 || type === PT.INT32 || type === PT.INT64 || type === PT.ERRNO || type === PT.FD ||
    type === PT.PID || type === PT.FD32 || type === PT.PID32
  );
}

/**
 * A numeric parameter as a number (≤ 32 bits) or a bigint (64 bits); null when the parameter is
 * shorter than its type (an empty parameter is how drivers say "no value").
 */
export function numberAt(view: DataView, off: number, len: number, type: number): number | bigint | null {
  const size = numericSize(type);
  if (size === 0 || len < size) return null;
  const signed = isSigned(type);
  switch (size) {
    case 1:
      return signed ? view.getInt8(off) : view.getUint8(off);
    case 2:
      return signed ? view.getInt16(off, true) : view.getUint16(off, true);
    case 4:
      return signed ? view.getInt32(off, true) : view.getUint32(off, true);
    default:
      if (type === PT.DOUBLE) return view.getFloat64(off, true);
      return signed ? view.getBigInt64(off, true) : view.getBigUint64(off, true);
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const TWO_64 = 1n << 64n;

function formatNumber(v: number | bigint, fmt: number, type: number): string {
  if (fmt === PF.HEX) {
    // libsinsp prints hex through the unsigned type of the parameter's width.
    let u: bigint = BigInt(v);
    if (u < 0n) u += 1n << BigInt(numericSize(type) * 8);
    return u.toString(16).toUpperCase();
  }
  if (fmt === PF.OCT) {
    const u = BigInt(v);
    return u === 0n ? '0' : `0${u.toString(8)}`;
  }
  if (fmt === PF['10_PADDED_DEC']) return String(v).padStart(9, '0');
  // PT_UINT64 is printed through int64 by libsinsp.
  if (type === PT.UINT64 && typeof v === 'bigint' && v > INT64_MAX) return String(v - TWO_64);
  return String(v);
}

/** Bytes rendered as sysdig does by default: printable ASCII kept, everything else as '.'. */
export function bytesText(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = off; i < off + len; i++) {
    const b = buf[i];
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  return s;
}

/** A socket tuple as text: `sip:sport->dip:dport`, or `src->dst path` for unix sockets. */
export function tupleText(buf: Uint8Array, view: DataView, off: number, len: number): string {
  if (len === 0) return 'NULL';
  const family = buf[off];
  if (family === 2 && len >= 13) {
    return `${ipv4Text(buf, off + 1)}:${view.getUint16(off + 5, true)}->${ipv4Text(buf, off + 7)}:${view.getUint16(off + 11, true)}`;
  }
  if (family === 10 && len >= 37) {
    if (shownFamily(10, buf, off + 1, buf, off + 19) === 2) {
      return `${ipv4Text(buf, off + 13)}:${view.getUint16(off + 17, true)}->${ipv4Text(buf, off + 31)}:${view.getUint16(off + 35, true)}`;
    }
    return `${ipv6Text(buf, off + 1)}:${view.getUint16(off + 17, true)}->${ipv6Text(buf, off + 19)}:${view.getUint16(off + 35, true)}`;
  }
  if (family === 1 && len >= 17) {
    return `${view.getBigUint64(off + 1, true).toString(16)}->${view.getBigUint64(off + 9, true).toString(16)} ${unixPath(buf, off + 17, len - 17)}`;
  }
  return `family ${family}`;
}

/** A unix socket path; an abstract name (leading NUL) is shown with a leading '@'. */
export function unixPath(buf: Uint8Array, off: number, len: number): string {
  if (len > 1 && buf[off] === 0) return '@' + cstring(buf, off + 1, len - 1);
  return cstring(buf, off, len);
}

export function sockaddrText(buf: Uint8Array, view: DataView, off: number, len: number): string {
  if (len === 0) return '<NA>';
  const family = buf[off];
  if (family === 2 && len >= 7) return `${ipv4Text(buf, off + 1)}:${view.getUint16(off + 5, true)}`;
  if (family === 10 && len >= 19) return `${ipv6Text(buf, off + 1)}:${view.getUint16(off + 17, true)}`;
  if (family === 1) return unixPath(buf, off + 1, len - 1);
  return `family ${family}`;
}

/** A PT_FDLIST as `fd:flags` pairs (flags in hex), space-separated. */
export function fdListText(view: DataView, off: number, len: number): string {
  if (len < 2) return '';
  const n = view.getUint16(off, true);
  const out: string[] = [];
  for (let i = 0, p = off + 2; i < n && p + 10 <= off + len; i++, p += 10) {
    out.push(`${view.getBigInt64(p, true)}:${view.getUint16(p + 8, true).toString(16)}`);
  }
  return out.join(' ');
}

/** Text of a value of a given type at [off, off+len) (the dynamic-parameter case reuses it). */
export function valueText(buf: Uint8Array, view: DataView, off: number, len: number, type: number, fmt: number, param?: ScapParamInfo): string {
  switch (type) {
    case PT.CHARBUF:
    case PT.FSPATH:
    case PT.FSRELPATH:
      return cstring(buf, off, len);
    case PT.BYTEBUF:
      return bytesText(buf, off, len);
    case PT.CHARBUFARRAY:
    case PT.CHARBUF_PAIR_ARRAY:
      return cstrings(buf, off, len).join('.');
    case PT.SOCKADDR:
      return sockaddrText(buf, view, off, len);
    case PT.SOCKTUPLE:
      return tupleText(buf, view, off, len);
    case PT.FDLIST:
      return fdListText(view, off, len);
    case PT.IPV4ADDR:
      return len >= 4 ? ipv4Text(buf, off) : '';
    case PT.IPV6ADDR:
      return len >= 16 ? ipv6Text(buf, off) : '';
    case PT.IPADDR:
      return len === 4 ? ipv4Text(buf, off) : len >= 16 ? ipv6Text(buf, off) : '';
    case PT.IPNET:
    case PT.IPV4NET:
    case PT.IPV6NET:
      return len === 4 || len === 5 ? ipv4Text(buf, off) : len >= 16 ? ipv6Text(buf, off) : '';
    case PT.DYN: {
      const dyn = param?.dynamic;
      if (!dyn || len < 1 || buf[off] >= dyn.length) return '';
      const d = dyn[buf[off]];
      return valueText(buf, view, off + 1, len - 1, d.type, d.fmt);
    }
    case PT.UID:
    case PT.GID: {
      if (len < 4) return '';
      const v = view.getUint32(off, true);
      return v === 0xffffffff ? '-1' : String(v);
    }
    case PT.RELTIME: {
      if (len < 8) return '';
      const v = view.getBigUint64(off, true);
      return v === 0xffffffffffffffffn ? 'none' : String(v);
    }
    case PT.BOOL:
      return len >= 4 ? (view.getUint32(off, true) !== 0 ? 'true' : 'false') : '';
    default: {
      const v = numberAt(view, off, len, type);
      if (v === null) return len === 0 ? '' : bytesText(buf, off, len);
      // Flags, modes and errnos print their number in decimal first (the names come after).
      const f = type === PT.FLAGS8 || type === PT.FLAGS16 || type === PT.FLAGS32 || type === PT.ENUMFLAGS8 || type === PT.ENUMFLAGS16 || type === PT.ENUMFLAGS32 ? PF.DEC : fmt;
      return formatNumber(v, f, type);
    }
  }
}

/** Parameter i of the event as libsinsp prints its raw value. */
export function paramText(ev: ScapEvent, i: number): string {
  const p = ev.info.params[i];
  const type = p?.type ?? PT.BYTEBUF;
  return valueText(ev.buf, ev.view, ev.paramOff[i], ev.paramLen[i], type, p?.fmt ?? PF.NA, p);
}
