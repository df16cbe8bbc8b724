import { type DataType, type Field, type Message, type RecordBatch, type Schema, Type, type Vector } from 'apache-arrow';
import { decodeLz4Frame, type OutputAllocator, verifyLz4Frame } from './lz4-frame.js';

/**
 * Column-by-column, on-demand decoding of a trace's record batches, for readers that touch few
 * columns of most rows (replay: most events only need `type`, `tid` and `ts`).
 *
 * apache-arrow's reader decompresses and wraps every buffer of every column of a batch before
 * handing it over; here a record batch message only records where its buffers are, and a
 * column's buffers are decompressed the first time something reads that column. Dictionaries
 * (one per string column for the whole file, extended by delta batches) are kept as the raw
 * UTF-8 bytes of each batch and decoded one string at a time, when a code is looked up.
 *
 * `Column` is also built from apache-arrow `Data` (`columnsOfRecordBatch`), so that consumers
 * read batches from any source (a .scap reader yields apache-arrow record batches) the same way.
 */

export type ColumnValues = (ArrayLike<number | bigint> & { readonly [i: number]: number | bigint }) | Uint8Array;

/** The strings of a dictionary-encoded column, by code. */
export interface StringDictionary {
  get(code: number): string;
}

/**
 * One column of one batch. Primitive columns: `values` (a typed array; a bit-packed Uint8Array
 * for booleans). Dictionary columns: `values` holds the codes and `dict` the strings. Binary and
 * UTF-8: `offsets` and `values` (the bytes). List<Utf8>: `offsets` and `children[0]`;
 * Map<Utf8, Utf8>: `offsets`, `children[0]` the keys, `children[1]` the values.
 * `valid` is the validity bitmap, or null when the column has no nulls in this batch.
 */
export class Column {
  private loaded: boolean;
  private v: ColumnValues = EMPTY_U8;
  private n: Uint8Array | null = null;
  private o: Int32Array | null = null;
  private ch: readonly Column[] = NO_CHILDREN;
  private d: StringDictionary | null = null;
  private w: Int32Array | null | undefined = undefined;
  private u = false;

  /**
   * `allNull`: known from the batch's field node without decoding (every row null), as a reader
   * skipping such a column needs; undefined when not known (then the validity bitmap tells).
   */
  constructor(
    private readonly loader: ((self: Column) => void) | null,
    private readonly knownAllNull?: boolean,
  ) {
    this.loaded = loader === null;
  }

  /** Whether every row of the column is null, decoding nothing when the batch says so. */
  allNull(): boolean {
    if (this.knownAllNull !== undefined) return this.knownAllNull;
    const valid = this.valid;
    if (valid === null) return false;
    for (let i = 0; i < valid.length; i++) if (valid[i] !== 0) return false;
    return true;
  }

  /** Fills the column (from its loader, or directly for eagerly built columns). */
  set(values: ColumnValues, valid: Uint8Array | null, offsets: Int32Array | null, children: readonly Column[], dict: StringDictionary | null): this {
    this.v = values;
    this.n = valid;
    this.o = offsets;
    this.ch = children;
    this.d = dict;
    this.loaded = true;
    return this;
  }

  private load(): void {
    this.loaded = true; // a failing loader throws; it is not retried
    this.loader!(this);
  }

  get values(): ColumnValues {
    if (!this.loaded) this.load();
    return this.v;
  }

  get valid(): Uint8Array | null {
    if (!this.loaded) this.load();
    return this.n;
  }

  get offsets(): Int32Array | null {
    if (!this.loaded) this.load();
    return this.o;
  }

  get children(): readonly Column[] {
    if (!this.loaded) this.load();
    return this.ch;
  }

  get dict(): StringDictionary | null {
    if (!this.loaded) this.load();
    return this.d;
  }

  /**
   * For 64-bit integer columns, the values as pairs of 32-bit words (low, high), so that a
   * value can be read as a number without making a BigInt; null for other columns.
   */
  get words(): Int32Array | null {
    if (this.w === undefined) {
      const v = this.values;
      if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
        this.w = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
        this.u = v instanceof BigUint64Array;
      } else this.w = null;
    }
    return this.w;
  }

  /** Whether `words` hold unsigned values. */
  get unsigned(): boolean {
    return this.words !== null && this.u;
  }
}

