import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { hostname, release, version as osVersion } from 'node:os';
import { AsyncByteQueue, Message, MetadataVersion, RecordBatchFileWriter, type Schema } from 'apache-arrow';
import { FileBlock, Footer } from 'apache-arrow/ipc/metadata/file';
import { UserError } from '../util/errors.js';
import { ioError } from '../util/io-errors.js';
import { TSFALCO_VERSION } from '../util/version.js';
import { BufferRegion } from 'apache-arrow/ipc/metadata/message';
import { type ColumnStores, createBatchBuilder, isSharedZeros } from './batch-builder.js';
import { arrowCompressionType, encodeLz4, type TraceCompression } from './compression.js';
import type { TraceEvent } from './event.js';
import { FORMAT_VERSION, type TraceMetadata, traceSchema } from './schema.js';

/**
 * Streams events into an Arrow IPC file. Each batch goes to the file with write(2) as soon as it
 * is complete, so a writer killed at any moment leaves a file whose complete batches all read
 * back (the footer is missing; `tsfalco trace repair` adds it). Memory is bounded by one batch
 * plus the strings of the dictionaries.
 */

export interface TraceWriterOptions {
  /** Rows per record batch (default 16384). Larger batches compress better. */
  batchRows?: number;
  compression?: TraceCompression;
  /** Replace an existing file (default: refuse). */
  overwrite?: boolean;
  /** fsync after every batch, for captures that must survive a machine crash (default false). */
  fsync?: boolean;
  /**
   * The file never grows past this many bytes (footer included): a batch that would make it do
   * so is not written, and `full` becomes true (later rows are dropped). For `capture --max-size`.
   */
  maxBytes?: number;
}

export interface TraceWriter {
  readonly path: string;
  /** Adds one event; a full batch is written out at once. */
  append(event: TraceEvent): void;
  /**
   * For producers that decode binary records (the capture): adds an empty row and returns its
   * index in `stores`, to be filled (ts, num and type at least) before the next call to any
   * method of the writer. A full batch is written out when the next row is begun, or by flush().
   */
  beginRow(): number;
  /** The column storage `beginRow` rows are written into (see ColumnStores in batch-builder.ts). */
  readonly stores: ColumnStores;
  /** Writes the pending rows as a batch now (a capture does this at least once a second). */
  flush(): void;
  /** Flushes, writes the footer and closes the file. */
  close(): void;
  readonly eventsWritten: number;
  readonly batchesWritten: number;
  readonly bytesWritten: number;
  /** A batch was left out because of `maxBytes`: the trace is as large as it may be. */
  readonly full: boolean;
}

/**
 * An apache-arrow sink that gathers the chunks of one message group (a batch with its dictionary
 * deltas: a few hundred small chunks) and hands them to the file with one write(2) when told to:
 * the writer calls `commit()` after every batch, so a complete batch is in the file at once.
 */
class FileSink extends AsyncByteQueue {
  bytes = 0;
  private staged = new Uint8Array(1 << 16);
  private used = 0;

  constructor(private readonly fd: number) {
    super();
  }

  override write(value: ArrayBufferView | ArrayBuffer | string): void {
    const chunk = typeof value === 'string' ? Buffer.from(value) : ArrayBuffer.isView(value) ? value : new Uint8Array(value);
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.used + bytes.length > this.staged.length) {
      let size = this.staged.length * 2;
      while (size < this.used + bytes.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.staged.subarray(0, this.used));
      this.staged = next;
    }
    this.staged.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Bytes gathered, not yet written. */
  get pending(): number {
    return this.used;
  }

  /** Forgets what was gathered. */
  discard(): void {
    this.used = 0;
  }

  /** Writes what was gathered. */
  commit(): void {
    let done = 0;
    while (done < this.used) done += writeSync(this.fd, this.staged, done, this.used - done);
    this.bytes += this.used;
    this.used = 0;
    if (this.staged.length > 1 << 24) this.staged = new Uint8Array(1 << 16); // after an unusually large batch
  }
}

/** LZ4 frames of all-zero buffers by length: the value buffers of columns a batch does not use. */
const zeroFrames = new Map<number, Uint8Array>();
let zeros = new Uint8Array(1 << 16);

function isAllZero(bytes: Uint8Array): boolean {
  if (zeros.length < bytes.length) zeros = new Uint8Array(Math.max(bytes.length, zeros.length * 2));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(zeros.subarray(0, bytes.length));
}

/** encodeLz4, except that a buffer of zeros is compressed once per length (the same bytes). */
function compress(raw: Uint8Array): Uint8Array {
  if (!isSharedZeros(raw) && !isAllZero(raw)) return encodeLz4(raw);
  let frame = zeroFrames.get(raw.length);
  if (!frame) {
    if (zeroFrames.size >= 1024) zeroFrames.clear();
    frame = encodeLz4(raw);
    zeroFrames.set(raw.length, frame);
  }
  return frame;
}

/**
 * apache-arrow's file writer puts the schema only in the footer. We also write it as the first
 * message after the magic, as the Arrow spec's file layout and pyarrow do, because a file whose
 * writer was killed has no footer: the leading schema is what makes it readable.
 */
class StreamingFileWriter extends RecordBatchFileWriter {
  protected override _writeSchema(schema: Schema): this {
    const self = this as unknown as {
      _writeMagic(): typeof self;
      _writePadding(n: number): typeof self;
      _writeMessage(m: Message): typeof self;
    };
    self._writeMagic()._writePadding(2)._writeMessage(Message.from(schema));
    return this;
  }

