import type { BatchBuilder, BinaryStore, ColumnStore, DictionaryStore, MapStore, NumericArray, NumericStore, WideStore } from '../trace/batch-builder.js';
import { LAYOUT_KEY } from '../trace/event-params.js';
import { PPM_FCNTL_CREATES_FD } from '../trace/flags.js';
import { type DynamicType, PT, type ScapEventInfo } from './event-table.js';
import { bytesText, cstring, cstrings, ipv4Text, ipv6Text, isV4Mapped, numberAt, numericSize, tupleText, unixPath, valueText } from './params.js';
import { shownFamily } from '../util/ip.js';
import { syscallName } from './ppm-sc.js';
import { ScapEvent } from './scap-event.js';
import { cgroupColumns } from './state-blocks.js';
import { type CodePlan, columnFits, EventMapper, fdTypeOfFamily, isStringType, KIND, numericFor, planCode, toNum } from './to-events.js';

/**
 * scap events written straight into a batch builder's columns, for `batches()`: the rows
 * EventMapper (to-events.ts) gives `rows()`, without an object per event. Both follow the same
 * per-code plan (planCode); what differs is only where a value goes. Every line here mirrors a
 * setter there, and test/scap/rows-batches.test.ts holds the two to the same rows.
 *
 * An exit row is completed from its enter row while that row is in the pending batch (most
 * exits: the values are copied column to column). When the enter row went out with an earlier
 * batch, its event is decoded again as a row object from a copy of its bytes kept for that.
 */

type Writer = (row: number, ev: ScapEvent, i: number) => void;
type Stores = Readonly<Record<string, ColumnStore>>;
type Small = NumericStore<Exclude<NumericArray, BigInt64Array | BigUint64Array>>;

function isSet(s: ColumnStore, row: number): boolean {
  return (s.valid[row >> 3] & (1 << (row & 7))) !== 0;
}

function mark(s: ColumnStore, row: number): void {
  s.valid[row >> 3] |= 1 << (row & 7);
}

function setText(s: DictionaryStore, row: number, text: string): void {
  s.codes[row] = s.intern(text);
  mark(s, row);
}

function setSmall(s: Small, row: number, v: number): void {
  s.values[row] = v;
  mark(s, row);
}

/** The column writer of a parameter of scap type `type` going to column `col` (columnSetter's twin). */
function columnWriter(S: Stores, extra: MapStore, col: string, type: number, dynamic: readonly DynamicType[] | null): Writer {
  const kind = KIND.get(col)!;
  const store = S[col];
  if (type === PT.DYN) {
    const inner = dynamic!.map((d) => (columnFits(col, d.type, null) ? columnWriter(S, extra, col, d.type, null) : null));
    return (row, ev, i) => {
      const off = ev.paramOff[i];
      const len = ev.paramLen[i];
      if (len < 1) return;
      const write = inner[ev.buf[off]];
      if (!write) return;
      ev.paramOff[i] = off + 1;
      ev.paramLen[i] = len - 1;
      write(row, ev, i);
      ev.paramOff[i] = off;
      ev.paramLen[i] = len;
    };
  }
  if (col === 'cgroup') {
    return (row, ev, i) => {
      const picked: { cgroup?: string } = {};
      cgroupColumns(picked as never, cstrings(ev.buf, ev.paramOff[i], ev.paramLen[i]));
      if (picked.cgroup !== undefined) setText(store as DictionaryStore, row, picked.cgroup);
      extra.put(row, 'cgroups', bytesText(ev.buf, ev.paramOff[i], ev.paramLen[i]));
    };
  }
  switch (kind) {
    case 'strings':
      return (row, ev, i) => store.set(row, cstrings(ev.buf, ev.paramOff[i], ev.paramLen[i]));
    case 'binary':
      return (row, ev, i) => (store as BinaryStore).setBytes(row, ev.buf, ev.paramOff[i], ev.paramLen[i]);
    case 'string': {
      const dict = store as DictionaryStore;
      if (isStringType(type) || type === PT.BYTEBUF) return (row, ev, i) => setText(dict, row, cstring(ev.buf, ev.paramOff[i], ev.paramLen[i]));
      return (row, ev, i) => setText(dict, row, valueText(ev.buf, ev.view, ev.paramOff[i], ev.paramLen[i], type, 1));
    }
  }
  const convert = numericFor(kind)!;
  if (kind === 'int64' || kind === 'uint64' || kind === 'timestamp') {
    // 64 bits stored as two words: the bit pattern BigInt.asIntN/asUintN(64, value) gives, without a BigInt.
    const words = (store as WideStore<BigInt64Array>).words;
    const size = numericSize(type);
    if (size === 8 && type !== PT.DOUBLE) {
      return (row, ev, i) => {
        if (ev.paramLen[i] < 8) return;
        const off = ev.paramOff[i];
        words[2 * row] = ev.view.getUint32(off, true);
        words[2 * row + 1] = ev.view.getUint32(off + 4, true);
        mark(store, row);
      };
    }
    if (size > 0 && size < 8) {
      return (row, ev, i) => {
        const v = numberAt(ev.view, ev.paramOff[i], ev.paramLen[i], type) as number | null;
        if (v === null) return;
        words[2 * row] = v >>> 0;
        words[2 * row + 1] = v < 0 ? 0xffffffff : 0;
        mark(store, row);
      };
    }
  }
  if (kind === 'int64' || kind === 'uint64' || kind === 'timestamp' || kind === 'bool') {
    return (row, ev, i) => {
      const v = numberAt(ev.view, ev.paramOff[i], ev.paramLen[i], type);
      if (v !== null) store.set(row, convert(v));
    };
  }
  const small = store as Small;
  if (col === 'sock_type') {
    return (row, ev, i) => {
      const v = numberAt(ev.view, ev.paramOff[i], ev.paramLen[i], type);
      if (v === null) return;
      const n = toNum(v);
      setSmall(small, row, convert(n & 0xf) as number);
      if ((n & ~0xf) !== 0) extra.put(row, 'type', String(n >>> 0));
    };
  }
  return (row, ev, i) => {
    const v = numberAt(ev.view, ev.paramOff[i], ev.paramLen[i], type);
    if (v !== null) setSmall(small, row, convert(v) as number);
  };
}

