import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compress as lz4jsCompress } from 'lz4js';
import { describe, expect, it } from 'vitest';
import { decodeLz4Frame, decodeLz4FrameJs, lz4UsesWasm, verifyLz4Frame, withFrameChecksums } from '../../src/trace/lz4-frame.js';
import { xxh32 } from '../../src/trace/xxh32.js';

/** Inputs shaped like trace columns and unlike them: runs, short periods, noise, text, sizes around block edges. */
function inputs(): Uint8Array[] {
  let seed = 1;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
  const out: Uint8Array[] = [new Uint8Array(0), new Uint8Array([42])];
  for (const size of [3, 15, 16, 17, 255, 256, 4096, 65535, 65536, 65537, 300_000]) {
    out.push(new Uint8Array(size)); // zeros: a null column
    out.push(Uint8Array.from({ length: size }, (_, i) => i % 7)); // short period: overlapping matches
    out.push(Uint8Array.from({ length: size }, () => Math.floor(rand() * 256))); // noise: literals only
    out.push(Uint8Array.from({ length: size }, (_, i) => (rand() < 0.05 ? Math.floor(rand() * 256) : i & 0xf0))); // mostly runs
    const text = new TextEncoder().encode('/usr/bin/python3 /etc/shadow 10.0.0.5:443 '.repeat(Math.ceil(size / 40)).slice(0, size));
    out.push(text);
  }
  // A typical Int64 column: small numbers, 8 bytes each, with repeats.
  const ints = new BigInt64Array(20_000);
  for (let i = 0; i < ints.length; i++) ints[i] = BigInt(Math.floor(rand() * 50));
  out.push(new Uint8Array(ints.buffer));
  return out;
}

describe.each([
  ['WebAssembly', decodeLz4Frame],
  ['JavaScript', decodeLz4FrameJs],
])('LZ4 frame decoder (%s)', (_name, decodeLz4Frame) => {
  it('decodes what lz4-napi (the writer) and lz4js encode, byte for byte', () => {
    for (const input of inputs()) {
      expect(Buffer.from(decodeLz4Frame(compressFrameSync(Buffer.from(input)))).equals(Buffer.from(input))).toBe(true);
      expect(Buffer.from(decodeLz4Frame(lz4jsCompress(input))).equals(Buffer.from(input))).toBe(true);
    }
  });

  it('survives random damage: an error or some output, never a hang or a crash', () => {
    let seed = 3;
    const rand = (m: number) => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) % m);
    const text = new TextEncoder().encode('/usr/lib/x86_64-linux-gnu/libc.so.6 openat 1795230847000000000 '.repeat(400));
    const frame = compressFrameSync(Buffer.from(text));
    for (let k = 0; k < 300; k++) {
      const bad = Buffer.from(frame);
      for (let j = 0; j < 3; j++) bad[11 + rand(bad.length - 11)] ^= 1 + rand(255);
      try {
        decodeLz4Frame(bad);
      } catch (e) {
        expect((e as Error).message).toMatch(/LZ4/);
      }
    }
  });

  it('rejects damaged frames with an error instead of garbage or a hang', () => {
    const frame = compressFrameSync(Buffer.from(new TextEncoder().encode('abcdefgh'.repeat(1000))));
    expect(() => decodeLz4Frame(frame.subarray(0, frame.length - 6))).toThrow(/LZ4/);
    expect(() => decodeLz4Frame(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/bad magic/);
    const bad = Buffer.from(frame);
    bad[12] ^= 0xff; // inside the first block
    let outcome = 'decoded';
    try {
      decodeLz4Frame(bad);
    } catch (e) {
      outcome = (e as Error).message;
    }
    expect(outcome).toMatch(/decoded|LZ4|offset|bounds/);
  });
});

it('uses the WebAssembly decoder on Node', () => {
  expect(lz4UsesWasm).toBe(true);
});

describe('frames with content size and block checksums (what the writer stores)', () => {
  it('xxh32 gives the reference values of the xxHash spec', () => {
    const e = new TextEncoder();
    expect(xxh32(e.encode(''))).toBe(0x02cc5d05);
    expect(xxh32(e.encode('a'))).toBe(0x550d7456);
    expect(xxh32(e.encode('abc'))).toBe(0x32d153ff);
    expect(xxh32(e.encode('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });

  it('are read back byte for byte by our decoders and by lz4-napi, an independent implementation', () => {
    for (const input of inputs()) {
      const frame = withFrameChecksums(compressFrameSync(Buffer.from(input)), input.length);
      expect(frame[4] & 0x18).toBe(0x18);
      expect(verifyLz4Frame(frame, input.length)).toBeNull();
      expect(Buffer.from(decodeLz4Frame(frame)).equals(Buffer.from(input))).toBe(true);
      expect(Buffer.from(decodeLz4FrameJs(frame)).equals(Buffer.from(input))).toBe(true);
      expect(Buffer.from(decompressFrameSync(Buffer.from(frame))).equals(Buffer.from(input))).toBe(true);
    }
  });

  it('any one flipped bit of such a frame is found without decompressing it', () => {
    const input = inputs().find((b) => b.length === 4096 && b[1] !== 0)!;
    const frame = withFrameChecksums(compressFrameSync(Buffer.from(input)), input.length);
    for (let at = 0; at < frame.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = frame.slice();
        bad[at] ^= 1 << bit;
        expect(verifyLz4Frame(bad, input.length), `byte ${at} bit ${bit}`).not.toBeNull();
      }
    }
  });

  it('a frame of another size than the Arrow prefix says is refused', () => {
    const input = new Uint8Array(1000).fill(7);
    const frame = withFrameChecksums(compressFrameSync(Buffer.from(input)), input.length);
    expect(verifyLz4Frame(frame, 999)).toMatch(/content size 1000, 999 expected/);
  });
});
