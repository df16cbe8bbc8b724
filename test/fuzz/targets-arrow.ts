import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteBuffer } from 'flatbuffers';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { int, mutateBytes, pick } from './bytes.js';
import type { FuzzCase, FuzzTarget, Rand, RunOutcome } from './types.js';

/**
 * Damaged `.arrow` traces for `trace info` and `replay`: generic byte mutations, and mutations
 * that know the IPC file's structure (message lengths, the flatbuffer's lengths, buffer offsets
 * and node lengths, dictionary ids, the LZ4 frames of compressed buffers, the footer), so that
 * most inputs get past the magic and the first checks. The file is walked here by its own small
 * parser, not by the reader under test.
 */

/** A number in the file that a mutation can set: where, how wide, and its honest value. */
export interface Slot {
  pos: number;
  width: 1 | 4 | 8;
  what: string;
  value: number;
}

export interface Seed {
  name: string;
  bytes: Uint8Array;
  slots: Slot[];
  /** [start, end) of each message (metadata and body), for message-level operations. */
  messages: Array<[number, number]>;
  /** [start, end) of each body buffer, for changing the data itself. */
  buffers: Array<[number, number]>;
}

export function walk(name: string, bytes: Uint8Array): Seed {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots: Slot[] = [];
  const messages: Array<[number, number]> = [];
  const buffers: Array<[number, number]> = [];
  let at = 8;
  while (at + 8 <= bytes.length && view.getUint32(at, true) === 0xffffffff) {
    const metaLen = view.getInt32(at + 4, true);
    if (metaLen <= 0) break;
    slots.push({ pos: at + 4, width: 4, what: 'message metadata length', value: metaLen });
    const metaStart = at + 8;
    const bb = new ByteBuffer(bytes.subarray(metaStart, metaStart + metaLen));
    const message = Message.getRootAsMessage(bb);
    const abs = (rel: number) => metaStart + rel;
    const bodyLen = Number(message.bodyLength());
    const bodyOff = bb.__offset(message.bb_pos, 10);
    if (bodyOff) slots.push({ pos: abs(message.bb_pos + bodyOff), width: 8, what: 'message body length', value: bodyLen });
    const bodyStart = metaStart + metaLen;
    let batch: RecordBatch | null = null;
    if (message.headerType() === MessageHeader.RecordBatch) batch = message.header(new RecordBatch()) as RecordBatch;
    if (message.headerType() === MessageHeader.DictionaryBatch) {
      const dict = message.header(new DictionaryBatch()) as DictionaryBatch;
      const idOff = bb.__offset(dict.bb_pos, 4);
      if (idOff) slots.push({ pos: abs(dict.bb_pos + idOff), width: 8, what: 'dictionary id', value: Number(dict.id()) });
      const deltaOff = bb.__offset(dict.bb_pos, 8);
      if (deltaOff) slots.push({ pos: abs(dict.bb_pos + deltaOff), width: 1, what: 'dictionary isDelta', value: dict.isDelta() ? 1 : 0 });
      batch = dict.data();
    }
    if (batch) {
      const lenOff = bb.__offset(batch.bb_pos, 4);
      if (lenOff) slots.push({ pos: abs(batch.bb_pos + lenOff), width: 8, what: 'batch length', value: Number(batch.length()) });
      for (let i = 0; i < batch.nodesLength(); i++) {
        const node = batch.nodes(i)!;
        slots.push({ pos: abs(node.bb_pos), width: 8, what: `node ${i} length`, value: Number(node.length()) });
        slots.push({ pos: abs(node.bb_pos + 8), width: 8, what: `node ${i} null count`, value: Number(node.nullCount()) });
      }
      const compressed = batch.compression() !== null;
      for (let i = 0; i < batch.buffersLength(); i++) {
        const buf = batch.buffers(i)!;
        const offset = Number(buf.offset());
        const length = Number(buf.length());
        slots.push({ pos: abs(buf.bb_pos), width: 8, what: `buffer ${i} offset`, value: offset });
        slots.push({ pos: abs(buf.bb_pos + 8), width: 8, what: `buffer ${i} length`, value: length });
        const start = bodyStart + offset;
        if (length === 0 || start + length > bytes.length) continue;
        buffers.push([start, start + length]);
        if (compressed && length >= 8) frameSlots(view, start, start + length, i, slots);
      }
    }
    const end = bodyStart + bodyLen;
    messages.push([at, end]);
    at = end;
  }
  if (bytes.length >= 10) slots.push({ pos: bytes.length - 10, width: 4, what: 'footer length', value: view.getInt32(bytes.length - 10, true) });
  return { name, bytes, slots, messages, buffers };
}

