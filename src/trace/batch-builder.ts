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
 *
 * Producers that decode binary records (the capture, the .scap reader) can skip the TraceEvent
 * object and write into the column storage directly: `stores` (typed arrays, validity bits,
 * dictionary codes, map entries) and `addRow()`. Both paths give the same bytes.
 */

interface Accumulator {
  /** Stores a non-null value at `row` and marks it valid. */
  set(row: number, value: unknown): void;
  /** The column's data for rows [0, length), then forgets them. */
  finish(length: number): Data;
  /** Direct access to the storage (see ColumnStores). */
  readonly store: ColumnStore;
}

/**
 * A column's storage, for direct writes. Arrays are allocated once and reused by every batch;
 * a row's slots are zero and its validity bit clear until written. `valid` holds one bit per row
 * (row >> 3, 1 << (row & 7)): a value counts only once its bit is set.
 */
export interface ColumnStore {
  readonly valid: Uint8Array;
  /** Stores a value as `append` would (any column kind). */
  set(row: number, value: unknown): void;
}

export interface NumericStore<A extends NumericArray> extends ColumnStore {
  readonly values: A;
}

/** 64-bit columns also as 32-bit words (little-endian: low word at 2·row), to store without BigInt. */
export interface WideStore<A extends BigInt64Array | BigUint64Array> extends NumericStore<A> {
  readonly words: Uint32Array;
}

/** Dictionary<Int32, Utf8>: `codes` holds each row's index in the file-wide dictionary. */
export interface DictionaryStore extends ColumnStore {
  readonly codes: Int32Array;
  /** The dictionary index of `text`, added to the dictionary if new; stable for the whole file. */
  intern(text: string): number;
}

/** Binary: a value copied from a range of bytes, no copy of its own first. */
export interface BinaryStore extends ColumnStore {
  /** Stores buf[off, off + len) at `row`, which must come after every row written so far. */
  setBytes(row: number, buf: Uint8Array, off: number, len: number): void;
}

/**
 * Map<Utf8, Utf8>, entry by entry. Entries go to the newest row written so far (`put` on an
 * older row is an error); a row's entries are keys/values[start(row), end(row)) while its
 * batch is pending, in the order they were put (what an object's key order gives `set`).
 */
export interface MapStore extends ColumnStore {
  readonly keys: readonly string[];
  readonly values: readonly string[];
  /** Sets key → value in `row`'s map: a key already there keeps its place, as in an object. */
  put(row: number, key: string, value: string): void;
  /** Index of `key` among `row`'s entries (row: a row of the pending batch), or -1. */
  find(row: number, key: string): number;
  start(row: number): number;
  end(row: number): number;
}

type StoreOfKind<K extends ColumnKind> = K extends 'timestamp' | 'int64'
  ? WideStore<BigInt64Array>
  : K extends 'uint64'
    ? WideStore<BigUint64Array>
    : K extends 'int32'
      ? NumericStore<Int32Array>
      : K extends 'uint32'
        ? NumericStore<Uint32Array>
        : K extends 'int16'
          ? NumericStore<Int16Array>
          : K extends 'uint16'
            ? NumericStore<Uint16Array>
            : K extends 'uint8'
              ? NumericStore<Uint8Array>
              : K extends 'string'
                ? DictionaryStore
                : K extends 'binary'
                  ? BinaryStore
                  : K extends 'map'
                    ? MapStore
                    : ColumnStore;

/** Every column's store, by column name. */
export type ColumnStores = { readonly [C in (typeof COLUMNS)[number] as C['name']]: StoreOfKind<C['kind']> };

const encoder = new TextEncoder();

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let b = i; b; b >>= 1) n += b & 1;
  return n;
});

type PooledArray = NumericArray | Uint8Array;

/**
 * The arrays a batch hands out (copies of the builder's, which go on to the next batch), reused
 * once the batch has been written (BatchBuilder.recycle): a capture would otherwise allocate a
 * few MB of ArrayBuffers per batch, and V8 answers that external memory with full collections.
 */
class Pool {
  private spare: PooledArray[] = [];
  private lent: PooledArray[] = [];
  /** Whether lent arrays are kept for `recycle()`; a builder whose batches are never recycled must not keep them. */
  pooled = true;

  constructor(private readonly make: () => PooledArray) {}

  /** src[0, length) copied into a pooled array. */
  copy<A extends PooledArray>(src: A, length: number): A {
    const out = (this.spare.pop() ?? this.make()) as A;
    (out as unknown as { set(a: A): void }).set(src.subarray(0, length) as A);
    if (this.pooled) this.lent.push(out);
    return out.subarray(0, length) as A;
  }

