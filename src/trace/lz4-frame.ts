/**
 * LZ4 frame decoding (the LZ4_FRAME codec of Arrow IPC bodies), in JavaScript.
 *
 * Why our own: lz4-napi's decompressFrameSync leaks its output (RSS grows by the decompressed
 * size on every call), and lz4js copies byte by byte. Trace columns are mostly long runs (null
 * columns are zeros, ids repeat), which LZ4 encodes as matches with offset 1 or short offsets;
 * here a run becomes one `fill` or a few `copyWithin` calls, so decoding costs little more than
 * the memory it writes.
 *
 * Blocks are decoded by a small WebAssembly module (lz4-block.c, built into lz4-wasm.ts by
 * scripts/build-lz4-wasm.mjs), about 2.5 times faster than JavaScript on trace columns, whose
 * timestamps and counters are mostly short literals; the JavaScript decoder below is the
 * fallback where WebAssembly is unavailable, and the reference the tests compare it with.
 *
 * Format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md and lz4_Block_format.md.
 */
import { LZ4_WASM_BASE64 } from './lz4-wasm.js';
import { xxh32 } from './xxh32.js';

const MAGIC = 0x184d2204;
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

function u32(src: Uint8Array, i: number): number {
  return (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> 0;
}

/** Decodes one LZ4 block from src[start, end) into dst at `out`; returns the new end of output. */
function decodeBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, out: number): number {
  let i = start;
  while (i < end) {
    const token = src[i++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        b = src[i++];
        literals += b;
      } while (b === 255);
    }
    if (literals > 0) {
      if (literals < 16) {
        for (let k = 0; k < literals; k++) dst[out + k] = src[i + k];
      } else {
        dst.set(src.subarray(i, i + literals), out);
      }
      i += literals;
      out += literals;
    }
    if (i >= end) break; // the last sequence has literals only
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > out) throw new Error('corrupt LZ4 block: bad match offset');
    let length = token & 15;
    if (length === 15) {
      let b: number;
      do {
        b = src[i++];
        length += b;
      } while (b === 255);
    }
    length += 4;
    const from = out - offset;
    if (length < 16) {
      // Short matches: a byte loop, which also handles overlap by construction.
      for (let k = 0; k < length; k++) dst[out + k] = dst[from + k];
    } else if (offset === 1) {
      dst.fill(dst[from], out, out + length);
    } else if (offset >= length) {
      dst.copyWithin(out, from, from + length);
    } else {
      // Overlapping match: the pattern of `offset` bytes repeats; copy it in doubling chunks.
      let copied = 0;
      while (copied < length) {
        const chunk = Math.min(offset + copied, length - copied);
        dst.copyWithin(out + copied, from, from + chunk);
        copied += chunk;
      }
    }
    out += length;
  }
  return out;
}

interface FrameLayout {
  /** Offset of the first block. */
  start: number;
  blockChecksum: boolean;
  /** Exact output size when the frame declares it, else an upper bound. */
  capacity: number;
}

function frameLayout(src: Uint8Array, expected?: number): FrameLayout {
  if (src.length < 7 || u32(src, 0) !== MAGIC) throw new Error('not an LZ4 frame (bad magic number)');
  const flg = src[4];
  const bd = src[5];
  if ((flg >> 6) !== 1) throw new Error('unsupported LZ4 frame version');
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const dictId = (flg & 0x01) !== 0;
  const blockMax = BLOCK_MAX[(bd >> 4) & 7];
  if (!blockMax) throw new Error('bad LZ4 frame block size');
  let i = 6;
  let size = -1;
  if (contentSize) {
    size = u32(src, i) + u32(src, i + 4) * 2 ** 32;
    i += 8;
  }
  if (dictId) i += 4;
  i += 1; // header checksum

  // Upper bound of the output: every block at its maximum size (or the declared content size).
  let bound = 0;
  for (let j = i; j + 4 <= src.length; ) {
    const word = u32(src, j);
    if (word === 0) break;
    const length = word & 0x7fffffff;
    bound += word & 0x80000000 ? length : blockMax;
    j += 4 + length + (blockChecksum ? 4 : 0);
  }
  if (expected !== undefined) {
    // The caller knows the output size (Arrow's length prefix): a frame that says otherwise is damaged.
    if (size >= 0 && size !== expected) throw new Error(`corrupt LZ4 frame: content size ${size}, ${expected} expected`);
    return { start: i, blockChecksum, capacity: expected };
  }
  return { start: i, blockChecksum, capacity: size >= 0 ? size : bound };
}

