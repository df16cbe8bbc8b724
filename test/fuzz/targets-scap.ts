import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'fflate';
import { flipBits, int, INTERESTING_U32, mutateBytes, pick } from './bytes.js';
import type { FuzzCase, FuzzTarget, PrepareContext, Rand } from './types.js';

/**
 * Damaged `.scap` captures (plain and gzip) for `replay` and `convert`: generic byte mutations,
 * and mutations that know the block layout (block lengths and types, the event header and its
 * parameter lengths, the entry and string lengths of process/fd/user/interface lists, the
 * section header), so that most inputs get past the first block. The file is walked by its own
 * small parser here, not by the reader under test (src/scap/).
 */

// Block types (libscap's scap_savefile.h), as this walker needs them.
const SHB = 0x0a0d0d0a;
const SHB_MAGIC = 0x1a2b3c4d;
const PROC_LISTS: Record<number, number> = { 0x202: 1, 0x207: 2, 0x209: 3, 0x210: 4, 0x211: 5, 0x212: 6, 0x213: 7, 0x214: 8, 0x215: 9 };
const EVENT_BLOCKS: Record<number, { v2: boolean; flagged: boolean }> = {
  0x204: { v2: false, flagged: false },
  0x208: { v2: false, flagged: true },
  0x216: { v2: true, flagged: false },
  0x221: { v2: true, flagged: false },
  0x217: { v2: true, flagged: true },
  0x222: { v2: true, flagged: true },
};
const FD_LISTS = [0x203, 0x218];
const IF_LISTS = [0x205, 0x219];
const USER_LISTS = [0x206, 0x220];
const KNOWN_TYPES = [SHB, 0x201, ...Object.keys(PROC_LISTS).map(Number), ...Object.keys(EVENT_BLOCKS).map(Number), ...FD_LISTS, ...IF_LISTS, ...USER_LISTS];
const UNKNOWN_TYPES = [0, 1, 0x200, 0x223, 0x8099abcd, 0x0a0d0d0b, 0xffffffff];
const MB512 = 0x20000000;

interface Block {
  start: number;
  len: number;
  type: number;
}

/** A length field inside a block: where, how wide, its honest value, and the bytes left after it in its entry. */
interface Slot {
  pos: number;
  width: 2 | 4;
  what: string;
  value: number;
  room: number;
}

/** One event of an event block, as far as this walker understands it. */
interface Ev {
  block: number;
  /** Offset of the event header (after cpuid and flags). */
  at: number;
  v2: boolean;
  code: number;
  len: number;
  /** Bytes from the event header to the block's end. */
  avail: number;
  nparams: number;
  lenSize: 2 | 4;
  lensAt: number;
}

interface Seed {
  name: string;
  bytes: Uint8Array;
  blocks: Block[];
  events: Ev[];
  slots: Slot[];
  codes: number[];
}

interface Mutation {
  bytes: Uint8Array;
  note: string;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const blockName = (s: Seed, i: number) => `block ${i} (${hex(s.blocks[i].type)})`;

/** The blocks of a capture, in order, up to the first one whose length does not hold. */
function walkBlocks(bytes: Uint8Array): Block[] {
  const view = viewOf(bytes);
  const blocks: Block[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const type = view.getUint32(at, true);
    const len = view.getUint32(at + 4, true);
    if (len < 12 || at + len > bytes.length) break;
    blocks.push({ start: at, len, type });
    at += len;
  }
  return blocks;
}

/** Bounds-checked cursor that records the length fields it passes; throws STOP when the entry does not hold. */
const STOP = new Error('walk stopped');
class Walk {
  constructor(
    readonly view: DataView,
    public at: number,
    public end: number,
    readonly slots: Slot[],
    readonly label: string,
  ) {}

  skip(n: number): void {
    if (n < 0 || this.end - this.at < n) throw STOP;
    this.at += n;
  }

  u8(): number {
    this.skip(1);
    return this.view.getUint8(this.at - 1);
  }