  recycle(): void {
    for (const a of this.lent) this.spare.push(a);
    this.lent.length = 0;
  }
}

/** Every pool of a builder, recycled together. */
type Pools = Pool[];

/** Validity bits; the count of valid rows is taken from the bits, so direct writers just set them. */
class Validity {
  readonly bits: Uint8Array;
  private readonly pool: Pool;

  constructor(capacity: number, pools: Pools) {
    this.bits = new Uint8Array((capacity + 7) >> 3);
    this.pool = new Pool(() => new Uint8Array(this.bits.length));
    pools.push(this.pool);
  }

  mark(row: number): void {
    this.bits[row >> 3] |= 1 << (row & 7);
  }

  /** Bitmap and null count for `length` rows, then resets. */
  take(length: number): { nullBitmap: Uint8Array; nullCount: number } {
    const bytes = (length + 7) >> 3;
    const bits = this.bits;
    let valid = 0;
    for (let i = 0; i < bytes; i++) valid += POPCOUNT[bits[i]];
    const nullCount = length - valid;
    const nullBitmap = nullCount === 0 ? new Uint8Array(0) : this.pool.copy(bits, bytes);
    bits.fill(0, 0, bytes);
    return { nullBitmap, nullCount };
  }
}

/** A growable byte buffer for the UTF-8 / binary values of one batch. */
class Bytes {
  buf: Uint8Array;
  length = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  pushString(text: string): void {
    const n = text.length;
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    this.reserve(n * 3);
    if (n <= 64) {
      // Short ASCII text (map keys, numbers, names) copied by hand: encodeInto's call costs more
      // than the copy (it was a sixth of the time of reading a .scap into batches).
      const buf = this.buf;
      const at = this.length;
      let i = 0;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
        i++;
      }
      if (i === n) {
        this.length = at + n;
        return;
      }
    }
    this.length += encoder.encodeInto(text, this.buf.subarray(this.length)).written;
  }

  pushRange(src: Uint8Array, off: number, len: number): void {
    this.reserve(len);
    this.buf.set(src.subarray(off, off + len), this.length);
    this.length += len;
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

export type NumericArray = Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

/**
 * Stores into a typed array through code generated for this one column: closures created from a
 * single source share V8's type feedback, and one `set` serving Int32Array, BigInt64Array,
 * Uint8Array… columns turns every store megamorphic (it was 30% of the writer's time).
 */
function makeSetter(big: boolean): (values: NumericArray, bits: Uint8Array) => (row: number, value: unknown) => void {
  const convert = big ? "typeof value === 'bigint' ? value : BigInt(value)" : "typeof value === 'number' ? value : Number(value)";
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(
    'values',
    'bits',
    `return function set(row, value) { values[row] = ${convert}; bits[row >> 3] |= 1 << (row & 7); };`,
  ) as (values: NumericArray, bits: Uint8Array) => (row: number, value: unknown) => void;
}

/**
 * Zeros shared by the value buffers of all-null columns (most columns of most batches): nothing
 * to copy or clear for them. Read-only by convention; `isSharedZeros` lets the writer skip them.
 */
let sharedZeros = new ArrayBuffer(1 << 17);

function zerosLike<A extends NumericArray | Int32Array>(values: A, length: number): A {
  const bytes = length * values.BYTES_PER_ELEMENT;
  if (sharedZeros.byteLength < bytes) sharedZeros = new ArrayBuffer(bytes);
  const Ctor = values.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => A;
  return new Ctor(sharedZeros, 0, length);
}

/** Whether a buffer is (part of) the shared zeros of all-null columns. */
export function isSharedZeros(view: ArrayBufferView): boolean {
  return view.buffer === sharedZeros;
}

function numeric(type: DataType, values: NumericArray, pools: Pools): Accumulator {
  const validity = new Validity(values.length, pools);
  const pool = new Pool(() => new (values.constructor as new (n: number) => NumericArray)(values.length));
  pools.push(pool);
  const big = values instanceof BigInt64Array || values instanceof BigUint64Array;
  // Null slots are zeroed so that the same events always give the same bytes.
  const zero = (big ? 0n : 0) as never;
  const set = makeSetter(big)(values, validity.bits);
  const store = big
    ? { valid: validity.bits, set, values, words: new Uint32Array(values.buffer, values.byteOffset, values.length * 2) }
    : { valid: validity.bits, set, values };
  return {
    set,
    store,
    finish(length) {
      const valid = validity.take(length);
      if (valid.nullCount === length) return makeData({ type: type as never, length, ...valid, data: zerosLike(values, length) } as never);
      const data = pool.copy(values, length);
      values.fill(zero, 0, length);
      return makeData({ type: type as never, length, ...valid, data } as never);
    },
  };
}

function utf8Data(strings: readonly string[]): Data<Utf8> {
  // Sized for the strings (ASCII without growing: pushString reserves 3 bytes per character),
  // not a fixed 64 KiB: most calls get a few new dictionary entries or one batch's map items.
  let total = 0;
  let longest = 0;
  for (let i = 0; i < strings.length; i++) {
    const n = strings[i].length;
    total += n;
    if (n > longest) longest = n;
  }
  const bytes = new Bytes(total + 2 * longest + 16);
  const valueOffsets = new Int32Array(strings.length + 1);
  for (let i = 0; i < strings.length; i++) {
    bytes.pushString(strings[i]);
    valueOffsets[i + 1] = bytes.length;
  }
  return makeData({ type: new Utf8(), length: strings.length, nullCount: 0, valueOffsets, data: bytes.take() });
}

function dictionaryColumn(type: DataType, capacity: number, pools: Pools): Accumulator {
  const validity = new Validity(capacity, pools);
  const indices = new Int32Array(capacity);
  const pool = new Pool(() => new Int32Array(capacity));
  pools.push(pool);
  const index = new Map<string, number>();
  const chunks: Data<Utf8>[] = [];
  let added: string[] = [];
  const intern = (text: string): number => {
    let i = index.get(text);
    if (i === undefined) {
      i = index.size;
      index.set(text, i);
      added.push(text);
    }
    return i;
  };
  const set = (row: number, value: unknown) => {
    indices[row] = intern(value as string);
    validity.mark(row);
  };
  return {
    set,
    store: { valid: validity.bits, set, codes: indices, intern } satisfies DictionaryStore as ColumnStore,
    finish(length) {
      // The first chunk always exists (possibly empty) so that every batch has a dictionary.
      if (added.length > 0 || chunks.length === 0) chunks.push(utf8Data(added));
      added = [];
      const dictionary = new Vector<Utf8>([...chunks]);
      const valid = validity.take(length);
      if (valid.nullCount === length) return makeData({ type: type as never, length, ...valid, data: zerosLike(indices, length), dictionary } as never);
      const data = pool.copy(indices, length);
      indices.fill(0, 0, length);
      return makeData({ type: type as never, length, ...valid, data, dictionary } as never);
    },
  };
}

function variableColumn(type: DataType, capacity: number, pools: Pools, push: (bytes: Bytes, value: unknown) => void): Accumulator {
  const validity = new Validity(capacity, pools);
  const valueOffsets = new Int32Array(capacity + 1);
  const bytes = new Bytes();
  let filled = 0; // rows whose end offset is set
  const fillTo = (row: number) => {
    while (filled < row) valueOffsets[++filled] = bytes.length;
  };
  const set = (row: number, value: unknown) => {
    fillTo(row);
    push(bytes, value);
    valueOffsets[row + 1] = bytes.length;
    filled = row + 1;
    validity.mark(row);
  };
  const setBytes = (row: number, buf: Uint8Array, off: number, len: number) => {
    fillTo(row);
    bytes.pushRange(buf, off, len);
    valueOffsets[row + 1] = bytes.length;
    filled = row + 1;
    validity.mark(row);
  };
  return {
    set,
    store: { valid: validity.bits, set, setBytes } satisfies BinaryStore as ColumnStore,
    finish(length) {
      fillTo(length);
      filled = 0;
      const offsets = valueOffsets.slice(0, length + 1);
      return makeData({ type: type as never, length, ...validity.take(length), valueOffsets: offsets, data: bytes.take() } as never);
    },
  };
}

/** List<Utf8> and Map<Utf8, Utf8>: offsets into a child built from all of the batch's items. */
function nestedColumn(type: DataType, capacity: number, pools: Pools, kind: 'strings' | 'map'): Accumulator {
  const validity = new Validity(capacity, pools);
  const valueOffsets = new Int32Array(capacity + 1);
  // Reused from batch to batch (emptied by finish), so that MapStore can hand them out.
  const keys: string[] = [];
  const values: string[] = [];
  let filled = 0;
  const fillTo = (row: number) => {
    while (filled < row) valueOffsets[++filled] = values.length;
  };
  const set = (row: number, value: unknown) => {
    fillTo(row);
    if (kind === 'strings') {
      for (const item of value as readonly string[]) values.push(item);
    } else {
      // for…in, not Object.entries: same order (own keys of a plain object), no array per row.
      const map = value as Record<string, string>;
      for (const k in map) {
        keys.push(k);
        values.push(map[k]);
      }
    }
    valueOffsets[row + 1] = values.length;
    filled = row + 1;
    validity.mark(row);
  };
  const start = (row: number) => (row < filled ? valueOffsets[row] : values.length);
  const end = (row: number) => (row < filled ? valueOffsets[row + 1] : values.length);
  const find = (row: number, key: string) => {
    for (let i = start(row), e = end(row); i < e; i++) if (keys[i] === key) return i;
    return -1;
  };
  const put = (row: number, key: string, value: string) => {
    if (row + 1 < filled) throw new Error(`map column: row ${row} is not the newest row`);
    fillTo(row);
    const at = find(row, key);
    if (at >= 0) {
      values[at] = value;
      return;
    }
    keys.push(key);
    values.push(value);
    valueOffsets[row + 1] = values.length;
    filled = row + 1;
    validity.mark(row);
  };
  const mapStore: MapStore = { valid: validity.bits, set, keys, values, put, find, start, end };
  const store: ColumnStore = kind === 'map' ? mapStore : { valid: validity.bits, set };
  return {
    set,
    store,
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
      keys.length = 0;
      values.length = 0;
      return makeData({ type: type as never, length, ...validity.take(length), valueOffsets: offsets, child } as never);
    },
  };
}

