import { closeSync, fstatSync, readSync } from 'node:fs';
import { InputFileError, openRegular } from '../util/input-file.js';
import { Message, type RecordBatch, RecordBatchReader, type Schema } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { UserError } from '../util/errors.js';
import { ColumnarDecoder, type LazyBatch } from './columnar.js';
import './compression.js';
import { hasFooter, MessageHeader, type ScanEnd, type ScannedMessage, scanMessages, streamStart } from './ipc-scan.js';
import { FORMAT_VERSION, parseFormatVersion, parseTraceMetadata, schemaMismatch, type TraceMetadata } from './schema.js';

/**
 * Opens a trace and iterates its record batches lazily, one message at a time, whether or not
 * its writer finished. Bad files fail with a UserError that names the file and the byte offset.
 */

export interface TraceEnding {
  /** True when the file has its footer: the writer closed it. */
  complete: boolean;
  /** Record batches read. */
  batches: number;
  /** For an incomplete file: the byte offset where readable data ends, and why. */
  stoppedAt?: number;
  detail?: string;
}

export interface TraceFile {
  readonly path: string;
  readonly size: number;
  readonly format: 'file' | 'stream';
  readonly schema: Schema;
  readonly metadata: TraceMetadata;
  /** Whether the file ends with a valid Arrow footer (a closed writer). */
  readonly hasFooter: boolean;
  /** The record batches, lazily. Can be called once (this or `lazyBatches`). */
  batches(): Generator<RecordBatch>;
  /**
   * The record batches with columns decoded on first use (see columnar.ts), or null when the
   * schema has a column type that decoder does not handle (then use `batches()`). Can be called
   * once (this or `batches`).
   */
  lazyBatches(): Generator<LazyBatch> | null;
  /** Bytes of the file read so far (for progress reports). */
  position(): number;
  /** After `batches()` is exhausted: how the data ended. */
  ending(): TraceEnding;
  close(): void;
}

const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function describeEnd(end: ScanEnd | null): string {
  if (!end) return 'reading stopped early';
  switch (end.kind) {
    case 'eos':
      return 'end of stream';
    case 'eof':
      return 'the file ends after a complete batch, without the Arrow footer (the writer did not finish)';
    case 'truncated':
    case 'corrupt':
      return end.detail;
  }
}