const EMPTY_U8 = new Uint8Array(0);
const NO_CHILDREN: readonly Column[] = [];

/** A column of nulls (a column the file does not have). */
export function nullColumn(rows: number): Column {
  return new Column(null).set(new Int32Array(rows), new Uint8Array((rows + 7) >> 3), null, NO_CHILDREN, null);
}

// --- from apache-arrow Data -----------------------------------------------------------------

interface ArrowData {
  readonly values: unknown;
  readonly nullCount: number;
  readonly nullBitmap: Uint8Array | undefined;
  readonly valueOffsets: Int32Array | undefined;
  readonly children: readonly ArrowData[];
  readonly dictionary?: Vector;
  readonly type: DataType;
}

function fromData(data: ArrowData): Column {
  const valid = data.nullCount === 0 ? null : (data.nullBitmap ?? new Uint8Array(0));
  let children: readonly Column[] = NO_CHILDREN;
  if (data.type.typeId === Type.List) children = [fromData(data.children[0])];
  else if (data.type.typeId === Type.Map) children = data.children[0].children.map(fromData);
  const dictionary = data.dictionary;
  const dict: StringDictionary | null = dictionary ? { get: (code) => dictionary.get(code) as string } : null;
  return new Column(null).set((data.values as ColumnValues | undefined) ?? EMPTY_U8, valid, data.valueOffsets ?? null, children, dict);
}

/** The columns of an apache-arrow record batch, by name. */
export function columnsOfRecordBatch(batch: RecordBatch): Map<string, Column> {
  const out = new Map<string, Column>();
  batch.schema.fields.forEach((f, i) => out.set(f.name, fromData(batch.getChildAt(i)!.data[0] as unknown as ArrowData)));
  return out;
}

// --- from IPC messages ----------------------------------------------------------------------

type Kind = 'int' | 'bool' | 'dict' | 'utf8' | 'binary' | 'list' | 'map';

/** Where a field's nodes and buffers are in a record batch message, and how to read them. */
interface Layout {
  kind: Kind;
  node: number;
  buffer: number;
  /** Typed array constructor of `values` (int, timestamp, dictionary codes). */
  array?: new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayLike<number | bigint>;
  width?: number;
  children: Layout[];
  dictionaryId?: number;
}

const INT_ARRAYS: Record<string, [Layout['array'], number]> = {
  's8': [Int8Array, 1], 's16': [Int16Array, 2], 's32': [Int32Array, 4], 's64': [BigInt64Array, 8],
  'u8': [Uint8Array, 1], 'u16': [Uint16Array, 2], 'u32': [Uint32Array, 4], 'u64': [BigUint64Array, 8],
};

interface Cursor {
  node: number;
  buffer: number;
}

/** The layout of a field; null when this decoder does not handle its type (the caller falls back to apache-arrow). */
function layoutOf(type: DataType, at: Cursor): Layout | null {
  const node = at.node++;
  const buffer = at.buffer;
  const t = type as DataType & { bitWidth?: number; isSigned?: boolean; unit?: number; indices?: DataType; id?: number; children?: Field[] };
  switch (type.typeId) {
    case Type.Int: {
      const spec = INT_ARRAYS[`${t.isSigned ? 's' : 'u'}${t.bitWidth}`];
      if (!spec) return null;
      at.buffer += 2;
      return { kind: 'int', node, buffer, array: spec[0], width: spec[1], children: [] };
    }
    case Type.Timestamp:
      at.buffer += 2;
      return { kind: 'int', node, buffer, array: BigInt64Array, width: 8, children: [] };
    case Type.Bool:
      at.buffer += 2;
      return { kind: 'bool', node, buffer, children: [] };
    case Type.Utf8:
      at.buffer += 3;
      return { kind: 'utf8', node, buffer, children: [] };
    case Type.Binary:
      at.buffer += 3;
      return { kind: 'binary', node, buffer, children: [] };
    case Type.Dictionary: {
      const indices = t.indices as DataType & { bitWidth: number; isSigned: boolean };
      const spec = INT_ARRAYS[`${indices.isSigned ? 's' : 'u'}${indices.bitWidth}`];
      const valueType = (type as unknown as { dictionary: DataType }).dictionary;
      if (!spec || indices.bitWidth > 32 || valueType.typeId !== Type.Utf8) return null;
      at.buffer += 2;
      return { kind: 'dict', node, buffer, array: spec[0], width: spec[1], children: [], dictionaryId: t.id };
    }
    case Type.List: {
      at.buffer += 2;
      const child = layoutOf(t.children![0].type, at);
      if (!child || child.kind !== 'utf8') return null;
      return { kind: 'list', node, buffer, children: [child] };
    }
    case Type.Map: {
      at.buffer += 2;
      const entries = t.children![0].type as DataType & { children: Field[] };
      if (entries.typeId !== Type.Struct || entries.children.length !== 2) return null;
      at.node++; // the entries struct
      at.buffer += 1; // its validity
      const key = layoutOf(entries.children[0].type, at);
      const value = layoutOf(entries.children[1].type, at);
      if (!key || !value || key.kind !== 'utf8' || value.kind !== 'utf8') return null;
      return { kind: 'map', node, buffer, children: [key, value] };
    }
    default:
      return null;
  }
}