function boolColumn(type: DataType, capacity: number, pools: Pools): Accumulator {
  const validity = new Validity(capacity, pools);
  const bits = new Uint8Array((capacity + 7) >> 3);
  const set = (row: number, value: unknown) => {
    if (value) bits[row >> 3] |= 1 << (row & 7);
    validity.mark(row);
  };
  return {
    set,
    store: { valid: validity.bits, set },
    finish(length) {
      const data = bits.slice(0, (length + 7) >> 3);
      bits.fill(0);
      return makeData({ type: type as never, length, ...validity.take(length), data } as never);
    },
  };
}

function accumulator(kind: ColumnKind, type: DataType, capacity: number, pools: Pools): Accumulator {
  switch (kind) {
    case 'timestamp':
    case 'int64':
      return numeric(type, new BigInt64Array(capacity), pools);
    case 'uint64':
      return numeric(type, new BigUint64Array(capacity), pools);
    case 'int32':
      return numeric(type, new Int32Array(capacity), pools);
    case 'uint32':
      return numeric(type, new Uint32Array(capacity), pools);
    case 'int16':
      return numeric(type, new Int16Array(capacity), pools);
    case 'uint16':
      return numeric(type, new Uint16Array(capacity), pools);
    case 'uint8':
      return numeric(type, new Uint8Array(capacity), pools);
    case 'bool':
      return boolColumn(type, capacity, pools);
    case 'string':
      return dictionaryColumn(type, capacity, pools);
    case 'binary':
      return variableColumn(type, capacity, pools, (bytes, v) => bytes.pushBytes(v as Uint8Array));
    case 'strings':
      return nestedColumn(type, capacity, pools, 'strings');
    case 'map':
      return nestedColumn(type, capacity, pools, 'map');
  }
}