/** A socket tuple (tupleSetterFor's twin). */
function tupleWriter(S: Stores, extra: MapStore, name: string): Writer {
  const family = S.sock_family as Small;
  const sip = S.sip as DictionaryStore;
  const dip = S.dip as DictionaryStore;
  const sport = S.sport as Small;
  const dport = S.dport as Small;
  const path = S.path as DictionaryStore;
  return (row, ev, i) => {
    const off = ev.paramOff[i];
    const len = ev.paramLen[i];
    if (len === 0) return;
    const buf = ev.buf;
    const view = ev.view;
    const fam = buf[off];
    if (fam === 2 && len >= 13) {
      setSmall(family, row, 2);
      setText(sip, row, ipv4Text(buf, off + 1));
      setSmall(sport, row, view.getUint16(off + 5, true));
      setText(dip, row, ipv4Text(buf, off + 7));
      setSmall(dport, row, view.getUint16(off + 11, true));
    } else if (fam === 10 && len >= 37) {
      if (shownFamily(10, buf, off + 1, buf, off + 19) === 2) {
        setSmall(family, row, 2);
        setText(sip, row, ipv4Text(buf, off + 13));
        setText(dip, row, ipv4Text(buf, off + 31));
      } else {
        setSmall(family, row, 10);
        setText(sip, row, ipv6Text(buf, off + 1));
        setText(dip, row, ipv6Text(buf, off + 19));
      }
      setSmall(sport, row, view.getUint16(off + 17, true));
      setSmall(dport, row, view.getUint16(off + 35, true));
    } else if (fam === 1 && len >= 17) {
      setSmall(family, row, 1);
      const p = unixPath(buf, off + 17, len - 17);
      if (p !== '') setText(path, row, p);
    }
    if (len >= 17 && fam === 1) extra.put(row, name, tupleText(buf, view, off, len));
  };
}