/** Per-field layouts of a schema, or null when some field's type is not handled here. */
export function schemaLayouts(schema: Schema): Layout[] | null {
  const at: Cursor = { node: 0, buffer: 0 };
  const out: Layout[] = [];
  for (const f of schema.fields) {
    const l = layoutOf(f.type, at);
    if (!l) return null;
    out.push(l);
  }
  return out;
}

interface Region {
  offset: number;
  length: number;
}

interface BatchHeader {
  length: number;
  nodes: { length: number; nullCount: number }[];
  buffers: Region[];
  compression: { type: number } | null;
}

const LZ4_FRAME = 0;

/** A corrupt or unsupported piece of a message; the reader turns it into a UserError naming the file and offset. */
export class ColumnarError extends Error {}

/**
 * Decompressed buffers of released batches, by size, for the next batches: column buffers have
 * the same few sizes batch after batch, and a recycled buffer costs neither an allocation nor
 * the page faults of fresh memory.
 */
class BufferPool {
  private readonly free = new Map<number, Uint8Array[]>();

  take(size: number): Uint8Array {
    const list = this.free.get(size);
    return (list !== undefined && list.pop()) || new Uint8Array(size);
  }

  give(buffers: readonly Uint8Array[]): void {
    for (const b of buffers) {
      let list = this.free.get(b.length);
      if (!list) this.free.set(b.length, (list = []));
      if (list.length < 256) list.push(b);
    }
  }
}