export interface BatchBuilder {
  /** Adds one event; returns the number of rows now pending. */
  append(event: TraceEvent): number;
  readonly pending: number;
  readonly capacity: number;
  /** The pending rows as a record batch (null when there are none). */
  take(): RecordBatch | null;
  /**
   * Says that the batches taken so far are no longer used (written out): their arrays serve the
   * next batches. Only for a builder made with `{ recycle: true }`; without it every batch gets
   * arrays of its own, which live as long as the batch.
   */
  recycle(): void;
  /** Column storage for direct writes into the rows `addRow` hands out. */
  readonly stores: ColumnStores;
  /**
   * Adds an empty row (every column null) and returns its index, for the caller to fill through
   * `stores` before the next `take()`. The caller sets ts, num and type: they are not checked here.
   */
  addRow(): number;
}

export function createBatchBuilder(schema: Schema, capacity: number, options: { recycle?: boolean } = {}): BatchBuilder {
  const byName: Record<string, Accumulator> = Object.create(null);
  const stores: Record<string, ColumnStore> = Object.create(null);
  const pools: Pools = [];
  const ordered = COLUMNS.map((col, i) => {
    const acc = accumulator(col.kind, schema.fields[i].type, capacity, pools);
    byName[col.name] = acc;
    stores[col.name] = acc.store;
    return acc;
  });
  // A reader hands its batches to a consumer that may keep them: its pools must not hold on to
  // every array they lent (that kept a whole .scap file's batches in memory).
  if (!options.recycle) for (const pool of pools) pool.pooled = false;
  let rows = 0;
  return {
    get pending() {
      return rows;
    },
    capacity,
    stores: stores as unknown as ColumnStores,
    recycle() {
      for (const pool of pools) pool.recycle();
    },
    addRow() {
      if (rows >= capacity) throw new Error(`batch builder is full (${capacity} rows): take() first`);
      return rows++;
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
