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

export type BatchView = { readonly [K in ColumnName]: ColumnView } & { readonly numRows: number };

const NAMES = COLUMNS.map((c) => c.name);

function build(rows: number, get: (name: string) => Column | undefined): BatchView {
  const view: Record<string, unknown> = { numRows: rows };
  for (const name of NAMES) view[name] = get(name) ?? nullColumn(rows);
  return view as BatchView;
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