/** One record batch or dictionary batch body, its buffers decoded on demand. */
class Body {
  /** Buffers decompressed into memory from the pool (returned to it by `release`). */
  readonly owned: Uint8Array[] = [];
  private readonly alloc: OutputAllocator | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly header: BatchHeader,
    pool?: BufferPool,
  ) {
    this.alloc = pool
      ? (size) => {
          const b = pool.take(size);
          this.owned.push(b);
          return b;
        }
      : undefined;
    if (header.compression && header.compression.type !== LZ4_FRAME) throw new ColumnarError(`unsupported body compression codec ${header.compression.type}`);
  }

  get rows(): number {
    return this.header.length;
  }

  node(i: number): { length: number; nullCount: number } {
    const n = this.header.nodes[i];
    if (!n) throw new ColumnarError(`missing field node ${i}`);
    return n;
  }

  /** Buffer `i`, decompressed; an empty array for an absent buffer. */
  buffer(i: number): Uint8Array {
    const r = this.header.buffers[i];
    if (!r) throw new ColumnarError(`missing buffer ${i}`);
    if (r.length === 0) return EMPTY_U8;
    if (r.offset < 0 || r.offset + r.length > this.bytes.length) throw new ColumnarError(`buffer ${i} lies outside the message body`);
    const raw = this.bytes.subarray(r.offset, r.offset + r.length);
    if (!this.header.compression) return raw;
    if (raw.length < 8) throw new ColumnarError(`compressed buffer ${i} shorter than its length prefix`);
    const size = this.announced(raw);
    if (size === -1) return raw.subarray(8); // stored uncompressed
    // LZ4 expands at most about 255 times: a larger announced size is damage, not data.
    if (!(size >= 0 && size <= raw.length * 256 + 65536)) throw new ColumnarError(`buffer ${i}: implausible uncompressed length ${size}`);
    let out: Uint8Array;
    try {
      out = decodeLz4Frame(raw.subarray(8), this.alloc, size);
    } catch (err) {
      throw new ColumnarError(`buffer ${i}: ${(err as Error).message}`);
    }
    if (out.length !== size) throw new ColumnarError(`buffer ${i}: ${out.length} bytes decompressed, ${size} announced`);
    return out;
  }

  /**
   * The checks that need no decompression, run on every batch before any column is read, by
   * every reader: node and buffer counts as the schema has them, each node's length (the
   * batch's, for top-level fields) and null count, each buffer inside the body, and each
   * compressed buffer's length prefix and LZ4 frame (header, blocks, checksums). What they pass,
   * a column's decoding checks again when it is read (offsets, dictionary codes).
   */
  verify(nodes: number, buffers: number, topLevel: readonly number[], layouts: readonly Layout[] = []): void {
    const h = this.header;
    const rows = Number(h.length);
    if (!Number.isSafeInteger(rows) || rows < 0 || rows > 2 ** 31) throw new ColumnarError(`implausible row count ${h.length}`);
    if (h.nodes.length !== nodes) throw new ColumnarError(`${h.nodes.length} field nodes, the schema has ${nodes}`);
    if (h.buffers.length !== buffers) throw new ColumnarError(`${h.buffers.length} buffers, the schema has ${buffers}`);
    h.nodes.forEach((n, i) => {
      if (!(n.length >= 0 && n.length <= 2 ** 31)) throw new ColumnarError(`field node ${i}: implausible length ${n.length}`);
      if (!(n.nullCount >= 0 && n.nullCount <= n.length)) throw new ColumnarError(`field node ${i}: ${n.nullCount} nulls in ${n.length} values`);
    });
    for (const i of topLevel) if (h.nodes[i].length !== rows) throw new ColumnarError(`field node ${i}: ${h.nodes[i].length} values in a batch of ${rows} rows`);
    const sizes = h.buffers.map((r, i) => {
      if (r.length === 0) return 0;
      if (!(r.offset >= 0 && r.length > 0 && r.offset + r.length <= this.bytes.length)) throw new ColumnarError(`buffer ${i} lies outside the message body`);
      if (r.offset % 8 !== 0) throw new ColumnarError(`buffer ${i} at body offset ${r.offset} is not 8-byte aligned`);
      if (!h.compression) return r.length;
      if (r.length < 8) throw new ColumnarError(`compressed buffer ${i} shorter than its length prefix`);
      const raw = this.bytes.subarray(r.offset, r.offset + r.length);
      const size = this.announced(raw);
      if (size === -1) return r.length - 8;
      if (!(size >= 0 && size <= raw.length * 256 + 65536)) throw new ColumnarError(`buffer ${i}: implausible uncompressed length ${size}`);
      const problem = verifyLz4Frame(raw.subarray(8), size);
      if (problem) throw new ColumnarError(`buffer ${i}: ${problem}`);
      return size;
    });
    const need = (buffer: number, bytes: number, what: string) => {
      if (sizes[buffer] < bytes) throw new ColumnarError(`buffer ${buffer} (${what}): ${sizes[buffer]} bytes where ${bytes} are needed`);
    };
    const check = (l: Layout) => {
      const { length: n, nullCount } = h.nodes[l.node];
      if (nullCount > 0) need(l.buffer, (n + 7) >> 3, 'validity');
      if (l.kind === 'int' || l.kind === 'dict') need(l.buffer + 1, n * l.width!, 'values');
      else if (l.kind === 'bool') need(l.buffer + 1, (n + 7) >> 3, 'values');
      else if (n > 0) need(l.buffer + 1, (n + 1) * 4, 'offsets');
      l.children.forEach(check);
    };
    layouts.forEach(check);
  }

  /** A compressed buffer's uncompressed length (its 8-byte prefix): -1 for a buffer stored as is. */
  private announced(raw: Uint8Array): number {
    const lo = raw[0] | (raw[1] << 8) | (raw[2] << 16) | (raw[3] << 24);
    const hi = raw[4] | (raw[5] << 8) | (raw[6] << 16) | (raw[7] << 24);
    return lo === -1 && hi === -1 ? -1 : (lo >>> 0) + hi * 2 ** 32;
  }

  /** Validity bitmap of node `node` (buffer `buffer`), or null when the node has no nulls. */
  validity(node: number, buffer: number, rows: number): Uint8Array | null {
    if (this.node(node).nullCount === 0) return null;
    const bits = this.buffer(buffer);
    if (bits.length < (rows + 7) >> 3) throw new ColumnarError(`validity buffer ${buffer} too short`);
    return bits;
  }

  typed(buffer: number, array: NonNullable<Layout['array']>, width: number, count: number): ArrayLike<number | bigint> {
    let bytes = this.buffer(buffer);
    if (bytes.length < count * width) throw new ColumnarError(`buffer ${buffer}: ${bytes.length} bytes for ${count} values of ${width}`);
    if (bytes.byteOffset % width !== 0) bytes = bytes.slice();
    return new array(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
  }

  /** Offsets of a variable-size column: non-decreasing, within its data (damage must not send a reader past it, or loop for ever). */
  offsets(buffer: number, rows: number, dataLength: number): Int32Array {
    const o = this.typed(buffer, Int32Array, 4, rows + 1) as Int32Array;
    if (rows === 0) return o;
    let previous = o[0];
    if (previous < 0) throw new ColumnarError(`offsets buffer ${buffer} out of range`);
    for (let i = 1; i <= rows; i++) {
      const v = o[i];
      if (v < previous) throw new ColumnarError(`offsets buffer ${buffer} out of order at ${i}`);
      previous = v;
    }
    if (previous > dataLength) throw new ColumnarError(`offsets buffer ${buffer} out of range`);
    return o;
  }
}

