import {
  type Data,
  type DataType,
  type Field,
  makeData,
  RecordBatch,
  type Schema,
  Struct,
  type TypeMap,
  Utf8,
  Vector,
} from 'apache-arrow';
import { COLUMNS, type ColumnKind } from './columns.js';
import type { TraceEvent } from './event.js';

/**
 * Turns events into Arrow record batches without apache-arrow's (slow, allocation-heavy)
 * builders: every column is a preallocated typed array plus a validity bitmap, reused from one
 * batch to the next. Absent values cost nothing: bitmaps start all-null and a value sets its bit.
 *
 * String columns share one dictionary per column for the whole file: a batch references the
 * entries of all batches before it and only its new strings are written, as a delta dictionary
 * batch. That keeps every repeated path, comm and event type to one copy per file, and keeps
 * every complete batch decodable when the writer dies (its deltas precede it in the file).
 */

interface Accumulator {
  /** Stores a non-null value at `row` and marks it valid. */
  set(row: number, value: unknown): void;
  /** The column's data for rows [0, length), then forgets them. */
  finish(length: number): Data;
}

const encoder = new TextEncoder();

class Validity {
  bits: Uint8Array;
  count = 0;

  constructor(capacity: number) {
    this.bits = new Uint8Array((capacity + 7) >> 3);
  }

  mark(row: number): void {
    this.bits[row >> 3] |= 1 << (row & 7);
    this.count++;
  }

  /** Bitmap and null count for `length` rows, then resets. */
  take(length: number): { nullBitmap: Uint8Array; nullCount: number } {
    const nullCount = length - this.count;
    const nullBitmap = nullCount === 0 ? new Uint8Array(0) : this.bits.slice(0, (length + 7) >> 3);
    this.bits.fill(0);
    this.count = 0;
    return { nullBitmap, nullCount };
  }
}

/** A growable byte buffer for the UTF-8 / binary values of one batch. */
class Bytes {
  buf = new Uint8Array(1 << 16);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  pushString(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    this.reserve(text.length * 3);
    this.length += encoder.encodeInto(text, this.buf.subarray(this.length)).written;
  }

  pushBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

type NumericArray = Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

/**
 * Stores into a typed array through code generated for this one column: closures created from a
 * single source share V8's type feedback, and one `set` serving Int32Array, BigInt64Array,
 * Uint8Array… columns turns every store megamorphic (it was 30% of the writer's time).
 */
function makeSetter(big: boolean): (values: NumericArray, validity: Validity) => (row: number, value: unknown) => void {
  const convert = big ? "typeof value === 'bigint' ? value : BigInt(value)" : "typeof value === 'number' ? value : Number(value)";
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(
    'values',
    'validity',
    `return function set(row, value) { values[row] = ${convert}; validity.bits[row >> 3] |= 1 << (row & 7); validity.count++; };`,
  ) as (values: NumericArray, validity: Validity) => (row: number, value: unknown) => void;
}

function numeric(type: DataType, values: NumericArray): Accumulator {
  const validity = new Validity(values.length);
  const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
  // Null slots are zeroed so that the same events always give the same bytes.
  const zero = (big ? 0n : 0) as never;
  return {
    set: makeSetter(big)(values, validity),
    finish(length) {
      const data = values.slice(0, length);
      values.fill(zero);
      return makeData({ type: type as never, length, ...validity.take(length), data } as never);
    },
  };
}

function utf8Data(strings: readonly string[]): Data<Utf8> {
  const bytes = new Bytes();
  const valueOffsets = new Int32Array(strings.length + 1);
  for (let i = 0; i < strings.length; i++) {
    bytes.pushString(strings[i]);
    valueOffsets[i + 1] = bytes.length;
  }
  return makeData({ type: new Utf8(), length: strings.length, nullCount: 0, valueOffsets, data: bytes.take() });
}

function dictionaryColumn(type: DataType, capacity: number): Accumulator {
  const validity = new Validity(capacity);
  const indices = new Int32Array(capacity);
  const index = new Map<string, number>();
  const chunks: Data<Utf8>[] = [];
  let added: string[] = [];
  return {
    set(row, value) {
      const text = value as string;
      let i = index.get(text);
      if (i === undefined) {
        i = index.size;
        index.set(text, i);
        added.push(text);
      }
      indices[row] = i;
      validity.mark(row);
    },
    finish(length) {
      // The first chunk always exists (possibly empty) so that every batch has a dictionary.
      if (added.length > 0 || chunks.length === 0) chunks.push(utf8Data(added));
      added = [];
      const dictionary = new Vector<Utf8>([...chunks]);
      const data = indices.slice(0, length);
      indices.fill(0);
      return makeData({ type: type as never, length, ...validity.take(length), data, dictionary } as never);
    },
  };
}

function variableColumn(type: DataType, capacity: number, push: (bytes: Bytes, value: unknown) => void): Accumulator {
  const validity = new Validity(capacity);
  const valueOffsets = new Int32Array(capacity + 1);
  const bytes = new Bytes();
  let filled = 0; // rows whose end offset is set
  const fillTo = (row: number) => {
    while (filled < row) valueOffsets[++filled] = bytes.length;
  };
  return {
    set(row, value) {
      fillTo(row);
      push(bytes, value);
      valueOffsets[row + 1] = bytes.length;
      filled = row + 1;
      validity.mark(row);
    },
    finish(length) {
      fillTo(length);
      filled = 0;
      const offsets = valueOffsets.slice(0, length + 1);
      return makeData({ type: type as never, length, ...validity.take(length), valueOffsets: offsets, data: bytes.take() } as never);
    },
  };
}

/** List<Utf8> and Map<Utf8, Utf8>: offsets into a child built from all of the batch's items. */
function nestedColumn(type: DataType, capacity: number, kind: 'strings' | 'map'): Accumulator {
  const validity = new Validity(capacity);
  const valueOffsets = new Int32Array(capacity + 1);
  let keys: string[] = [];
  let values: string[] = [];
  let filled = 0;
  const fillTo = (row: number) => {
    while (filled < row) valueOffsets[++filled] = values.length;
  };
  return {
    set(row, value) {
      fillTo(row);
      if (kind === 'strings') {
        for (const item of value as readonly string[]) values.push(item);
      } else {
        for (const [k, v] of Object.entries(value as Record<string, string>)) {
          keys.push(k);
          values.push(v);
        }
      }
      valueOffsets[row + 1] = values.length;
      filled = row + 1;
      validity.mark(row);
    },
    finish(length) {
      fillTo(length);
      filled = 0;
      const offsets = valueOffsets.slice(0, length + 1);
      let child: Data;
      if (kind === 'strings') {
        child = utf8Data(values);
      } else {
        const entryType = (type as unknown as { children: Field[] }).children[0].type as Struct;
        child = makeData({
          type: entryType,
          length: values.length,
          nullCount: 0,
          children: [utf8Data(keys), utf8Data(values)],
        });
      }
      keys = [];
      values = [];
      return makeData({ type: type as never, length, ...validity.take(length), valueOffsets: offsets, child } as never);
    },
  };
}

function boolColumn(type: DataType, capacity: number): Accumulator {
  const validity = new Validity(capacity);
  const bits = new Uint8Array((capacity + 7) >> 3);
  return {
    set(row, value) {
      if (value) bits[row >> 3] |= 1 << (row & 7);
      validity.mark(row);
    },
    finish(length) {
      const data = bits.slice(0, (length + 7) >> 3);
      bits.fill(0);
      return makeData({ type: type as never, length, ...validity.take(length), data } as never);
    },
  };
}

function accumulator(kind: ColumnKind, type: DataType, capacity: number): Accumulator {
  switch (kind) {
    case 'timestamp':
    case 'int64':
      return numeric(type, new BigInt64Array(capacity));
    case 'uint64':
      return numeric(type, new BigUint64Array(capacity));
    case 'int32':
      return numeric(type, new Int32Array(capacity));
    case 'uint32':
      return numeric(type, new Uint32Array(capacity));
    case 'int16':
      return numeric(type, new Int16Array(capacity));
    case 'uint16':
      return numeric(type, new Uint16Array(capacity));
    case 'uint8':
      return numeric(type, new Uint8Array(capacity));
    case 'bool':
      return boolColumn(type, capacity);
    case 'string':
      return dictionaryColumn(type, capacity);
    case 'binary':
      return variableColumn(type, capacity, (bytes, v) => bytes.pushBytes(v as Uint8Array));
    case 'strings':
      return nestedColumn(type, capacity, 'strings');
    case 'map':
      return nestedColumn(type, capacity, 'map');
  }
}

export interface BatchBuilder {
  /** Adds one event; returns the number of rows now pending. */
  append(event: TraceEvent): number;
  readonly pending: number;
  /** The pending rows as a record batch (null when there are none). */
  take(): RecordBatch | null;
}

export function createBatchBuilder(schema: Schema, capacity: number): BatchBuilder {
  const byName: Record<string, Accumulator> = Object.create(null);
  const ordered = COLUMNS.map((col, i) => {
    const acc = accumulator(col.kind, schema.fields[i].type, capacity);
    byName[col.name] = acc;
    return acc;
  });
  let rows = 0;
  return {
    get pending() {
      return rows;
    },
    append(event) {
      if (rows >= capacity) throw new Error(`batch builder is full (${capacity} rows): take() first`);
      if (event.ts == null || event.num == null || event.type == null) {
        throw new TypeError('a trace event needs ts, num and type');
      }
      const row = rows;
      const values = event as unknown as Record<string, unknown>;
      for (const name in values) {
        const value = values[name];
        if (value === undefined || value === null) continue;
        const acc = byName[name];
        if (acc === undefined) throw new TypeError(`unknown trace column "${name}"`);
        acc.set(row, value);
      }
      return ++rows;
    },
    take() {
      if (rows === 0) return null;
      const length = rows;
      rows = 0;
      const children = ordered.map((acc) => acc.finish(length));
      const data = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
      return new RecordBatch(schema as Schema<TypeMap>, data as never);
    },
  };
}
