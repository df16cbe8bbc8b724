import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { MetadataVersion, type Schema } from 'apache-arrow';
import { Footer, FileBlock } from 'apache-arrow/ipc/metadata/file';
import { UserError } from '../util/errors.js';
import { ARROW_MAGIC, MessageHeader, hasFooter, scanMessages } from './ipc-scan.js';

/** The IPC stream inside an Arrow file starts after the 6-byte magic and 2 bytes of padding. */
const ARROW_FILE_STREAM_START = 8;
import { openTrace } from './reader.js';

/**
 * Finishes a trace whose writer was killed: keeps every complete message where it is, cuts off
 * the partial message at the end (it holds no complete event), and appends the end-of-stream
 * marker and the Arrow footer that indexes the batches. Nothing complete is rewritten or lost.
 */

export interface RepairResult {
  path: string;
  alreadyComplete: boolean;
  batches: number;
  dictionaryBatches: number;
  /** Bytes of an incomplete trailing message that were cut off. */
  droppedBytes: number;
  size: number;
}

export function repairTrace(path: string): RepairResult {
  // openTrace validates that this is a tsfalco trace we can read, with a clear error if not.
  const trace = openTrace(path);
  const schema: Schema = trace.schema;
  const format = trace.format;
  trace.close();
  if (format !== 'file') throw new UserError(`${path}: an Arrow stream, not an Arrow file; nothing to repair`);

  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (hasFooter(fd, size)) {
      return { path, alreadyComplete: true, batches: 0, dictionaryBatches: 0, droppedBytes: 0, size };
    }
    const scan = scanMessages(fd, ARROW_FILE_STREAM_START, size);
    const records: FileBlock[] = [];
    const dictionaries: FileBlock[] = [];
    for (let m = scan.next(); m; m = scan.next()) {
      const block = new FileBlock(m.metadataLength, m.bodyLength, m.offset);
      if (m.headerType === MessageHeader.RecordBatch) records.push(block);
      else if (m.headerType === MessageHeader.DictionaryBatch) dictionaries.push(block);
    }
    const end = scan.end!;
    if (end.kind === 'corrupt') {
      throw new UserError(`${path}: corrupt data at byte ${end.offset}: ${end.detail}; refusing to repair a damaged file`);
    }
    const keep = end.offset;
    const droppedBytes = size - keep;
    ftruncateSync(fd, keep);
    const footer = Footer.encode(new Footer(schema, MetadataVersion.V5, records, dictionaries));
    const tail = Buffer.alloc(8 + footer.length + 4 + ARROW_MAGIC.length);
    tail.writeUInt32LE(0xffffffff, 0);
    tail.writeInt32LE(0, 4);
    tail.set(footer, 8);
    tail.writeInt32LE(footer.length, 8 + footer.length);
    tail.set(ARROW_MAGIC, 12 + footer.length);
    // `keep` is where the last complete message ends; whatever followed (half a batch, or an
    // end-of-stream marker and half a footer) is replaced by a complete end.
    writeSync(fd, tail, 0, tail.length, keep);
    return {
      path,
      alreadyComplete: false,
      batches: records.length,
      dictionaryBatches: dictionaries.length,
      droppedBytes: end.kind === 'eos' ? 0 : droppedBytes,
      size: fstatSync(fd).size,
    };
  } finally {
    closeSync(fd);
  }
}