/** Where decoded output goes: a buffer of exactly `size` bytes (a recycled one, say). */
export type OutputAllocator = (size: number) => Uint8Array;

const newBuffer: OutputAllocator = (size) => new Uint8Array(size);

/**
 * Walks the data blocks of a frame from `start` to its end mark: `block(at, length, stored)`
 * for each (stored: kept uncompressed), skipping block checksums. A frame cut short throws.
 */
function forEachBlock(src: Uint8Array, start: number, blockChecksum: boolean, block: (at: number, length: number, stored: boolean) => void): void {
  let i = start;
  for (;;) {
    if (i + 4 > src.length) throw new Error('truncated LZ4 frame');
    const word = u32(src, i);
    i += 4;
    if (word === 0) return;
    const length = word & 0x7fffffff;
    if (i + length > src.length) throw new Error('truncated LZ4 frame');
    block(i, length, (word & 0x80000000) !== 0);
    i += length + (blockChecksum ? 4 : 0);
  }
}

/** Decodes a whole LZ4 frame (JavaScript only). */
export function decodeLz4FrameJs(src: Uint8Array, alloc: OutputAllocator = newBuffer, expected?: number): Uint8Array {
  const { start, blockChecksum, capacity } = frameLayout(src, expected);
  const dst = alloc(capacity);
  let out = 0;
  forEachBlock(src, start, blockChecksum, (at, length, stored) => {
    if (stored) {
      dst.set(src.subarray(at, at + length), out);
      out += length;
    } else {
      out = decodeBlock(src, at, at + length, dst, out);
    }
  });
  return out === dst.length ? dst : dst.subarray(0, out);
}

/** The little of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (d: { initial: number }) => WasmMemory;
  Table: new (d: { initial: number; element: string }) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

interface WasmDecoder {
  block(src: number, len: number, dst: number, out: number, cap: number): number;
  memory: WasmMemory;
  heap: Uint8Array;
}

function loadWasm(): WasmDecoder | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  try {
    const module = new api.Module(Buffer.from(LZ4_WASM_BASE64, 'base64'));
    const memory = new api.Memory({ initial: 32 });
    const table = new api.Table({ initial: 0, element: 'anyfunc' });
    const instance = new api.Instance(module, { env: { __linear_memory: memory, __indirect_function_table: table } });
    const block = instance.exports.lz4_block as WasmDecoder['block'];
    return { block, memory, heap: new Uint8Array(memory.buffer) };
  } catch {
    return null;
  }
}

const wasm = loadWasm();

/** Decodes a whole LZ4 frame: the frame's bytes are copied into the module's memory, decoded there, and the output copied out. */
function decodeLz4FrameWasm(w: WasmDecoder, src: Uint8Array, alloc: OutputAllocator, expected?: number): Uint8Array {
  const { start, blockChecksum, capacity } = frameLayout(src, expected);
  const dstAt = (src.length + 15) & ~7;
  const need = dstAt + capacity;
  if (w.heap.length < need) {
    w.memory.grow(Math.ceil((need - w.heap.length) / 65536));
    w.heap = new Uint8Array(w.memory.buffer);
  }
  const heap = w.heap;
  heap.set(src, 0);
  let out = 0;
  forEachBlock(src, start, blockChecksum, (at, length, stored) => {
    if (stored) {
      if (out + length > capacity) throw new Error('corrupt LZ4 frame: more data than announced');
      heap.copyWithin(dstAt + out, at, at + length);
      out += length;
    } else {
      const end = w.block(at, length, dstAt, out, capacity);
      if (end < 0) throw new Error('corrupt LZ4 block: bad match offset or length');
      out = end;
    }
  });
  const result = alloc(out);
  result.set(heap.subarray(dstAt, dstAt + out));
  return result;
}

/**
 * Decodes a whole LZ4 frame; `alloc` provides the output buffer (by default a new one);
 * `expected`, when the caller knows it, is the output size (no more is written).
 */
export function decodeLz4Frame(src: Uint8Array, alloc: OutputAllocator = newBuffer, expected?: number): Uint8Array {
  return wasm ? decodeLz4FrameWasm(wasm, src, alloc, expected) : decodeLz4FrameJs(src, alloc, expected);
}

/** Whether frames are decoded by the WebAssembly module (for tests and benchmarks). */
export const lz4UsesWasm = wasm !== null;

// --- checksums --------------------------------------------------------------------------------

const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;

/**
 * The same frame with its content size and a checksum after every block (FLG bits 3 and 4 of
 * the frame format): what our writer stores. With them, `verifyLz4Frame` finds any damage to a
 * compressed buffer without decompressing it, so a reader that decodes only some columns
 * (replay) still tells a damaged trace, as one that decodes all of them (trace info) does.
 */