/** A socket address (sockaddrSetter's twin). */
function addrWriter(S: Stores): Writer {
  const family = S.sock_family as Small;
  const dip = S.dip as DictionaryStore;
  const dport = S.dport as Small;
  const path = S.path as DictionaryStore;
  return (row, ev, i) => {
    const off = ev.paramOff[i];
    const len = ev.paramLen[i];
    if (len === 0 || isSet(dip, row)) return;
    const buf = ev.buf;
    const fam = buf[off];
    if (fam === 2 && len >= 7) {
      if (!isSet(family, row)) setSmall(family, row, 2);
      setText(dip, row, ipv4Text(buf, off + 1));
      setSmall(dport, row, ev.view.getUint16(off + 5, true));
    } else if (fam === 10 && len >= 19) {
      const mapped = isV4Mapped(buf, off + 1);
      if (!isSet(family, row)) setSmall(family, row, mapped ? 2 : 10);
      setText(dip, row, mapped ? ipv4Text(buf, off + 13) : ipv6Text(buf, off + 1));
      setSmall(dport, row, ev.view.getUint16(off + 17, true));
    } else if (fam === 1) {
      if (!isSet(family, row)) setSmall(family, row, 1);
      if (!isSet(path, row)) setText(path, row, unixPath(buf, off + 1, len - 1));
    }
  };
}

/** What the event type implies beyond its parameters (postFor's twin). */
function postWriter(name: string, S: Stores, extra: MapStore): ((row: number) => void) | null {
  const family = S.sock_family as Small;
  const fdType = S.fd_type as DictionaryStore;
  const l4proto = S.l4proto as Small;
  const sockType = S.sock_type as Small;
  const familyType = (row: number) => {
    const t = fdTypeOfFamily(isSet(family, row) ? family.values[row] : undefined);
    if (t) setText(fdType, row, t);
  };
  switch (name) {
    case 'socket':
    case 'socketpair':
      return (row) => {
        familyType(row);
        const fam = isSet(family, row) ? family.values[row] : undefined;
        const l4 = isSet(l4proto, row) ? l4proto.values[row] : undefined;
        if ((fam === 2 || fam === 10) && (l4 === 0 || l4 === undefined) && isSet(sockType, row)) {
          if (l4 === 0) extra.put(row, 'proto', '0');
          const t = sockType.values[row];
          setSmall(l4proto, row, t === 1 ? 6 : t === 2 ? 17 : 0);
        }
      };
    case 'connect':
    case 'accept':
    case 'accept4':
      return familyType;
    case 'pipe':
    case 'pipe2':
      return (row) => setText(fdType, row, 'pipe');
    case 'memfd_create':
      return (row) => setText(fdType, row, 'memfd');
    default:
      return null;
  }
}

/** Copies column `col` of row `from` to row `to` when `to` has no value and `from` has; null for kinds not copied so. */
function copierOf(S: Stores, col: string): ((from: number, to: number) => boolean) | null {
  const store = S[col];
  const kind = KIND.get(col);
  const guard = (copy: (from: number, to: number) => void) => (from: number, to: number) => {
    if (isSet(store, to) || !isSet(store, from)) return false;
    copy(from, to);
    mark(store, to);
    return true;
  };
  switch (kind) {
    case 'timestamp':
    case 'int64':
    case 'uint64': {
      const words = (store as WideStore<BigInt64Array>).words;
      return guard((from, to) => {
        words[2 * to] = words[2 * from];
        words[2 * to + 1] = words[2 * from + 1];
      });
    }
    case 'int32':
    case 'uint32':
    case 'int16':
    case 'uint16':
    case 'uint8': {
      const values = (store as Small).values;
      return guard((from, to) => {
        values[to] = values[from];
      });
    }
    case 'string': {
      const codes = (store as DictionaryStore).codes;
      return guard((from, to) => {
        codes[to] = codes[from];
      });
    }
    default:
      return null;
  }
}

interface CodeWriter {
  plan: CodePlan;
  info: ScapEventInfo;
  writers: Writer[];
  post: ((row: number) => void) | null;
  /** Dictionary codes of the type and dir, once a row has used them (interned on first use, as `append` would). */
  typeCode: number;
  dirCode: number;
  /** Copiers of the columns an exit row can take from this (enter) code's rows; null when one column cannot be copied so. */
  copiers: ((from: number, to: number) => boolean)[] | null;
}

/** A thread's enter event waiting for its exit. */
class Pending {
  active = false;
  row = 0;
  batch = 0;
  typeCode = 0;
  ts = 0n;
  code: CodeWriter | null = null;
  /** A copy of the event, to decode it again once its row has gone out with a batch. */
  readonly event = new ScapEvent();
}

