import { closeSync, openSync, writeSync } from 'node:fs';
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** A growable little-endian byte builder. */
export class ByteBuilder {
  buf: Buffer;
  pos = 0;

  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  get bytesView(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  i32(v: number): void {
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
  }
  u64(v: bigint): void {
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }
  i64(v: bigint): void {
    this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
  }
  /** A 64-bit value from a JS number (exact below 2^53). */
  u64n(v: number): void {
    const lo = v % 0x100000000;
    const hi = Math.floor(v / 0x100000000);
    this.buf.writeUInt32LE(lo >>> 0, this.pos);
    this.buf.writeUInt32LE(hi >>> 0, this.pos + 4);
    this.pos += 8;
  }
  i64n(v: number): void {
    if (v >= 0) return this.u64n(v);
    this.buf.writeBigInt64LE(BigInt(v), this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** UTF-8 text without terminator, at most `max` bytes; returns the bytes written. */
  text(s: string, max: number): number {
    const n = this.buf.write(s, this.pos, Math.min(max, this.buf.length - this.pos), 'utf8');
    this.pos += n;
    return n;
  }
  zeros(n: number): void {
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
  /** Pads with zeros to a multiple of 4 bytes, counting from `start`. */
  pad4(start: number): void {
    const n = (4 - ((this.pos - start) & 3)) & 3;
    this.zeros(n);
  }
}

/**
 * A little-endian byte builder that flushes to a file descriptor whenever it holds more than a
 * chunk: memory stays bounded however long the output. With `gzip`, the file is one gzip member
 * whose deflate stream is built chunk by chunk (each chunk compressed on its own and ended with a
 * sync flush, the last block marked final at close), so no chunk has to wait for the next.
 */
export class ByteSink extends ByteBuilder {
  /** Bytes handed to the file so far (compressed size with gzip). */
  written = 0;
  /** Bytes produced so far, before compression. */
  produced = 0;
  private readonly fd: number;

  /** Opens `path` (0600: a capture holds command lines; `overwrite` false: fails if it exists). */
  constructor(
    path: string,
    private readonly gzip: boolean,
    overwrite: boolean,
    private readonly chunk = 4 << 20,
  ) {
    super(chunk + (1 << 17));
    this.fd = openSync(path, overwrite ? 'w' : 'wx', 0o600);
  }

  /** Makes room for `n` more bytes, flushing what is complete first. Call only between blocks. */
  override reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n + (1 << 16));
  }

  /** Flushes when more than a chunk is held; call between blocks. */
  maybeFlush(): void {
    if (this.pos >= this.chunk) this.flush();
  }

  private crc = 0;

  private put(out: Uint8Array): void {
    let off = 0;
    while (off < out.length) off += writeSync(this.fd, out, off, out.length - off);
    this.written += out.length;
  }

  flush(): void {
    if (this.pos === 0) return;
    const data = this.buf.subarray(0, this.pos);
    if (this.gzip) {
      // gzip header: magic, deflate, no flags, no time, no extra flags, OS unknown.
      if (this.produced === 0) this.put(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255));
      this.crc = crc32(data, this.crc);
      this.put(deflateRawSync(data, { level: 6, finishFlush: constants.Z_SYNC_FLUSH }));
    } else {
      this.put(data);
    }
    this.produced += this.pos;
    this.pos = 0;
  }

  close(): void {
    try {
      this.flush();
      if (this.gzip) {
        if (this.produced === 0) this.put(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255));
        const tail = Buffer.alloc(10);
        tail[0] = 0x03; // an empty final block with fixed codes
        tail[1] = 0x00;
        tail.writeUInt32LE(this.crc >>> 0, 2);
        tail.writeUInt32LE(this.produced >>> 0, 6);
        this.put(tail);
      }
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }

  private closed = false;

  /** Closes without flushing (after a failure; after a failed close() there is nothing to do). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // the error that made us abandon the file is the one to report
    }
  }
}