  /** A u32 entry length (counting itself): recorded as a slot. */
  len32(what: string): number {
    this.skip(4);
    const value = this.view.getUint32(this.at - 4, true);
    this.slots.push({ pos: this.at - 4, width: 4, what: `${this.label} ${what}`, value, room: this.end - this.at + 4 });
    return value;
  }

  /** A u16-length string: the length is recorded as a slot, the bytes skipped. */
  str(what: string): void {
    this.skip(2);
    const value = this.view.getUint16(this.at - 2, true);
    this.slots.push({ pos: this.at - 2, width: 2, what: `${this.label} ${what} length`, value, room: this.end - this.at });
    this.skip(value);
  }
}

/** Runs `step` over the entries of a list block until its body is used up or an entry does not hold. */
function entries(w: Walk, step: (w: Walk) => void): void {
  try {
    while (w.end - w.at >= 4 && w.slots.length < 4000) step(w);
  } catch (err) {
    if (err !== STOP) throw err;
  }
}

/** One process-list entry of `version`; v9 entries start with their length. */
function procEntry(w: Walk, version: number): void {
  const start = w.at;
  const outerEnd = w.end;
  if (version === 9) {
    const len = w.len32('entry length');
    if (len < 4 || start + len > outerEnd) throw STOP;
    w.end = start + len;
  }
  w.skip(24 + (version >= 6 ? 8 : 0) + (version >= 8 ? 8 : 0));
  w.str('comm');
  w.str('exe');
  if (version >= 7) w.str('exepath');
  w.str('args');
  w.str('cwd');
  w.skip(8 + 12);
  if (version >= 2) w.skip(12 + 16);
  if (version >= 3) w.str('env');
  if (version >= 4) {
    w.skip(16);
    w.str('cgroups');
  }
  if (version >= 5) w.str('root');
  if (version === 9) {
    w.at = w.end;
    w.end = outerEnd;
  }
}

/** Fixed sizes of fd entries by scap fd type (after fd, ino, type); -1: a u16 string follows. */
const FD_FIXED: Record<number, number> = { 0: 0, 3: 13, 4: 37, 5: 7, 6: 19 };

/** One fd-list entry; v2 entries start with their length. */
function fdEntry(w: Walk, v2: boolean): void {
  const start = w.at;
  const outerEnd = w.end;
  if (v2) {
    const len = w.len32('entry length');
    if (len < 4 || start + len > outerEnd) throw STOP;
    w.end = start + len;
  }
  w.skip(16);
  const type = w.u8();
  if (type in FD_FIXED) w.skip(FD_FIXED[type]);
  else if (type === 8) {
    w.skip(16);
    w.str('unix name');
  } else if (type === 16) {
    w.skip(4);
    w.str('file name');
  } else if (type >= 1 && type <= 21) w.str('name');
  else if (!v2) throw STOP;
  if (v2) {
    w.at = w.end;
    w.end = outerEnd;
  }
}

/** One user/group entry; v2 entries start with their length. */
function userEntry(w: Walk, v2: boolean): void {
  const start = w.at;
  const outerEnd = w.end;
  if (v2) {
    const len = w.len32('entry length');
    if (len < 4 || start + len > outerEnd) throw STOP;
    w.end = start + len;
  }
  if (w.u8() === 0) {
    w.skip(8);
    w.str('user name');
    w.str('user home');
    w.str('user shell');
  } else {
    w.skip(4);
    w.str('group name');
  }
  if (v2) {
    w.at = w.end;
    w.end = outerEnd;
  }
}

/** One interface entry; v2 entries start with a size (not counting itself). */
function ifEntry(w: Walk, v2: boolean): void {
  let entryEnd = -1;
  if (v2) {
    const size = w.len32('entry size');
    entryEnd = w.at + size;
    if (size < 4 || entryEnd > w.end) throw STOP;
  }
  const type = w.view.getUint16(w.at, true);
  w.skip(2);
  w.skip(2);
  const nameLen = w.view.getUint16(w.at - 2, true);
  w.slots.push({ pos: w.at - 2, width: 2, what: `${w.label} name length`, value: nameLen, room: w.end - w.at });
  if (type === 1 || type === 3) w.skip(12 + (type === 1 ? 8 : 0));
  else if (type === 2 || type === 4) w.skip(48 + (type === 2 ? 8 : 0));
  else throw STOP;
  w.skip(nameLen);
  if (entryEnd >= 0) w.at = Math.max(entryEnd, w.at);
}

/** The length fields of one state block. */
function stateSlots(view: DataView, b: Block, index: number, slots: Slot[]): void {
  const label = `block ${index} (${hex(b.type)})`;
  const w = new Walk(view, b.start + 8, b.start + b.len - 4, slots, label);
  const pl = PROC_LISTS[b.type];
  if (pl) entries(w, (x) => procEntry(x, pl));
  else if (FD_LISTS.includes(b.type)) {
    if (w.end - w.at < 8) return;
    w.at += 8;
    entries(w, (x) => fdEntry(x, b.type === 0x218));
  } else if (USER_LISTS.includes(b.type)) entries(w, (x) => userEntry(x, b.type === 0x220));
  else if (IF_LISTS.includes(b.type)) entries(w, (x) => ifEntry(x, b.type === 0x219));
}

/** Whether `n` parameter lengths of `size` bytes at `lensAt` add up to exactly `stop`. */
function lengthsFit(view: DataView, lensAt: number, stop: number, n: number, size: 2 | 4): boolean {
  let val = lensAt + n * size;
  for (let i = 0; i < n && val <= stop; i++) val += size === 2 ? view.getUint16(lensAt + i * 2, true) : view.getUint32(lensAt + i * 4, true);
  return val === stop;
}

/** The event of an event block (header fields, parameter count and length width), or null. */
function parseEvent(view: DataView, b: Block, index: number): Ev | null {
  const kind = EVENT_BLOCKS[b.type];
  if (!kind) return null;
  const at = b.start + 8 + 2 + (kind.flagged ? 4 : 0);
  const end = b.start + b.len - 4;
  const hdr = kind.v2 ? 26 : 22;
  if (end - at < hdr) return null;
  const len = view.getUint32(at + 16, true);
  const code = view.getUint16(at + 20, true);
  if (len < hdr || len > end - at) return null;
  const lensAt = at + hdr;
  const stop = at + len;
  const ev: Ev = { block: index, at, v2: kind.v2, code, len, avail: end - at, nparams: 0, lenSize: 2, lensAt };
  if (kind.v2) {
    ev.nparams = view.getUint32(at + 22, true);
    if (ev.nparams * 2 > len - hdr) return null;
    if (!lengthsFit(view, lensAt, stop, ev.nparams, 2)) {
      if (ev.nparams * 4 > len - hdr || !lengthsFit(view, lensAt, stop, ev.nparams, 4)) return null;
      ev.lenSize = 4;
    }
    return ev;
  }
  // v1: no nparams in the header; the largest count whose lengths add up.
  for (const size of [2, 4] as const) {
    for (let n = Math.min(40, Math.floor((stop - lensAt) / size)); n >= 0; n--) {
      if (lengthsFit(view, lensAt, stop, n, size)) return { ...ev, nparams: n, lenSize: size };
    }
  }
  return null;
}

/** Walks a capture into its blocks, events and list length fields. */
function analyse(name: string, bytes: Uint8Array): Seed {
  const view = viewOf(bytes);
  const blocks = walkBlocks(bytes);
  const events: Ev[] = [];
  const slots: Slot[] = [];
  const codes = new Set<number>();
  blocks.forEach((b, i) => {
    const ev = parseEvent(view, b, i);
    if (ev) {
      events.push(ev);
      codes.add(ev.code);
    } else stateSlots(view, b, i, slots);
  });
  return { name, bytes, blocks, events, slots, codes: [...codes] };
}

/** A block, half the time one that is not an event (there are few of those). */
function pickBlock(rand: Rand, s: Seed): number {
  const state = s.blocks.map((b, i) => (EVENT_BLOCKS[b.type] ? -1 : i)).filter((i) => i >= 0);
  return rand() < 0.5 && state.length ? pick(rand, state) : int(rand, s.blocks.length);
}

/** Probes the block framing: a total length (header, trailer or both) of 0, 12, ±4, huge, or past the end of the file. */
function blockLength(rand: Rand, s: Seed): Mutation {
  const i = pickBlock(rand, s);
  const b = s.blocks[i];
  const bytes = s.bytes.slice();
  const view = viewOf(bytes);
  const v = pick(rand, [0, 4, 11, 12, 16, b.len - 4, b.len + 4, b.len + 8, 0x7ffffffc, MB512, MB512 + 4, 0x10008, 0x1000c, 0xffffffff, bytes.length - b.start + 4, bytes.length - b.start]) >>> 0;
  const where = pick(rand, ['header', 'trailer', 'both'] as const);
  if (where !== 'trailer') view.setUint32(b.start + 4, v, true);
  if (where === 'trailer') view.setUint32(b.start + b.len - 4, v, true);
  if (where === 'both' && v >= 12 && b.start + v <= bytes.length) view.setUint32(b.start + v - 4, v, true);
  return { bytes, note: `${blockName(s, i)} len ${b.len} -> ${hex(v)} (${where})` };
}

/** Probes dispatch on the block type: another known type (wrong layout for the body) or an unknown one. */
function blockType(rand: Rand, s: Seed): Mutation {
  const i = pickBlock(rand, s);
  const bytes = s.bytes.slice();
  const v = rand() < 0.6 ? pick(rand, KNOWN_TYPES) : rand() < 0.7 ? pick(rand, UNKNOWN_TYPES) : int(rand, 2 ** 32);
  viewOf(bytes).setUint32(s.blocks[i].start, v >>> 0, true);
  return { bytes, note: `${blockName(s, i)} type -> ${hex(v)}` };
}

/** A value for an event's len: too small for the header, off by one, the block's room, huge. */
function eventLenValue(rand: Rand, ev: Ev): number {
  return pick(rand, [0, 1, 21, 22, 25, 26, ev.len - 1, ev.len + 1, ev.len + 4, ev.avail, ev.avail + 1, 0xffff, 0x10000, 0x7fffffff, 0xffffffff]);
}

/** Probes the event decoder: len, type, nparams, one parameter length, cpuid. */
function eventField(rand: Rand, s: Seed): Mutation {
  const ev = pick(rand, s.events);
  const bytes = s.bytes.slice();
  const view = viewOf(bytes);
  const where = `${blockName(s, ev.block)} event ${ev.code}`;
  const r = rand();
  if (r < 0.25) {
    const v = eventLenValue(rand, ev) >>> 0;
    view.setUint32(ev.at + 16, v, true);
    return { bytes, note: `${where} len ${ev.len} -> ${v}` };
  }
  if (r < 0.45) {
    const v = rand() < 0.4 ? int(rand, 0x10000) : rand() < 0.5 && s.codes.length ? pick(rand, s.codes) : ev.code ^ 1;
    view.setUint16(ev.at + 20, v, true);
    return { bytes, note: `${where} type -> ${v}` };
  }
  if (r < 0.6 && ev.v2) {
    const v = pick(rand, [0, 1, ev.nparams - 1, ev.nparams + 1, 64, 65, 1000, 0xffff, 0x7fffffff, 0xffffffff]) >>> 0;
    view.setUint32(ev.at + 22, v, true);
    return { bytes, note: `${where} nparams ${ev.nparams} -> ${v}` };
  }
  if (r < 0.92 && ev.nparams > 0) return paramLength(rand, ev, bytes, where);
  const v = pick(rand, [0xffff, 0x8000, 255, 256, int(rand, 0x10000)]);
  view.setUint16(ev.at - 2 - (EVENT_BLOCKS[s.blocks[ev.block].type].flagged ? 4 : 0), v, true);
  return { bytes, note: `${where} cpuid -> ${v}` };
}

/** Probes the parameter walk: one length 0, all ones, or larger than what is left of the event. */
function paramLength(rand: Rand, ev: Ev, bytes: Uint8Array, where: string): Mutation {
  const view = viewOf(bytes);
  const k = int(rand, ev.nparams);
  const read = (i: number) => (ev.lenSize === 2 ? view.getUint16(ev.lensAt + i * 2, true) : view.getUint32(ev.lensAt + i * 4, true));
  let valAt = ev.lensAt + ev.nparams * ev.lenSize;
  for (let i = 0; i < k; i++) valAt += read(i);
  const rest = ev.at + ev.len - valAt;
  const old = read(k);
  const max = ev.lenSize === 2 ? 0xffff : 0xffffffff;
  const choices = [0, max, rest, rest + 1, old + 1, Math.max(0, old - 1), 0x8000, 0x7fffffff].map((v) => Math.min(max, v)).filter((v) => v !== old);
  const v = pick(rand, choices);
  if (ev.lenSize === 2) view.setUint16(ev.lensAt + k * 2, v, true);
  else view.setUint32(ev.lensAt + k * 4, v >>> 0, true);
  return { bytes, note: `${where} param ${k}/${ev.nparams} len ${old} -> ${v} (${rest} left)` };
}

/** Probes list decoding: an entry length or string length set big or small relative to what remains. */
function stateSlot(rand: Rand, s: Seed): Mutation {
  const slot = pick(rand, s.slots);
  const bytes = s.bytes.slice();
  const view = viewOf(bytes);
  const max = slot.width === 2 ? 0xffff : 0xffffffff;
  const choices = [0, 1, 3, 4, slot.value - 1, slot.value + 1, slot.room, slot.room + 1, slot.room + 4, slot.value * 2, slot.value >> 1, max];
  if (slot.width === 2) choices.push(256, 257, 1024, 1025, 4096, 4097, 0x8000);
  else choices.push(0x7fffffff, MB512, 0x10000, pick(rand, INTERESTING_U32));
  const v = pick(rand, choices.map((x) => Math.max(0, Math.min(max, x))).filter((x) => x !== slot.value));
  if (slot.width === 2) view.setUint16(slot.pos, v, true);
  else view.setUint32(slot.pos, v >>> 0, true);
  return { bytes, note: `${slot.what} ${slot.value} -> ${v} (${slot.room} left)` };
}

/** Probes the section header: byte-order magic, version, section length. */
function sectionHeader(rand: Rand, s: Seed): Mutation {
  const bytes = s.bytes.slice();
  const view = viewOf(bytes);
  const b = s.blocks[0].start + 8;
  const r = rand();
  if (r < 0.35) {
    const v = pick(rand, [0x4d3c2b1a, 0, SHB_MAGIC ^ 1, int(rand, 2 ** 32)]);
    view.setUint32(b, v >>> 0, true);
    return { bytes, note: `section header magic -> ${hex(v)}` };
  }
  if (r < 0.7) {
    const major = pick(rand, [0, 1, 2, 0xffff]);
    const minor = pick(rand, [0, 0xffff, int(rand, 0x10000)]);
    view.setUint16(b + 4, major, true);
    view.setUint16(b + 6, minor, true);
    return { bytes, note: `section header version -> ${major}.${minor}` };
  }
  const v = pick(rand, [-1n, 0n, 1n, 2n ** 62n, -(2n ** 63n), BigInt(bytes.length), BigInt(int(rand, 2 ** 31))]);
  view.setBigInt64(b + 8, v, true);
  return { bytes, note: `section length -> ${v}` };
}

/** Concatenates byte ranges. */
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Probes block order: a block removed, doubled, swapped, moved, or a second section header in the middle. */
function moveBlocks(rand: Rand, s: Seed): Mutation {
  const parts = s.blocks.map((b) => s.bytes.subarray(b.start, b.start + b.len));
  const last = s.blocks.at(-1)!;
  const tail = s.bytes.subarray(last.start + last.len);
  const i = pickBlock(rand, s);
  const j = int(rand, parts.length + 1);
  const op = pick(rand, ['remove', 'duplicate', 'swap', 'move', 'section'] as const);
  if (op === 'remove') parts.splice(i, 1);
  else if (op === 'duplicate') parts.splice(rand() < 0.5 ? i : j, 0, parts[i]);
  else if (op === 'swap' && i + 1 < parts.length) [parts[i], parts[i + 1]] = [parts[i + 1], parts[i]];
  else if (op === 'move') parts.splice(Math.min(j, parts.length - 1), 0, ...parts.splice(i, 1));
  else if (op === 'section') parts.splice(j, 0, parts[0]);
  return { bytes: concat([...parts, tail]), note: `${op} ${blockName(s, i)}${op === 'move' || op === 'section' ? ` at ${j}` : ''}` };
}

/** Probes the end of the data: cut at a block boundary or inside a block (header, body, trailer). */
function truncateBlocks(rand: Rand, s: Seed): Mutation {
  const i = pickBlock(rand, s);
  const b = s.blocks[i];
  if (rand() < 0.4) return { bytes: s.bytes.slice(0, b.start), note: `truncate before ${blockName(s, i)}` };
  const cut = pick(rand, [1 + int(rand, 7), 8 + int(rand, Math.max(1, b.len - 12)), b.len - 1 - int(rand, 3)]);
  return { bytes: s.bytes.slice(0, b.start + cut), note: `truncate inside ${blockName(s, i)} at +${cut} of ${b.len}` };
}

type Mutator = (rand: Rand, s: Seed) => Mutation;

/** A structure-aware mutation, weighted, falling back to the block-level ones when a seed lacks events or slots. */
function structural(rand: Rand, s: Seed): Mutation {
  const ops: Array<[Mutator, number]> = [
    [blockLength, 3],
    [blockType, 2],
    [sectionHeader, 1],
    [moveBlocks, 2],
    [truncateBlocks, 1],
  ];
  if (s.events.length) ops.push([eventField, 4]);
  if (s.slots.length) ops.push([stateSlot, 4]);
  let r = rand() * ops.reduce((n, [, w]) => n + w, 0);
  for (const [op, w] of ops) {
    if ((r -= w) < 0) return op(rand, s);
  }
  return blockLength(rand, s);
}

/** Probes the gzip layer: flipped deflate bits, a bad CRC or ISIZE, a cut, two members, trailing garbage. */
function damageGzip(rand: Rand, scap: Uint8Array, other: Uint8Array): Mutation {
  const gz = gzipSync(scap);
  const op = pick(rand, ['flip', 'crc', 'isize', 'truncate', 'no-trailer', 'members', 'garbage', 'header'] as const);
  if (op === 'flip') {
    const body = gz.subarray(10, gz.length - 8);
    const m = flipBits(rand, body, 1 + int(rand, 4));
    return { bytes: concat([gz.subarray(0, 10), m.bytes, gz.subarray(gz.length - 8)]), note: `gz deflate ${m.note}` };
  }
  const bytes = gz.slice();
  if (op === 'crc' || op === 'isize') {
    const at = gz.length - (op === 'crc' ? 8 : 4) + int(rand, 4);
    bytes[at] ^= 1 + int(rand, 255);
    return { bytes, note: `gz ${op} byte ${at} changed` };
  }
  if (op === 'truncate') {
    const n = 10 + int(rand, gz.length - 10);
    return { bytes: gz.slice(0, n), note: `gz truncated to ${n} of ${gz.length}` };
  }
  if (op === 'no-trailer') return { bytes: gz.slice(0, gz.length - 8 + int(rand, 8)), note: 'gz trailer cut' };
  if (op === 'members') {
    const second = rand() < 0.5 ? gz : gzipSync(other.subarray(0, int(rand, other.length)));
    return { bytes: concat([gz, second]), note: `gz two members (${gz.length} + ${second.length})` };
  }
  if (op === 'garbage') {
    const junk = new Uint8Array(1 + int(rand, 32)).map(() => int(rand, 256));
    if (rand() < 0.5) junk.set([0x1f, 0x8b].slice(0, junk.length));
    return { bytes: concat([gz, junk]), note: `gz + ${junk.length} trailing bytes` };
  }
  // header: FLG bits (FEXTRA, FNAME, FCOMMENT, reserved) that promise fields that are not there.
  bytes[3] = pick(rand, [0x04, 0x08, 0x10, 0x02, 0xe0, 0xff]);
  return { bytes, note: `gz FLG -> ${hex(bytes[3])}` };
}

/** Wraps a mutated capture in gzip (sometimes damaging the gzip itself) or leaves it plain. */
function gzLayer(rand: Rand, scap: Uint8Array, other: Uint8Array): { bytes: Uint8Array; note: string; gz: boolean } {
  if (rand() >= 0.33) return { bytes: scap, note: '', gz: false };
  if (rand() < 0.25) {
    const m = damageGzip(rand, scap, other);
    return { bytes: m.bytes, note: `; ${m.note}`, gz: true };
  }
  const level = pick(rand, [0, 1, 6, 9] as const);
  return { bytes: gzipSync(scap, { level }), note: `; gz${level === 6 ? '' : ` level ${level}`}`, gz: true };
}

/** The seed's blocks before its first process list or event (section header, machine info, ...). */
function statePrefix(s: Seed): Uint8Array {
  const k = s.blocks.findIndex((b) => PROC_LISTS[b.type] || EVENT_BLOCKS[b.type]);
  const end = k < 0 ? s.bytes.length : s.blocks[k].start;
  return s.bytes.subarray(0, end);
}

/** Probes fail-fast on a block that declares 512 MB in a small gzip stream that ends long before: no 512 MB allocation. */
function declaredHuge(rand: Rand, s: Seed): Mutation {
  const type = pick(rand, [0x215, 0x202, 0x218, 0x220, 0x221, 0x7777abcd]);
  const len = pick(rand, [MB512, MB512 - 4, 0x1ffffff0]);
  const body = new Uint8Array(int(rand, 1 << 20));
  const pl = s.blocks.find((b) => PROC_LISTS[b.type]);
  if (pl && rand() < 0.5) body.set(s.bytes.subarray(pl.start + 8, Math.min(pl.start + pl.len - 4, pl.start + 8 + body.length)));
  const head = new Uint8Array(8);
  viewOf(head).setUint32(0, type >>> 0, true);
  viewOf(head).setUint32(4, len, true);
  const bytes = gzipSync(concat([statePrefix(s), head, body]));
  return { bytes, note: `block ${hex(type)} declares ${hex(len)} bytes, stream ends after ${body.length}; gz` };
}

/** Probes a block that really is 64 MB (of zeros, ~64 KB compressed), followed by the seed's events. */
function zeroBomb(rand: Rand, s: Seed): Mutation {
  const type = pick(rand, [0x7777abcd, 0x202, 0x221, 0x203]);
  const size = 64 << 20;
  const prefix = statePrefix(s);
  const rest = s.bytes.subarray(prefix.length);
  const block = new Uint8Array(size + 12);
  const view = viewOf(block);
  view.setUint32(0, type >>> 0, true);
  view.setUint32(4, block.length, true);
  view.setUint32(block.length - 4, block.length, true);
  const bytes = gzipSync(concat([prefix, block, rest]), { level: 6 });
  return { bytes, note: `block ${hex(type)} of 64 MB zeros (${bytes.length} bytes compressed); gz` };
}

/** One damaged capture: a special generator, or a structural or generic mutation, then the gzip layer. */
function mutateCapture(rand: Rand, seeds: Seed[]): { bytes: Uint8Array; note: string; gz: boolean } {
  const s = pick(rand, seeds);
  const name = s.name;
  const r = rand();
  if (r < 0.04) {
    const m = r < 0.01 ? zeroBomb(rand, s) : declaredHuge(rand, s);
    return { bytes: m.bytes, note: `${name}: ${m.note}`, gz: true };
  }
  let m = rand() < 0.3 ? mutateBytes(rand, s.bytes, pick(rand, seeds).bytes) : structural(rand, s);
  // Sometimes two changes: the second on the re-walked result (a length, then the data it covers).
  if (rand() < 0.15) {
    const again = analyse(name, m.bytes);
    const m2 = again.blocks.length ? structural(rand, again) : mutateBytes(rand, m.bytes);
    m = { bytes: m2.bytes, note: `${m.note}; ${m2.note}` };
  }
  const g = gzLayer(rand, m.bytes, pick(rand, seeds).bytes);
  return { bytes: g.bytes, note: `${name}: ${m.note}${g.note}`, gz: g.gz };
}

/** Small Falco captures to seed with (gzip-compressed despite the name), when the shared fixtures are there. */
function falcoCaptures(root: string): Seed[] {
  const dir = join(root, '..', 'shared', 'fixtures', 'scap');
  if (!existsSync(dir)) return [];
  const prefer = ['cat_write.scap', 'libs_curl_google_comments.scap', 'ping_sendto.scap'];
  const names = readdirSync(dir).filter((f) => f.endsWith('.scap') || f.endsWith('.scap.gz'));
  const ordered = [...prefer.filter((f) => names.includes(f)), ...names.filter((f) => !prefer.includes(f)).sort()];
  const out: Seed[] = [];
  for (const f of ordered) {
    const path = join(dir, f);
    if (out.length >= 3 || statSync(path).size >= 2 << 20) continue;
    let bytes: Uint8Array = new Uint8Array(readFileSync(path));
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    out.push(analyse(f, bytes));
  }
  return out;
}

/** Converts the repository's .arrow fixtures to .scap with the real CLI (both scap targets). */
function convertedSeeds(ctx: PrepareContext): Seed[] {
  const jobs: Array<[string, string, string[]]> = [
    ['fixtures/demo.arrow', 'demo.scap', []],
    ['fixtures/demo.arrow', 'demo-latest.scap', ['--scap-target', 'latest']],
    ['fixtures/demo-synthetic.arrow', 'demo-synthetic.scap', []],
  ];
  return jobs.map(([from, to, flags]) => {
    const out = join(ctx.scratch, to);
    if (!existsSync(out)) {
      const r = ctx.tsfalco(['convert', ...flags, join(ctx.root, from), out]);
      if (r.status !== 0) throw new Error(`scap fuzz seeds: converting ${from} to ${to} failed (exit ${r.status}): ${r.stderr.trim()}`);
    }
    const seed = analyse(to, new Uint8Array(readFileSync(out)));
    if (seed.blocks.length === 0 || seed.blocks[0].type !== SHB) throw new Error(`scap fuzz seeds: ${out} does not start with a section header`);
    return seed;
  });
}

/** Both targets read the same seeds: made once per scratch directory. */
const seedCache = new Map<string, Seed[]>();
function prepareSeeds(ctx: PrepareContext): Seed[] {
  let seeds = seedCache.get(ctx.scratch);
  if (!seeds) {
    seeds = [...convertedSeeds(ctx), ...falcoCaptures(ctx.root)];
    seedCache.set(ctx.scratch, seeds);
  }
  return seeds;
}

/** A target that runs `command(file)` on one damaged capture. */
function scapTarget(name: string, description: string, command: (file: string) => string[]): FuzzTarget {
  return {
    name,
    description,
    prepare: prepareSeeds,
    generate(rand, seeds): FuzzCase {
      const m = mutateCapture(rand, seeds as Seed[]);
      const file = m.gz ? 'in.scap.gz' : 'in.scap';
      return { files: { [file]: m.bytes }, runs: [command(`@${file}`)], mustName: [file], note: m.note };
    },
  };
}

export const scapTargets: FuzzTarget[] = [
  scapTarget('scap-replay', 'damaged .scap / .scap.gz captures (block framing, events, state lists, gzip) × replay', (f) => ['replay', '--no-summary', f]),
  scapTarget('scap-convert', 'damaged .scap / .scap.gz captures × convert to .arrow', (f) => ['convert', '--force', f, '@out.arrow']),
];