/** The numbers of one compressed buffer: its uncompressed-length prefix and its LZ4 frame's block sizes. */
function frameSlots(view: DataView, start: number, end: number, index: number, slots: Slot[]): void {
  slots.push({ pos: start, width: 8, what: `buffer ${index} uncompressed length`, value: Number(view.getBigInt64(start, true)) });
  let p = start + 8;
  if (p + 7 > end || view.getUint32(p, true) !== 0x184d2204) return;
  const flg = view.getUint8(p + 4);
  slots.push({ pos: p + 4, width: 1, what: `buffer ${index} LZ4 FLG`, value: flg });
  slots.push({ pos: p + 5, width: 1, what: `buffer ${index} LZ4 BD`, value: view.getUint8(p + 5) });
  if (flg & 0x08) slots.push({ pos: p + 6, width: 8, what: `buffer ${index} LZ4 content size`, value: Number(view.getBigUint64(p + 6, true)) });
  p += 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
  for (let block = 0; p + 4 <= end; block++) {
    const size = view.getUint32(p, true);
    slots.push({ pos: p, width: 4, what: `buffer ${index} LZ4 block ${block} size`, value: size });
    if (size === 0) break;
    p += 4 + (size & 0x7fffffff) + (flg & 0x10 ? 4 : 0);
  }
}

/** A value for a slot: off by one, doubled, zero, negative, huge, or random. */
function slotValue(rand: Rand, slot: Slot, fileSize: number): number | bigint {
  const v = slot.value;
  const max = slot.width === 1 ? 0xff : slot.width === 4 ? 0x7fffffff : Number.MAX_SAFE_INTEGER;
  const choices: Array<number | bigint> = [0, v + 1, v - 1, v + 8, v * 2, v >> 1, fileSize, fileSize * 1000, max, int(rand, 1 + Math.min(max, fileSize * 2))];
  if (slot.width === 8) choices.push(-1n, 2n ** 62n, 2n ** 63n - 1n, 2n ** 53n + 1n, 2n ** 32n);
  if (slot.width === 4) choices.push(-1, 0x80000000 | 0);
  if (slot.width === 1) choices.push(v ^ (1 << int(rand, 8)), int(rand, 256));
  return pick(rand, choices);
}

/** A copy of `bytes` with `slot` set to `value` (for regression tests that need one exact damage). */
export function withSlot(bytes: Uint8Array, slot: Slot, value: number | bigint): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  if (slot.width === 8) view.setBigInt64(slot.pos, BigInt.asIntN(64, BigInt(value)), true);
  else if (slot.width === 4) view.setInt32(slot.pos, Number(BigInt.asIntN(32, BigInt(value))), true);
  else view.setUint8(slot.pos, Number(BigInt.asUintN(8, BigInt(value))));
  return out;
}

function setSlot(rand: Rand, seed: Seed): { bytes: Uint8Array; note: string } {
  const bytes = seed.bytes.slice();
  const view = new DataView(bytes.buffer);
  const slot = pick(rand, seed.slots);
  const value = slotValue(rand, slot, bytes.length);
  if (slot.pos + slot.width > bytes.length) return { bytes, note: 'no change' };
  if (slot.width === 8) view.setBigInt64(slot.pos, BigInt.asIntN(64, BigInt(value)), true);
  else if (slot.width === 4) view.setInt32(slot.pos, Number(BigInt.asIntN(32, BigInt(value))), true);
  else view.setUint8(slot.pos, Number(BigInt.asUintN(8, BigInt(value))));
  return { bytes, note: `${slot.what} ${slot.value} -> ${value}` };
}

/** Changes the data of one buffer: codes, offsets, validity bits, compressed bytes. */
function mutateBuffer(rand: Rand, seed: Seed): { bytes: Uint8Array; note: string } {
  const bytes = seed.bytes.slice();
  const [start, end] = pick(rand, seed.buffers);
  const view = new DataView(bytes.buffer);
  const n = 1 + int(rand, 4);
  for (let i = 0; i < n; i++) {
    const p = start + (int(rand, Math.max(1, end - start - 3)) & ~3);
    if (p + 4 > end) continue;
    if (rand() < 0.5) bytes[p + int(rand, 4)] ^= 1 << int(rand, 8);
    else view.setUint32(p, pick(rand, [0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 1000, int(rand, 0x100000)]), true);
  }
  return { bytes, note: `${n} change(s) in the buffer at ${start}-${end}` };
}