export function withFrameChecksums(frame: Uint8Array, contentSize: number): Uint8Array {
  const { start, blockChecksum } = frameLayout(frame);
  if (blockChecksum) return frame;
  const blocks: Array<[number, number]> = [];
  let end = start;
  forEachBlock(frame, start, false, (at, length) => {
    blocks.push([at - 4, at + length]);
    end = at + length;
  });
  end += 4; // the end mark
  const trailer = frame[4] & FLG_CONTENT_CHECKSUM ? 4 : 0;
  const out = new Uint8Array(4 + 2 + 8 + 1 + (end - start) + 4 * blocks.length + trailer);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  out[4] = (frame[4] & ~FLG_DICT_ID) | FLG_BLOCK_CHECKSUM | FLG_CONTENT_SIZE;
  out[5] = frame[5];
  view.setUint32(6, contentSize >>> 0, true);
  view.setUint32(10, Math.floor(contentSize / 2 ** 32), true);
  out[14] = (xxh32(out, 4, 14) >>> 8) & 0xff;
  let o = 15;
  for (const [a, b] of blocks) {
    out.set(frame.subarray(a, b), o);
    o += b - a;
    view.setUint32(o, xxh32(frame, a + 4, b), true);
    o += 4;
  }
  view.setUint32(o, 0, true);
  o += 4;
  if (trailer) out.set(frame.subarray(end, end + 4), o);
  return out;
}

/**
 * Checks a frame without decoding it: magic, version, block size, header checksum, content size
 * against `expected`, every block inside the frame and no larger than the frame's block size,
 * the end mark, and the block checksums when the frame has them. A description of the first
 * problem, or null.
 */
export function verifyLz4Frame(src: Uint8Array, expected: number): string | null {
  if (src.length < 7 || u32(src, 0) !== MAGIC) return 'not an LZ4 frame (bad magic number)';
  const flg = src[4];
  if (flg >> 6 !== 1) return 'unsupported LZ4 frame version';
  const blockMax = BLOCK_MAX[(src[5] >> 4) & 7];
  if (!blockMax || src[5] & 0x8f) return 'bad LZ4 frame block size';
  const headerEnd = 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0);
  if (headerEnd + 1 > src.length) return 'truncated LZ4 frame header';
  if (((xxh32(src, 4, headerEnd) >>> 8) & 0xff) !== src[headerEnd]) return 'LZ4 frame header checksum mismatch';
  if (flg & FLG_CONTENT_SIZE) {
    const size = u32(src, 6) + u32(src, 10) * 2 ** 32;
    if (size !== expected) return `LZ4 frame content size ${size}, ${expected} expected`;
  }
  const checksums = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  // A one-shot compressor (ours, lz4's LZ4F_compressFrame) cuts the content into full blocks
  // and a last partial one, and stores a block as is exactly when compressing would not make it
  // smaller: so in a frame of ours (the checksummed kind) a stored block is as long as its share
  // of the content and a compressed one shorter. That covers the one bit the checksums do not:
  // the stored/compressed flag of a block's size word.
  const blocks = Math.ceil(expected / blockMax);
  let i = headerEnd + 1;
  for (let block = 0; ; block++) {
    if (i + 4 > src.length) return 'truncated LZ4 frame (no end mark)';
    const word = u32(src, i);
    i += 4;
    if (word === 0) {
      if (block < blocks) return `LZ4 frame of ${block} block(s) too short for its ${expected} bytes`;
      break;
    }
    const length = word & 0x7fffffff;
    if (length > blockMax) return `LZ4 block ${block} of ${length} bytes exceeds the frame's ${blockMax}-byte blocks`;
    if (i + length + (checksums ? 4 : 0) > src.length) return `LZ4 block ${block} runs past the end of its buffer`;
    if (checksums) {
      if (xxh32(src, i, i + length) !== u32(src, i + length)) return `LZ4 block ${block} checksum mismatch`;
      const share = block < blocks - 1 ? blockMax : expected - (blocks - 1) * blockMax;
      if (block >= blocks) return `LZ4 frame has more blocks than its ${expected} bytes need`;
      const stored = (word & 0x80000000) !== 0;
      if (stored ? length !== share : length >= share) return `LZ4 block ${block}: a ${stored ? 'stored' : 'compressed'} block of ${length} bytes for ${share} bytes of content`;
    }
    i += length + (checksums ? 4 : 0);
  }
  return null;
}