function fill(col: Column, body: Body, l: Layout, dictionaries: Map<number, Dictionary>): void {
  const rows = body.node(l.node).length;
  const valid = body.validity(l.node, l.buffer, rows);
  switch (l.kind) {
    case 'int':
      col.set(body.typed(l.buffer + 1, l.array!, l.width!, rows), valid, null, NO_CHILDREN, null);
      return;
    case 'bool': {
      const bits = body.buffer(l.buffer + 1);
      if (bits.length < (rows + 7) >> 3) throw new ColumnarError(`boolean buffer ${l.buffer + 1} too short`);
      col.set(bits, valid, null, NO_CHILDREN, null);
      return;
    }
    case 'dict': {
      const dict = dictionaries.get(l.dictionaryId!);
      if (!dict) throw new ColumnarError(`no dictionary ${l.dictionaryId} before this batch`);
      const codes = body.typed(l.buffer + 1, l.array!, l.width!, rows) as ArrayLike<number>;
      // Every code of a valid row must name an entry of the dictionary as it stands now.
      const size = dict.size;
      for (let i = 0; i < rows; i++) {
        const code = codes[i];
        if ((code < 0 || code >= size) && (valid === null || (valid[i >> 3] & (1 << (i & 7))) !== 0)) {
          throw new ColumnarError(`dictionary code ${code} out of range (${size} entries)`);
        }
      }
      col.set(codes, valid, null, NO_CHILDREN, dict);
      return;
    }
    case 'utf8':
    case 'binary': {
      const data = body.buffer(l.buffer + 2);
      col.set(data, valid, body.offsets(l.buffer + 1, rows, data.length), NO_CHILDREN, null);
      return;
    }
    case 'list':
    case 'map': {
      const children = l.children.map((c) => {
        const child = new Column(null);
        fill(child, body, c, dictionaries);
        return child;
      });
      const childRows = body.node(l.children[0].node).length;
      col.set(EMPTY_U8, valid, body.offsets(l.buffer + 1, rows, childRows), children, null);
      return;
    }
  }
}

const utf8 = new TextDecoder();

/** A string column's dictionary for a whole file: the UTF-8 data of each (delta) batch, decoded per code on demand. */
export class Dictionary implements StringDictionary {
  private readonly starts: number[] = [];
  private readonly chunks: { offsets: Int32Array; bytes: Uint8Array; valid: Uint8Array | null }[] = [];
  size = 0;

  append(offsets: Int32Array, bytes: Uint8Array, valid: Uint8Array | null, count: number): void {
    this.starts.push(this.size);
    this.chunks.push({ offsets, bytes, valid });
    this.size += count;
  }

  get(code: number): string {
    if (!(code >= 0 && code < this.size)) throw new ColumnarError(`dictionary code ${code} out of range (${this.size} entries)`);
    let k = this.chunks.length - 1;
    while (this.starts[k] > code) k--;
    const { offsets, bytes, valid } = this.chunks[k];
    const i = code - this.starts[k];
    if (valid && (valid[i >> 3] & (1 << (i & 7))) === 0) return '';
    return utf8.decode(bytes.subarray(offsets[i], offsets[i + 1]));
  }
}

