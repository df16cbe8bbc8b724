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
  readonly detail: string;
  readonly offset: number;

  constructor(detail: string, offset: number) {
    // Never shown with a stack (it becomes a UserError), and fuzzing makes thousands of them.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail);
    Error.stackTraceLimit = limit;
    this.name = 'ScapFormatError';
    this.detail = detail;
    this.offset = offset;
  }
}

const FILE_CHUNK = 64 << 10;
const EMPTY = new Uint8Array(0);

export class ScapInput {
  /** The window: valid bytes are buf[start, end). */
  buf: Uint8Array = EMPTY;
  view: DataView = new DataView(EMPTY.buffer);
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

  /** Reads the file at `path`, or `bytes` (the whole file in memory; `path` then only names it). */
  constructor(
    readonly path: string,
    private readonly bytes: Uint8Array | null = null,
  ) {
    this.fd = bytes ? -1 : openSync(path, 'r');
    try {
      this.size = bytes ? bytes.length : fstatSync(this.fd).size;
      const head = new Uint8Array(2);
      const n = this.readAt(head, 0, 2, 0);
      this.gzip = n === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } catch (err) {
      if (this.fd >= 0) closeSync(this.fd);
      throw err;
    }
    if (bytes && !this.gzip) {
      // An uncompressed capture in memory is its own window: nothing to copy.
      this.buf = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.end = bytes.length;
      this.fileOffset = bytes.length;
      this.fileDone = true;
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

  private readAt(into: Uint8Array, at: number, len: number, pos: number): number {
    if (this.bytes === null) return readSync(this.fd, into, at, len, pos);
    const n = Math.max(0, Math.min(len, this.bytes.length - pos));
    into.set(this.bytes.subarray(pos, pos + n), at);
    return n;
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
    if (this.size < 18 || this.readAt(tail, 0, 8, this.size - 8) !== 8) return 'the gzip data is too short';
    const dv = new DataView(tail.buffer);
    if (dv.getUint32(0, true) !== this.crc >>> 0 || dv.getUint32(4, true) !== this.produced % 2 ** 32) {
      return `the gzip checksum does not match the ${this.produced} decompressed bytes: the data is damaged somewhere`;
    }
    return null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
  }

  private append(chunk: Uint8Array, need: number): void {
    const have = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      // Compact, and grow when even a compacted window is too small.
      const size = Math.max(have + chunk.length, need);
      let target = this.buf;
      if (size > this.buf.length) {
        // Doubling for a window that creeps up; exactly the size for one big block (a 64 MiB
        // and 12-byte block must not take 128 MiB).
        target = new Uint8Array(Math.max(Math.min(this.buf.length * 2, 1 << 30), 64 << 10, size));
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
      const chunk = (this.readBuf ??= new Uint8Array(Math.min(FILE_CHUNK * 4, Math.max(this.size, 16))));
      const n = this.readAt(chunk, 0, chunk.length, this.fileOffset);
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
      const n = this.readAt(chunk, 0, chunk.length, this.fileOffset);
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
