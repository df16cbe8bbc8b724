import type { Rand } from './types.js';

/** Byte-level mutators every binary target shares. Each returns a new array and a note. */

export const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
export const pick = <T>(rand: Rand, items: readonly T[]): T => items[int(rand, items.length)];

/** 32-bit values that break length and offset arithmetic. */
export const INTERESTING_U32 = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export interface Mutation {
  bytes: Uint8Array;
  note: string;
}

export function flipBits(rand: Rand, input: Uint8Array, count = 1 + int(rand, 8)): Mutation {
  const bytes = input.slice();
  const at: number[] = [];
  for (let i = 0; i < count && bytes.length; i++) {
    const p = int(rand, bytes.length);
    bytes[p] ^= 1 << int(rand, 8);
    at.push(p);
  }
  return { bytes, note: `flip ${count} bit(s) at ${at.slice(0, 4).join(',')}${at.length > 4 ? ',…' : ''}` };
}

export function setU32(rand: Rand, input: Uint8Array, at = int(rand, Math.max(1, input.length - 3)) & ~3, value = pick(rand, INTERESTING_U32)): Mutation {
  const bytes = input.slice();
  if (at + 4 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value >>> 0, true);
  return { bytes, note: `u32 ${value} at ${at}` };
}

export function truncate(rand: Rand, input: Uint8Array): Mutation {
  const n = int(rand, input.length);
  return { bytes: input.slice(0, n), note: `truncate to ${n}` };
}

export function deleteRange(rand: Rand, input: Uint8Array): Mutation {
  const a = int(rand, input.length);
  const n = 1 + int(rand, Math.min(256, input.length - a));
  const bytes = new Uint8Array(input.length - n);
  bytes.set(input.subarray(0, a));
  bytes.set(input.subarray(a + n), a);
  return { bytes, note: `delete ${n} at ${a}` };
}

export function insertBytes(rand: Rand, input: Uint8Array): Mutation {
  const a = int(rand, input.length + 1);
  const n = 1 + int(rand, 64);
  const ins = new Uint8Array(n).map(() => int(rand, 256));
  const bytes = new Uint8Array(input.length + n);
  bytes.set(input.subarray(0, a));
  bytes.set(ins, a);
  bytes.set(input.subarray(a), a + n);
  return { bytes, note: `insert ${n} random at ${a}` };
}

/** Copies a range over another place of the same file (a message or block where another should be). */
export function copyRange(rand: Rand, input: Uint8Array): Mutation {
  const bytes = input.slice();
  const n = 1 + int(rand, Math.min(4096, input.length));
  const from = int(rand, input.length - n + 1);
  const to = int(rand, input.length - n + 1);
  bytes.copyWithin(to, from, from + n);
  return { bytes, note: `copy ${n} from ${from} to ${to}` };
}

/** The start of one input and the rest of another (or of itself, shifted). */
export function splice(rand: Rand, a: Uint8Array, b: Uint8Array): Mutation {
  const cutA = int(rand, a.length);
  const cutB = int(rand, b.length);
  const bytes = new Uint8Array(cutA + b.length - cutB);
  bytes.set(a.subarray(0, cutA));
  bytes.set(b.subarray(cutB), cutA);
  return { bytes, note: `splice ${cutA} + other from ${cutB}` };
}

/** One random generic mutation, sometimes two stacked. */
export function mutateBytes(rand: Rand, input: Uint8Array, other: Uint8Array = input): Mutation {
  const ops = [flipBits, flipBits, flipBits, setU32, setU32, truncate, deleteRange, insertBytes, copyRange];
  let m = rand() < 0.05 ? splice(rand, input, other) : pick(rand, ops)(rand, input);
  if (rand() < 0.25) {
    const again = pick(rand, ops)(rand, m.bytes);
    m = { bytes: again.bytes, note: `${m.note}; ${again.note}` };
  }
  return m;
}