/**
 * Decodes the messages of one file in order: dictionary batches extend the dictionaries,
 * record batches become `LazyBatch`es whose columns decode on first use.
 */
export class ColumnarDecoder {
  private readonly dictionaries = new Map<number, Dictionary>();
  private readonly pool = new BufferPool();
  /** Field nodes and buffers a record batch of the schema has; the top-level fields' nodes; the dictionary ids. */
  private readonly nodes: number;
  private readonly buffers: number;
  private readonly topLevel: readonly number[];
  private readonly dictionaryIds: ReadonlySet<number>;

  constructor(
    readonly schema: Schema,
    private readonly layouts: Layout[],
  ) {
    const at: Cursor = { node: 0, buffer: 0 };
    for (const f of schema.fields) layoutOf(f.type, at);
    this.nodes = at.node;
    this.buffers = at.buffer;
    this.topLevel = layouts.map((l) => l.node);
    const ids = (ls: Layout[]): number[] => ls.flatMap((l) => [...(l.dictionaryId !== undefined ? [l.dictionaryId] : []), ...ids(l.children)]);
    this.dictionaryIds = new Set(ids(layouts));
  }


  static for(schema: Schema): ColumnarDecoder | null {
    const layouts = schemaLayouts(schema);
    return layouts ? new ColumnarDecoder(schema, layouts) : null;
  }

  /** A dictionary batch message (`body`: its body bytes). */
  dictionaryBatch(message: Message, body: Uint8Array): void {
    const header = message.header() as unknown as { id: number; isDelta: boolean; data: BatchHeader };
    const id = Number(header.id);
    const b = new Body(body, header.data);
    b.verify(1, 3, [0]);
    if (!this.dictionaryIds.has(id)) throw new ColumnarError(`dictionary id ${id} is not one of the schema's`);
    const rows = b.node(0).length;
    const valid = b.validity(0, 0, rows);
    const bytes = b.buffer(2);
    const offsets = b.offsets(1, rows, bytes.length);
    let dict = this.dictionaries.get(id);
    // A file has one dictionary per column, extended by deltas; a second one would change what
    // the codes of earlier batches meant (the Arrow file format does not allow replacing one).
    if (dict && !header.isDelta) throw new ColumnarError(`a second dictionary ${id} that is not a delta`);
    if (!dict) {
      dict = new Dictionary();
      this.dictionaries.set(id, dict);
    }
    dict.append(offsets, bytes, valid, rows);
  }

  /** A record batch message: its columns, by schema field index, decoded when first read. */
  recordBatch(message: Message, body: Uint8Array, onError: (err: unknown) => never): LazyBatch {
    const header = message.header() as unknown as BatchHeader;
    const b = new Body(body, header, this.pool);
    b.verify(this.nodes, this.buffers, this.topLevel, this.layouts);
    for (const id of this.dictionaryIds) if (!this.dictionaries.has(id)) throw new ColumnarError(`no dictionary ${id} before this batch`);
    const dictionaries = this.dictionaries;
    const pool = this.pool;
    let released = false;
    const columns = this.layouts.map((l) => {
      const node = b.node(l.node);
      return new Column((self) => {
        try {
          fill(self, b, l, dictionaries);
        } catch (err) {
          onError(err);
        }
      }, node.length > 0 && node.nullCount === node.length);
    });
    // Uncompressed, reading a column costs no decompression: check them all now, so that
    // damage is found whichever columns the reader uses.
    if (!header.compression) for (const c of columns) void c.values;
    return {
      numRows: Number(header.length),
      columns,
      schema: this.schema,
      release() {
        if (released) return;
        released = true;
        pool.give(b.owned);
        b.owned.length = 0;
      },
    };
  }
}

/** A record batch whose columns (in schema order) decode on first access. */
export interface LazyBatch {
  readonly numRows: number;
  readonly columns: readonly Column[];
  readonly schema: Schema;
  /**
   * Hands the batch's decompressed buffers back for reuse by later batches. Only for a reader
   * that keeps nothing of the batch (no typed array or view of its columns) afterwards.
   */
  release(): void;
}