  /**
   * apache-arrow 21 writes the *compressed* length in each compressed buffer's 8-byte prefix;
   * the Arrow spec (and pyarrow, which then refuses the file) wants the uncompressed length.
   * Same layout as upstream otherwise: prefix, then the LZ4 frame, each buffer 8-byte aligned.
   */
  protected override _compressBodyBuffers(buffers: ArrayBufferView[]) {
    let offset = 0;
    const out: Uint8Array[] = [];
    const regions: BufferRegion[] = [];
    for (const buffer of buffers) {
      const raw = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      if (raw.length === 0) {
        out.push(new Uint8Array(0), new Uint8Array(0));
        regions.push(new BufferRegion(offset, 0));
        continue;
      }
      // Always the frame, even when it is larger than the raw bytes (Arrow allows -1 and the raw
      // bytes): the frame's checksums are what tells a damaged buffer (see withFrameChecksums).
      const body = compress(raw);
      const prefix = new Uint8Array(8);
      new DataView(prefix.buffer).setBigInt64(0, BigInt(raw.length), true);
      out.push(prefix, body);
      offset += ((offset + 7) & ~7) - offset;
      regions.push(new BufferRegion(offset, 8 + body.length));
      offset += 8 + body.length;
    }
    offset += ((offset + 7) & ~7) - offset;
    return { byteLength: offset, bufferRegions: regions, buffers: out };
  }
}

export type TraceMetadataInput = Partial<Omit<TraceMetadata, 'formatVersion'>> & { source: string };

/** Fills in what the writer knows itself: versions, this host, its kernel, the time. */
export function completeMetadata(input: TraceMetadataInput): TraceMetadata {
  return {
    formatVersion: `${FORMAT_VERSION.major}.${FORMAT_VERSION.minor}`,
    tsfalcoVersion: input.tsfalcoVersion ?? TSFALCO_VERSION,
    host: input.host ?? hostname(),
    kernel: input.kernel ?? `${release()} ${osVersion()}`,
    bootTimeNs: input.bootTimeNs ?? null,
    capture: input.capture ?? {},
    source: input.source,
    createdAt: input.createdAt ?? new Date().toISOString(),
  };
}

export function createTraceWriter(path: string, metadata: TraceMetadataInput, options: TraceWriterOptions = {}): TraceWriter {
  const batchRows = options.batchRows ?? 16384;
  const schema = traceSchema(completeMetadata(metadata));
  let fd: number;
  try {
    // 0600: a trace holds command lines and environments.
    fd = openSync(path, options.overwrite ? 'w' : 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UserError(`${path}: already exists (use --force to overwrite it)`);
    throw ioError(err, path, 'cannot create');
  }
  const sink = new FileSink(fd);
  const arrow = new StreamingFileWriter({ compressionType: arrowCompressionType(options.compression ?? 'lz4') });
  arrow.reset(sink, schema);
  sink.commit();
  const builder = createBatchBuilder(schema, batchRows, { recycle: true });
  let events = 0;
  let batches = 0;
  let closed = false;
  let full = false;
  // apache-arrow's file writer keeps the blocks its footer will index in these arrays.
  const blocks = arrow as unknown as { _recordBatchBlocks: FileBlock[]; _dictionaryBlocks: FileBlock[] };
  /** Bytes the end of the file takes: end-of-stream marker, footer, its length, magic (and padding). */
  const tailBytes = () => Footer.encode(new Footer(schema, MetadataVersion.V5, blocks._recordBatchBlocks, blocks._dictionaryBlocks)).byteLength + 8 + 4 + 6 + 16;

  const flush = () => {
    const batch = builder.take();
    if (!batch) return;
    if (full) {
      builder.recycle();
      return;
    }
    const records = blocks._recordBatchBlocks.length;
    const dictionaries = blocks._dictionaryBlocks.length;
    arrow.write(batch);
    if (options.maxBytes !== undefined && sink.bytes + sink.pending + tailBytes() > options.maxBytes) {
      // Not written: the footer indexes only what is in the file.
      sink.discard();
      blocks._recordBatchBlocks.length = records;
      blocks._dictionaryBlocks.length = dictionaries;
      builder.recycle();
      full = true;
      return;
    }
    sink.commit();
    builder.recycle(); // the batch is in the file: its arrays serve the next one
    batches++;
    if (options.fsync) fsyncSync(fd);
  };

  return {
    path,
    append(event) {
      if (closed) throw new Error(`${path}: writer is closed`);
      if (builder.pending >= batchRows) flush(); // a full batch left by beginRow
      if (builder.append(event) >= batchRows) flush();
      events++;
    },
    beginRow() {
      if (closed) throw new Error(`${path}: writer is closed`);
      if (builder.pending >= batchRows) flush();
      events++;
      return builder.addRow();
    },
    stores: builder.stores,
    flush,
    close() {
      if (closed) return;
      closed = true;
      flush();
      arrow.finish();
      sink.commit();
      if (options.fsync) fsyncSync(fd);
      closeSync(fd);
    },
    get eventsWritten() {
      return events;
    },
    get batchesWritten() {
      return batches;
    },
    get bytesWritten() {
      return sink.bytes;
    },
    get full() {
      return full;
    },
  };
}

