import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Gunzip } from 'fflate';

/**
 * The bytes of a .scap file as one forward-only window, gunzipped on the fly when the file is
 * gzip (as libscap reads it through zlib). Synchronous, because replay is a synchronous loop;
 * memory stays bounded: the window holds the block being read plus one decompressed chunk, and
 * compressed data is fed 64 KiB at a time (a deflate bomb can expand that ~1000×, not more).
 *
 * Offsets are offsets in the decompressed stream (equal to file offsets for an uncompressed file).
 */

/** Damaged input: what is wrong and the offset (in the decompressed stream) where. */
export class ScapFormatError extends Error {
  constructor(
    readonly detail: string,
    readonly offset: number,
  ) {
    super(detail);
    this.name = 'ScapFormatError';
  }
}

const FILE_CHUNK = 64 << 10;

export class ScapInput {
  /** The window: valid bytes are buf[start, end). */
  buf = new Uint8Array(1 << 20);
  view = new DataView(this.buf.buffer);
  start = 0;
  end = 0;
  /** Decompressed-stream offset of buf[0]. */
  private base = 0;
  private readonly fd: number;
  readonly size: number;
  readonly gzip: boolean;
  /** Compressed bytes read from the file so far. */
  fileOffset = 0;
  private fileDone = false;
  private gunzip: Gunzip | null = null;
  private pending: Uint8Array[] = [];
  /** Set when the gzip layer failed: reported once the complete data before it is consumed. */
  private gzipError: string | null = null;
  private crc = 0;
  private produced = 0;
  private members = 1;
  private closed = false;
  private readBuf: Uint8Array | null = null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
      const head = new Uint8Array(2);
      const n = readSync(this.fd, head, 0, 2, 0);
      this.gzip = n === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
    if (this.gzip) {
      this.gunzip = new Gunzip((chunk) => {
        this.crc = crc32(chunk, this.crc);
        this.produced += chunk.length;
        this.pending.push(chunk);
      });
      this.gunzip.onmember = () => {
        this.members++;
      };
    }
  }

  /** Decompressed-stream offset of the first unread byte. */
  get offset(): number {
    return this.base + this.start;
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Makes `n` bytes available at buf[start]; false when the stream ends before. */
  ensure(n: number): boolean {
    while (this.end - this.start < n) {
      const chunk = this.pull();
      if (chunk === null) return false;
      this.append(chunk, n);
    }
    return true;
  }

  skip(n: number): void {
    this.start += n;
  }

  /** Why the stream ended early, when the gzip layer says so (null for a clean end). */
  endProblem(): string | null {
    if (this.gzipError !== null) return this.gzipError;
    if (!this.gzip || !this.fileDone || this.members !== 1) return null;
    // fflate does not check the gzip trailer: compare its CRC-32 and size with what came out.
    const tail = new Uint8Array(8);
    if (this.size < 18 || readSync(this.fd, tail, 0, 8, this.size - 8) !== 8) return 'the gzip data is too short';
    const dv = new DataView(tail.buffer);
    if (dv.getUint32(0, true) !== this.crc >>> 0 || dv.getUint32(4, true) !== this.produced % 2 ** 32) {
      return `the gzip checksum does not match the ${this.produced} decompressed bytes: the data is damaged somewhere`;
    }
    return null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private append(chunk: Uint8Array, need: number): void {
    const have = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      // Compact, and grow when even a compacted window is too small.
      const size = Math.max(have + chunk.length, need);
      let target = this.buf;
      if (size > this.buf.length) {
        let cap = this.buf.length * 2;
        while (cap < size) cap *= 2;
        target = new Uint8Array(cap);
      }
      target.set(this.buf.subarray(this.start, this.end), 0);
      this.base += this.start;
      this.start = 0;
      this.end = have;
      if (target !== this.buf) {
        this.buf = target;
        this.view = new DataView(target.buffer);
      }
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next decompressed chunk, or null at the end of the data. */
  private pull(): Uint8Array | null {
    if (!this.gzip) {
      if (this.fileDone) return null;
      const chunk = (this.readBuf ??= new Uint8Array(FILE_CHUNK * 4));
      const n = readSync(this.fd, chunk, 0, chunk.length, this.fileOffset);
      this.fileOffset += n;
      if (n === 0) {
        this.fileDone = true;
        return null;
      }
      return n === chunk.length ? chunk : chunk.subarray(0, n);
    }
    while (this.pending.length === 0) {
      if (this.fileDone || this.gzipError !== null) return null;
      // fflate keeps references to its input between pushes: a fresh chunk each time.
      const chunk = new Uint8Array(FILE_CHUNK);
      const n = readSync(this.fd, chunk, 0, chunk.length, this.fileOffset);
      this.fileOffset += n;
      const final = this.fileOffset >= this.size || n === 0;
      if (final) this.fileDone = true;
      try {
        this.gunzip!.push(n === chunk.length ? chunk : chunk.subarray(0, n), final);
      } catch (err) {
        const why = (err as Error).message || 'invalid data';
        this.gzipError = /unexpected EOF/i.test(why)
          ? `the gzip data ends early (file cut short?) after ${this.produced} decompressed bytes`
          : `bad gzip data (${why}) near file byte ${this.fileOffset}, after ${this.produced} decompressed bytes`;
      }
    }
    return this.pending.shift()!;
  }
}