/** `ev`'s header and parameters copied into `to` (parameters are contiguous in an event). */
function copyEvent(ev: ScapEvent, to: ScapEvent): void {
  const n = ev.nparams;
  const lo = n > 0 ? ev.paramOff[0] : 0;
  const size = n > 0 ? ev.paramOff[n - 1] + ev.paramLen[n - 1] - lo : 0;
  if (to.buf.length < size) {
    to.buf = new Uint8Array(Math.max(64, size * 2));
    to.view = new DataView(to.buf.buffer);
  }
  const src = ev.buf;
  const dst = to.buf;
  for (let k = 0; k < size; k++) dst[k] = src[lo + k];
  if (to.paramOff.length < n) {
    to.paramOff = new Int32Array(n);
    to.paramLen = new Int32Array(n);
  }
  for (let i = 0; i < n; i++) {
    to.paramOff[i] = ev.paramOff[i] - lo;
    to.paramLen[i] = ev.paramLen[i];
  }
  to.nparams = n;
  to.code = ev.code;
  to.info = ev.info;
  to.ts = ev.ts;
  to.tid = ev.tid;
  to.cpu = ev.cpu;
  to.flags = ev.flags;
  to.comment = ev.comment;
  to.start = 0;
}

export class ColumnMapper {
  private readonly S: Stores;
  private readonly extra: MapStore;
  private readonly codes: (CodeWriter | undefined)[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Batches taken so far: a pending enter row of an older batch is no longer in the stores. */
  private batch = 0;
  /** Decodes an enter event whose row has gone out (rare: an exit right after a batch break). */
  private readonly fallback = new EventMapper();

  constructor(private readonly builder: BatchBuilder) {
    this.S = builder.stores as unknown as Stores;
    this.extra = builder.stores.extra;
  }

  /** Says the builder's pending rows were taken. */
  newBatch(): void {
    this.batch++;
  }

  /** Forgets pending enter events (a new section of the file starts over). */
  reset(): void {
    for (const p of this.pending.values()) p.active = false;
  }

  private compile(info: ScapEventInfo): CodeWriter {
    const plan = planCode(info);
    const S = this.S;
    const extra = this.extra;
    const writers = plan.params.map((p): Writer => {
      switch (p.kind) {
        case 'syscall':
          return (row, ev, j) => {
            if (ev.paramLen[j] < 2) return;
            const sc = ev.view.getUint16(ev.paramOff[j], true);
            setText(S.type as DictionaryStore, row, syscallName(sc));
            extra.put(row, 'ID', String(sc));
          };
        case 'column':
          return columnWriter(S, extra, p.col, p.type, p.dynamic);
        case 'tuple':
          return tupleWriter(S, extra, p.name);
        case 'addr':
          return addrWriter(S);
        case 'extra':
          return (row, ev, i) => extra.put(row, p.name, valueText(ev.buf, ev.view, ev.paramOff[i], ev.paramLen[i], p.type, p.fmt, p.param));
      }
    });
    let copiers: ((from: number, to: number) => boolean)[] | null = [];
    for (const col of plan.columns) {
      if (col === 'extra') continue;
      const c = copierOf(S, col);
      if (c === null) {
        copiers = null;
        break;
      }
      copiers.push(c);
    }
    return { plan, info, writers, post: postWriter(info.name, S, extra), typeCode: -1, dirCode: -1, copiers };
  }

  /** Writes the row of the decoded event `ev`, numbered `num`, as a new row of the builder. */
  write(ev: ScapEvent, num: number): void {
    const S = this.S;
    const code = ev.code;
    const m = (this.codes[code] ??= this.compile(ev.info));
    const row = this.builder.addRow();
    const ts = S.ts as WideStore<BigInt64Array>;
    ts.values[row] = ev.ts;
    mark(ts, row);
    const numStore = S.num as WideStore<BigUint64Array>;
    numStore.words[2 * row] = num >>> 0;
    numStore.words[2 * row + 1] = Math.floor(num / 0x100000000);
    mark(numStore, row);
    setSmall(S.cpu as Small, row, ev.cpu);
    const writers = m.writers;
    const n = ev.nparams < writers.length ? ev.nparams : writers.length;
    for (let i = 0; i < n; i++) writers[i](row, ev, i);
    // The header's thread id is the event's; a tid parameter (execve, clone) says the same or less.
    setSmall(S.tid as Small, row, ev.tid);
    const type = S.type as DictionaryStore;
    if (!isSet(type, row)) {
      if (m.typeCode < 0) m.typeCode = type.intern(m.plan.type);
      type.codes[row] = m.typeCode;
      mark(type, row);
    }
    const dir = S.dir as DictionaryStore;
    if (m.dirCode < 0) m.dirCode = dir.intern(m.plan.dir);
    dir.codes[row] = m.dirCode;
    mark(dir, row);
    if (m.post !== null) m.post(row);
    const extra = this.extra;
    if (ev.flags !== 0) extra.put(row, 'scap_flags', String(ev.flags));
    if (ev.comment !== null) extra.put(row, 'comment', ev.comment);
    let completed = false;
    if (m.plan.dir === '>') {
      if (m.plan.paired) this.remember(ev, row, m, type.codes[row]);
    } else {
      const p = this.pending.get(ev.tid);
      if (p !== undefined && p.active) {
        p.active = false;
        if (p.typeCode === type.codes[row]) completed = this.complete(row, ev, p);
      }
      if (m.plan.type === 'fcntl') this.markDupfd(row);
    }
    const all = ev.info.params.length;
    const nparams = ev.nparams < all ? ev.nparams : all;
    if (!m.plan.latest || nparams < all || completed) extra.put(row, LAYOUT_KEY, `${code}:${nparams}`);
  }

  /** fcntl's command may come from its enter event: only now can the row say it made an fd (the mapper's twin). */
  private markDupfd(row: number): void {
    const op = this.S.op as WideStore<BigInt64Array>;
    const res = this.S.res as WideStore<BigInt64Array>;
    const fd2 = this.S.fd2 as WideStore<BigInt64Array>;
    if (!isSet(op, row) || !isSet(res, row) || isSet(fd2, row) || !PPM_FCNTL_CREATES_FD.has(Number(op.values[row])) || res.values[row] < 0n) return;
    fd2.values[row] = res.values[row];
    mark(fd2, row);
  }

  private remember(ev: ScapEvent, row: number, m: CodeWriter, typeCode: number): void {
    let p = this.pending.get(ev.tid);
    if (p === undefined) {
      p = new Pending();
      this.pending.set(ev.tid, p);
    }
    p.active = true;
    p.row = row;
    p.batch = this.batch;
    p.typeCode = typeCode;
    p.ts = ev.ts;
    p.code = m;
    copyEvent(ev, p.event);
  }

  /** Fills what exit row `row` lacks from its enter (completeExit's twin); true when anything was taken. */
  private complete(row: number, ev: ScapEvent, p: Pending): boolean {
    const m = p.code!;
    const extra = this.extra;
    let taken = false;
    if (p.batch === this.batch && m.copiers !== null) {
      for (const copy of m.copiers) if (copy(p.row, row)) taken = true;
      if (isSet(extra, p.row)) {
        // The exit's own values win; the enter's layout marker is its own.
        const own = isSet(extra, row);
        if (!own) taken = true;
        const keys = extra.keys;
        const values = extra.values;
        for (let i = extra.start(p.row), end = extra.end(p.row); i < end; i++) {
          const k = keys[i];
          if (k === LAYOUT_KEY || (own && extra.find(row, k) >= 0)) continue;
          extra.put(row, k, values[i]);
          taken = true;
        }
      }
    } else {
      const enter = this.fallback.map(p.event, 0n) as unknown as Record<string, unknown>;
      for (const col of m.plan.columns) {
        const v = enter[col];
        if (v === undefined) continue;
        if (col === 'extra') {
          const from = v as Record<string, string>;
          const own = isSet(extra, row);
          if (!own) taken = true;
          for (const k in from) {
            if (k === LAYOUT_KEY || (own && extra.find(row, k) >= 0)) continue;
            extra.put(row, k, from[k]);
            taken = true;
          }
        } else if (!isSet(this.S[col], row)) {
          this.S[col].set(row, v);
          taken = true;
        }
      }
    }
    if (ev.ts >= p.ts) {
      const latency = this.S.latency as WideStore<BigInt64Array>;
      latency.values[row] = ev.ts - p.ts;
      mark(latency, row);
    }
    return taken;
  }
}