export function openTrace(path: string): TraceFile {
  let fd: number;
  try {
    fd = openRegular(path).fd;
  } catch (err) {
    if (err instanceof InputFileError) throw new UserError(`${path}: ${err.reason === 'no such file or directory' ? 'no such file' : err.reason}`);
    throw err;
  }
  try {
    return openTraceFd(path, fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function openTraceFd(path: string, fd: number): TraceFile {
  const stat = fstatSync(fd);
  if (stat.isDirectory()) throw new UserError(`${path}: is a directory, not a trace file`);
  const size = stat.size;
  if (size === 0) throw new UserError(`${path}: empty file, not an Arrow trace`);
  const head = new Uint8Array(Math.min(8, size));
  readSync(fd, head, 0, head.length, 0);
  const start = streamStart(head);
  if (!start) {
    const scapHint = head.length >= 4 && new DataView(head.buffer).getUint32(0, true) === 0x0a0d0d0a ? ' (it looks like a .scap capture)' : '';
    throw new UserError(`${path}: not an Arrow file: no ARROW1 magic at byte 0${scapHint}`);
  }
  const footer = start.format === 'file' && hasFooter(fd, size);
  const scan = scanMessages(fd, start.start, size);
  const first = scan.next();
  if (!first) {
    const end = scan.end;
    const where = end ? end.offset : start.start;
    throw new UserError(`${path}: no Arrow schema at byte ${where}: ${end?.kind === 'eof' ? 'the file holds no data after the magic (the writer stopped before writing anything)' : describeEnd(end)}`);
  }
  // Files from our writer and from pyarrow start with the schema message; apache-arrow's own
  // file writer puts the schema only in the footer, so fall back to that.
  let schemaMessage: ScannedMessage | null = first.headerType === MessageHeader.Schema ? first : null;
  let schema: Schema;
  try {
    if (schemaMessage) schema = schemaMessage.message.header() as Schema;
    else if (footer) schema = readFooterSchema(fd, size);
    else throw new UserError(`${path}: byte ${first.offset}: expected the Arrow schema, found a ${MessageHeader[first.headerType]} message`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    // apache-arrow's words for a damaged schema ("Unrecognized type: undefined", a TypeError)
    // say nothing to the user: the place is what helps.
    void err;
    throw new UserError(`${path}: unreadable Arrow schema at byte ${schemaMessage?.offset ?? size}: its field definitions are damaged`);
  }
  const metadata = parseTraceMetadata(schema.metadata);
  if (!metadata) {
    const where = schemaMessage ? `the schema at byte ${schemaMessage.offset}` : 'the schema in its footer';
    throw new UserError(`${path}: an Arrow file, but not a tsfalco trace (${where} has no tsfalco.format_version metadata)`);
  }
  const version = parseFormatVersion(metadata.formatVersion);
  if (!version) {
    const where = schemaMessage ? `the schema at byte ${schemaMessage.offset}` : 'the schema in its footer';
    throw new UserError(`${path}: unreadable trace format version "${metadata.formatVersion}" (in ${where})`);
  }
  if (version.major > FORMAT_VERSION.major) {
    throw new UserError(
      `${path}: trace format version ${metadata.formatVersion} is newer than this tsfalco supports (${FORMAT_VERSION.major}.x); upgrade tsfalco to read it`,
    );
  }
  if (version.major < FORMAT_VERSION.major) {
    throw new UserError(`${path}: trace format version ${metadata.formatVersion} is older than this tsfalco supports (${FORMAT_VERSION.major}.x)`);
  }

  const mismatch = schemaMismatch(schema);
  if (mismatch) throw new UserError(`${path}: damaged trace schema (at byte ${schemaMessage?.offset ?? 'the footer'}): ${mismatch}`);

  const batchOffsets: number[] = [];
  let started = false;
  let closed = false;
  let batchesRead = 0;

  let current: ScannedMessage = first;

  /**
   * The messages for apache-arrow's reader, each first checked in full by our own decoder (its
   * structure checks, then every column decoded): the verification `lazyBatches` does on
   * demand, done for all columns, so that this path never hands apache-arrow (which trusts
   * lengths and codes) a damaged message, and calls damaged what replay calls damaged.
   */
  function* chunks(): Generator<Uint8Array> {
    yield schemaMessage ? schemaMessage.bytes : encodeMessage(Message.from(schema));
    const verifier = ColumnarDecoder.for(schema);
    for (let m = schemaMessage ? scan.next() : first; m; m = scan.next()) {
      current = m;
      if (m.headerType === MessageHeader.RecordBatch) batchOffsets.push(m.offset);
      else if (m.headerType !== MessageHeader.DictionaryBatch) {
        scan.end = { kind: 'corrupt', offset: m.offset, detail: `unexpected ${MessageHeader[m.headerType]} message` };
        break;
      }
      if (verifier) verifyMessage(verifier, m);
      yield m.bytes;
    }
    yield EOS;
  }

  function verifyMessage(verifier: ColumnarDecoder, m: ScannedMessage): void {
    const body = m.bytes.subarray(m.metadataLength);
    const what = m.headerType === MessageHeader.DictionaryBatch ? 'dictionary batch' : `record batch ${batchesRead}`;
    try {
      if (m.headerType === MessageHeader.DictionaryBatch) verifier.dictionaryBatch(m.message, body);
      else {
        const batch = verifier.recordBatch(m.message, body, (err) => {
          throw err;
        });
        for (const column of batch.columns) void column.children;
        batch.release();
      }
    } catch (err) {
      throw new UserError(`${path}: corrupt ${what} at byte ${m.offset}: ${(err as Error).message}`);
    }
  }

  function* lazy(decoder: ColumnarDecoder): Generator<LazyBatch> {
    for (let m = schemaMessage ? scan.next() : first; m; m = scan.next()) {
      current = m;
      const at = m;
      const body = m.bytes.subarray(m.metadataLength);
      if (m.headerType === MessageHeader.DictionaryBatch) {
        try {
          decoder.dictionaryBatch(m.message, body);
        } catch (err) {
          throw new UserError(`${path}: corrupt dictionary batch at byte ${at.offset}: ${(err as Error).message}`);
        }
      } else if (m.headerType === MessageHeader.RecordBatch) {
        batchOffsets.push(m.offset);
        const index = batchesRead;
        const fail = (err: unknown): never => {
          throw new UserError(`${path}: corrupt record batch ${index} at byte ${at.offset}: ${(err as Error).message}`);
        };
        let batch: LazyBatch;
        try {
          batch = decoder.recordBatch(m.message, body, fail);
        } catch (err) {
          fail(err);
        }
        batchesRead++;
        yield batch!;
      } else {
        scan.end = { kind: 'corrupt', offset: m.offset, detail: `unexpected ${MessageHeader[m.headerType]} message` };
        break;
      }
    }
    const end = scan.end;
    if (end?.kind === 'corrupt') {
      throw new UserError(`${path}: corrupt data at byte ${end.offset} (after batch ${batchesRead}): ${end.detail}`);
    }
  }

  const file: TraceFile = {
    path,
    size,
    format: start.format,
    schema,
    metadata,
    hasFooter: footer,
    *batches() {
      if (started) throw new Error('batches() can be called once per open trace');
      started = true;
      const reader = RecordBatchReader.from(chunks());
      const iterator = reader[Symbol.iterator]();
      for (;;) {
        let step: IteratorResult<RecordBatch>;
        try {
          step = iterator.next();
        } catch (err) {
          if (err instanceof UserError) throw err;
          const what = current.headerType === MessageHeader.DictionaryBatch ? 'dictionary batch' : `record batch ${batchesRead}`;
          throw new UserError(`${path}: corrupt ${what} at byte ${current.offset}: ${(err as Error).message}`);
        }
        if (step.done) break;
        // apache-arrow yields an empty placeholder batch for a stream that holds only a schema.
        if (step.value.numRows === 0 && batchOffsets.length <= batchesRead) continue;
        batchesRead++;
        yield step.value;
      }
      const end = scan.end;
      if (end?.kind === 'corrupt') {
        throw new UserError(`${path}: corrupt data at byte ${end.offset} (after batch ${batchesRead}): ${end.detail}`);
      }
    },
    lazyBatches() {
      const decoder = ColumnarDecoder.for(schema);
      if (!decoder) return null;
      if (started) throw new Error('batches() can be called once per open trace');
      started = true;
      return lazy(decoder);
    },
    position() {
      return current.offset + current.bytes.length;
    },
    ending() {
      const end = scan.end;
      const complete = end?.kind === 'eos' && (footer || file.format === 'stream');
      if (complete) return { complete: true, batches: batchesRead };
      return {
        complete: false,
        batches: batchesRead,
        stoppedAt: end?.offset ?? size,
        detail: end?.kind === 'eos' ? 'the stream ended but the Arrow footer is missing' : describeEnd(end),
      };
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
  return file;
}

function readFooterSchema(fd: number, size: number): Schema {
  const tail = new Uint8Array(4);
  readSync(fd, tail, 0, 4, size - 10);
  const length = new DataView(tail.buffer).getInt32(0, true);
  const bytes = new Uint8Array(length);
  readSync(fd, bytes, 0, length, size - 10 - length);
  return Footer.decode(bytes).schema;
}

/** A message framed as in a stream: marker, padded metadata length, metadata, (no body). */
function encodeMessage(message: Message): Uint8Array {
  const metadata = Message.encode(message);
  const padded = (metadata.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, padded, true);
  out.set(metadata, 8);
  return out;
}

/** Message for an incomplete trace, for commands that report it. */
export function incompleteMessage(path: string, ending: TraceEnding): string {
  return `${path}: incomplete trace: ${ending.batches} complete batch(es) read; data ends at byte ${ending.stoppedAt}: ${ending.detail}. Run "tsfalco trace repair ${path}" to finish it.`;
}
