import type { Data, RecordBatch, Vector } from 'apache-arrow';
import { COLUMNS, type ColumnKind } from './columns.js';
import type { TraceEvent } from './event.js';

/**
 * Rows of a record batch as TraceEvent objects: the slow, convenient path for tests, exports and
 * small tools. The engine reads column buffers directly instead.
 */

type Decode = (data: Data, row: number) => unknown;

const utf8 = new TextDecoder();

function utf8At(data: Data, i: number): string {
  const offsets = data.valueOffsets as Int32Array;
  return utf8.decode((data.values as Uint8Array).subarray(offsets[i], offsets[i + 1]));
}

function decoder(kind: ColumnKind): Decode {
  switch (kind) {
    case 'timestamp':
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32':
    case 'int16':
    case 'uint16':
    case 'uint8':
      return (data, row) => (data.values as { [i: number]: number | bigint })[row];
    case 'bool':
      return (data, row) => ((data.values as Uint8Array)[row >> 3] & (1 << (row & 7))) !== 0;
    case 'string':
      return (data, row) => (data.dictionary as Vector).get((data.values as Int32Array)[row]);
    case 'binary': {
      return (data, row) => {
        const offsets = data.valueOffsets as Int32Array;
        return (data.values as Uint8Array).slice(offsets[row], offsets[row + 1]);
      };
    }
    case 'strings':
      return (data, row) => {
        const offsets = data.valueOffsets as Int32Array;
        const child = data.children[0];
        const out: string[] = [];
        for (let i = offsets[row]; i < offsets[row + 1]; i++) out.push(utf8At(child, i));
        return out;
      };
    case 'map':
      return (data, row) => {
        const offsets = data.valueOffsets as Int32Array;
        const [keys, values] = data.children[0].children;
        const out: Record<string, string> = {};
        for (let i = offsets[row]; i < offsets[row + 1]; i++) out[utf8At(keys, i)] = utf8At(values, i);
        return out;
      };
  }
}

const DECODERS = COLUMNS.map((col) => ({ name: col.name, decode: decoder(col.kind) }));

function isValid(data: Data, row: number): boolean {
  if (data.nullCount === 0) return true;
  const bitmap = data.nullBitmap;
  return bitmap !== undefined && bitmap.length > 0 && (bitmap[row >> 3] & (1 << (row & 7))) !== 0;
}

/** Yields each row of the batch with only its non-null columns set. */
export function* batchEvents(batch: RecordBatch): Generator<TraceEvent> {
  // A column of a later minor version than the trace's (`source` in a 1.0 trace) is absent: null.
  const columns = DECODERS.filter(({ name }) => batch.getChild(name) !== null).map(({ name, decode }) => ({
    name,
    decode,
    data: (batch.getChild(name) as Vector).data[0],
  }));
  for (let row = 0; row < batch.numRows; row++) {
    const event: Record<string, unknown> = {};
    for (const { name, decode, data } of columns) {
      if (isValid(data, row)) event[name] = decode(data, row);
    }
    yield event as TraceEvent;
  }
}