/** Drops, repeats or swaps whole messages (a dictionary before its batch, a batch twice). */
function moveMessages(rand: Rand, seed: Seed): { bytes: Uint8Array; note: string } {
  const parts = seed.messages.map(([a, b]) => seed.bytes.subarray(a, b));
  const i = int(rand, parts.length);
  const op = pick(rand, ['drop', 'repeat', 'swap'] as const);
  if (op === 'drop') parts.splice(i, 1);
  else if (op === 'repeat') parts.splice(i, 0, parts[i]);
  else if (i + 1 < parts.length) [parts[i], parts[i + 1]] = [parts[i + 1], parts[i]];
  const head = seed.bytes.subarray(0, seed.messages[0]?.[0] ?? 8);
  const tail = seed.bytes.subarray(seed.messages.at(-1)?.[1] ?? seed.bytes.length);
  const total = head.length + parts.reduce((s, p) => s + p.length, 0) + tail.length;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of [head, ...parts, tail]) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, note: `${op} message ${i}` };
}

function mutateTrace(rand: Rand, seeds: Seed[]): { bytes: Uint8Array; note: string; seed: string } {
  const seed = pick(rand, seeds);
  const r = rand();
  let m;
  if (r < 0.4) m = setSlot(rand, seed);
  else if (r < 0.55 && seed.buffers.length) m = mutateBuffer(rand, seed);
  else if (r < 0.65 && seed.messages.length > 1) m = moveMessages(rand, seed);
  else m = mutateBytes(rand, seed.bytes, pick(rand, seeds).bytes);
  // Sometimes two changes: a length and the data it covers.
  if (rand() < 0.15) {
    const again = setSlot(rand, { ...seed, bytes: m.bytes });
    m = { bytes: again.bytes, note: `${m.note}; ${again.note}` };
  }
  return { ...m, seed: seed.name };
}

/** Seeds written by this tsfalco (see prepare) have this in their path. */
const ctxSeedMark = 'seeds-arrow/';

type Verdict = 'ok' | 'incomplete' | 'damaged';

function verdict(r: RunOutcome): Verdict {
  if (/incomplete trace/.test(r.stderr)) return 'incomplete';
  return r.exitCode === 0 ? 'ok' : 'damaged';
}

export const arrowTarget: FuzzTarget = {
  name: 'arrow',
  description: 'damaged .arrow traces × trace info (tables or --json) and replay; both must agree on damaged/incomplete/ok',
  prepare(ctx) {
    // The fixtures written again by this tsfalco's writer (what a trace written today holds:
    // the frame checksums), one of them uncompressed, and one fixture as it is in the repository.
    const made = [
      ['demo.arrow', 'lz4'],
      ['demo-synthetic.arrow', 'lz4'],
      ['demo.arrow', 'none'],
    ].map(([fixture, compression]) => {
      const out = join(ctx.scratch, `${compression}-${fixture}`);
      const r = ctx.tsfalco(['convert', '--compression', compression, join(ctx.root, 'fixtures', fixture), out]);
      if (r.status !== 0) throw new Error(`could not make the seed ${out}: ${r.stderr}`);
      return out;
    });
    return [...made, join(ctx.root, 'fixtures/demo-synthetic.arrow')].map((f) => walk(f, new Uint8Array(readFileSync(f))));
  },
  generate(rand, seeds): FuzzCase {
    const m = mutateTrace(rand, seeds as Seed[]);
    const info = rand() < 0.5 ? ['trace', 'info', '@trace.arrow'] : ['trace', 'info', '--json', '@trace.arrow'];
    return {
      files: { 'trace.arrow': m.bytes },
      runs: [info, ['replay', '--no-summary', '@trace.arrow']],
      mustName: ['trace.arrow'],
      note: `${m.seed.split('/').pop()}: ${m.note}`,
      // The repository's fixture was written before frames had checksums: replay, which decodes
      // only the columns its rules read, can miss damage inside a compressed buffer of another.
      facts: { checksums: m.seed.includes(ctxSeedMark) },
    };
  },
  agree(results, c) {
    if (!c.facts?.checksums) return null;
    const [info, replay] = results.map(verdict);
    return info === replay ? null : `trace info says ${info}, replay says ${replay}`;
  },
};
