import type { RecordBatch } from 'apache-arrow';
import { type Column, columnsOfRecordBatch, type LazyBatch, nullColumn, type StringDictionary } from '../trace/columnar.js';
import { COLUMNS, type ColumnName } from '../trace/columns.js';

/**
 * Typed, allocation-free access to the columns of one record batch, by row. The engine reads
 * every value through this: no row objects are built. Dictionary columns answer with their code
 * (`code`) and the string (`str`), decoded once per dictionary entry for the whole file.
 *
 * Batches read from a trace file decode each column the first time it is read
 * (`viewLazyBatch`); batches from other sources come as apache-arrow record batches (`viewBatch`).
 */

export type ColumnView = Column;

/** The columns of a batch by name, and by index in COLUMNS order (`cols[COL.pid]`). */
export type BatchView = { readonly [K in ColumnName]: ColumnView } & { readonly numRows: number; readonly cols: readonly ColumnView[] };

const NAMES = COLUMNS.map((c) => c.name);

/**
 * Index of each column in COLUMNS (and in BatchView.cols): `c.num(COL.pid)` compiles to
 * `c.num(6)`, read without a lookup by name. Kept in COLUMNS order (test/engine/replay-fast-path.test.ts checks it).
 */
export const enum COL {
  ts = 0,
  num = 1,
  type = 2,
  source = 3,
  dir = 4,
  cpu = 5,
  tid = 6,
  pid = 7,
  ppid = 8,
  vtid = 9,
  vpid = 10,
  uid = 11,
  gid = 12,
  euid = 13,
  egid = 14,
  loginuid = 15,
  comm = 16,
  res = 17,
  latency = 18,
  fd = 19,
  fd2 = 20,
  dirfd = 21,
  dirfd2 = 22,
  path = 23,
  path2 = 24,
  flags = 25,
  mode = 26,
  dev = 27,
  ino = 28,
  fd_type = 29,
  sock_family = 30,
  sock_type = 31,
  l4proto = 32,
  sip = 33,
  sport = 34,
  dip = 35,
  dport = 36,
  id = 37,
  id2 = 38,
  id3 = 39,
  op = 40,
  size = 41,
  addr = 42,
  prot = 43,
  name = 44,
  buffer = 45,
  exe = 46,
  exepath = 47,
  args = 48,
  env = 49,
  cwd = 50,
  tty = 51,
  pgid = 52,
  sid = 53,
  exe_flags = 54,
  exe_ino = 55,
  exe_ctime = 56,
  exe_mtime = 57,
  cap_inheritable = 58,
  cap_permitted = 59,
  cap_effective = 60,
  cgroup = 61,
  start_ts = 62,
  container_id = 63,
  image = 64,
  privileged = 65,
  mounts = 66,
  n_events = 67,
  n_drops = 68,
  payload = 69,
  extra = 70,
}

/** The same indices by name, for names known only at run time (setup, not per row). */
export const COLUMN_INDEX = Object.fromEntries(NAMES.map((n, i) => [n, i])) as Readonly<Record<ColumnName, number>>;

/**
 * A view object built by one object literal (generated once): a fast-mode object of one shape.
 * Built property by property it would turn into a slow dictionary after a dozen columns.
 */
const makeView = new Function('numRows', 'cols', `return { numRows, cols, ${NAMES.map((n, i) => `${JSON.stringify(n)}: cols[${i}]`).join(', ')} };`) as (
  numRows: number,
  cols: Column[],
) => BatchView;

function build(rows: number, get: (name: string) => Column | undefined): BatchView {
  return makeView(rows, NAMES.map((name) => get(name) ?? nullColumn(rows)));
}

export function viewBatch(batch: RecordBatch): BatchView {
  const columns = columnsOfRecordBatch(batch);
  return build(batch.numRows, (name) => columns.get(name));
}

/** Index of each column name in a schema's fields, per schema object. */
const indexCache = new WeakMap<object, Map<string, number>>();

export function viewLazyBatch(batch: LazyBatch): BatchView {
  let index = indexCache.get(batch.schema);
  if (!index) {
    index = new Map(batch.schema.fields.map((f, i) => [f.name, i]));
    indexCache.set(batch.schema, index);
  }
  const idx = index;
  return build(batch.numRows, (name) => {
    const i = idx.get(name);
    return i === undefined ? undefined : batch.columns[i];
  });
}

export function isSet(col: ColumnView, row: number): boolean {
  const valid = col.valid;
  return valid === null || (valid.length > (row >> 3) && (valid[row >> 3] & (1 << (row & 7))) !== 0);
}

/**
 * The internalized copy of a string: V8 keeps one copy of each property name, so comparing an
 * internalized string with a literal (a `switch` on the event type) is one pointer comparison,
 * where a freshly decoded string is compared character by character.
 */
function internalize(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/** Decoded strings of dictionary columns, shared by all batches of a trace (codes are global). */
export class StringTable {
  // A later batch's dictionary extends the earlier ones (delta batches), so a decoded code stays valid.
  private readonly cache: string[] = [];

  /** The string at `code` of the column's dictionary. */
  get(col: ColumnView, code: number): string {
    let s = this.cache[code];
    if (s === undefined) {
      s = internalize((col.dict as StringDictionary).get(code));
      this.cache[code] = s;
    }
    return s;
  }
}

/** One StringTable per dictionary column. */
export function stringTables(): Record<string, StringTable> {
  const tables: Record<string, StringTable> = {};
  for (const col of COLUMNS) if (col.kind === 'string') tables[col.name] = new StringTable();
  return tables;
}

/** The same tables by column index (undefined for other columns). */
export function stringTablesByIndex(tables: Record<string, StringTable>): (StringTable | undefined)[] {
  return NAMES.map((name) => tables[name]);
}

const utf8 = new TextDecoder();

function text(col: Column, i: number): string {
  const offsets = col.offsets as Int32Array;
  return utf8.decode((col.values as Uint8Array).subarray(offsets[i], offsets[i + 1]));
}

/** Text of a List<Utf8> column's row. */
export function stringList(col: ColumnView, row: number): string[] {
  const offsets = col.offsets as Int32Array;
  const child = col.children[0];
  const out: string[] = [];
  for (let i = offsets[row]; i < offsets[row + 1]; i++) out.push(text(child, i));
  return out;
}

/** A Binary column's row, copied (batch buffers are recycled once replay moves on). */
export function binaryAt(col: ColumnView, row: number): Uint8Array {
  const offsets = col.offsets as Int32Array;
  return (col.values as Uint8Array).slice(offsets[row], offsets[row + 1]);
}

export function mapAt(col: ColumnView, row: number): Record<string, string> {
  const offsets = col.offsets as Int32Array;
  const [keys, values] = col.children;
  const out: Record<string, string> = {};
  for (let i = offsets[row]; i < offsets[row + 1]; i++) out[text(keys, i)] = text(values, i);
  return out;
}
