import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { hostname, release, version as osVersion } from 'node:os';
import { AsyncByteQueue, Message, RecordBatchFileWriter, type Schema } from 'apache-arrow';
import { UserError } from '../util/errors.js';
import { TSFALCO_VERSION } from '../util/version.js';
import { BufferRegion } from 'apache-arrow/ipc/metadata/message';
import { type ColumnStores, createBatchBuilder } from './batch-builder.js';
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
}

/** An apache-arrow sink that hands every chunk straight to the file, synchronously. */
class FileSink extends AsyncByteQueue {
  bytes = 0;

  constructor(private readonly fd: number) {
    super();
  }

  override write(value: ArrayBufferView | ArrayBuffer | string): void {
    const chunk = typeof value === 'string' ? Buffer.from(value) : ArrayBuffer.isView(value) ? value : new Uint8Array(value);
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.bytes += bytes.length;
  }
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
   * Same layout as upstream otherwise: prefix, then the LZ4 frame (or the raw bytes with -1
   * when compressing does not make them smaller), each buffer 8-byte aligned.
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
      const packed = encodeLz4(raw);
      const useful = packed.length < raw.length;
      const prefix = new Uint8Array(8);
      new DataView(prefix.buffer).setBigInt64(0, useful ? BigInt(raw.length) : -1n, true);
      const body = useful ? packed : raw;
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
    throw new UserError(`${path}: cannot create: ${(err as Error).message}`);
  }
  const sink = new FileSink(fd);
  const arrow = new StreamingFileWriter({ compressionType: arrowCompressionType(options.compression ?? 'lz4') });
  arrow.reset(sink, schema);
  const builder = createBatchBuilder(schema, batchRows);
  let events = 0;
  let batches = 0;
  let closed = false;

  const flush = () => {
    const batch = builder.take();
    if (!batch) return;
    arrow.write(batch);
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
  };
}

