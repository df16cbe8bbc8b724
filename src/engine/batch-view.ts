import type { Data, RecordBatch, Vector } from 'apache-arrow';
import { COLUMNS, type ColumnName } from '../trace/columns.js';

/**
 * Typed, allocation-free access to the columns of one record batch, by row. The engine reads
 * every value through this: no row objects are built. Dictionary columns answer with their code
 * (`code`) and the string (`str`), decoded once per dictionary entry for the whole file.
 */

export interface ColumnView {
  readonly values: ArrayLike<number | bigint> & { [i: number]: number | bigint };
  /** Validity bitmap, or null when the column has no nulls in this batch. */
  readonly valid: Uint8Array | null;
  readonly data: Data;
}

export type BatchView = { readonly [K in ColumnName]: ColumnView } & { readonly numRows: number };

const NAMES = COLUMNS.map((c) => c.name);

export function viewBatch(batch: RecordBatch): BatchView {
  const view: Record<string, unknown> = { numRows: batch.numRows };
  for (const name of NAMES) {
    const data = (batch.getChild(name) as Vector).data[0];
    const valid = data.nullCount === 0 ? null : (data.nullBitmap ?? new Uint8Array(0));
    view[name] = { values: data.values, valid, data };
  }
  return view as BatchView;
}

export function isSet(col: ColumnView, row: number): boolean {
  const valid = col.valid;
  return valid === null || (valid.length > (row >> 3) && (valid[row >> 3] & (1 << (row & 7))) !== 0);
}

/** Decoded strings of dictionary columns, shared by all batches of a trace (codes are global). */
export class StringTable {
  // A later batch's dictionary extends the earlier ones (delta batches), so a decoded code stays valid.
  private readonly cache: string[] = [];

  /** The string at `code` of the column's dictionary. */
  get(col: ColumnView, code: number): string {
    let s = this.cache[code];
    if (s === undefined) {
      s = (col.data.dictionary as Vector).get(code) as string;
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

/** Text of a List<Utf8> column's row. */
export function stringList(col: ColumnView, row: number): string[] {
  const offsets = col.data.valueOffsets as Int32Array;
  const child = col.data.children[0];
  const childOffsets = child.valueOffsets as Int32Array;
  const bytes = child.values as Uint8Array;
  const out: string[] = [];
  for (let i = offsets[row]; i < offsets[row + 1]; i++) out.push(utf8.decode(bytes.subarray(childOffsets[i], childOffsets[i + 1])));
  return out;
}

export function binaryAt(col: ColumnView, row: number): Uint8Array {
  const offsets = col.data.valueOffsets as Int32Array;
  return (col.data.values as Uint8Array).subarray(offsets[row], offsets[row + 1]);
}

export function mapAt(col: ColumnView, row: number): Record<string, string> {
  const offsets = col.data.valueOffsets as Int32Array;
  const [keys, values] = col.data.children[0].children;
  const text = (d: Data, i: number) => utf8.decode((d.values as Uint8Array).subarray((d.valueOffsets as Int32Array)[i], (d.valueOffsets as Int32Array)[i + 1]));
  const out: Record<string, string> = {};
  for (let i = offsets[row]; i < offsets[row + 1]; i++) out[text(keys, i)] = text(values, i);
  return out;
}
