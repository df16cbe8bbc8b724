import type { Data, RecordBatch, Vector } from 'apache-arrow';

/**
 * Reads single values of a trace's record batch by column name and row, decoding only the
 * columns asked for (a row has ~70 columns; an event needs a handful). Dictionary strings are
 * decoded once per dictionary entry. Values are null where the column is null or absent.
 */

interface Col {
  data: Data;
  validity: Uint8Array | null;
}

const utf8 = new TextDecoder();
const stringCache = new WeakMap<Vector, (string | undefined)[]>();

export class RowCursor {
  row = 0;
  private batch: RecordBatch | null = null;
  private cols = new Map<string, Col | null>();

  setBatch(batch: RecordBatch): void {
    this.batch = batch;
    this.cols.clear();
    this.row = 0;
  }

  get numRows(): number {
    return this.batch?.numRows ?? 0;
  }

  private col(name: string): Col | null {
    let c = this.cols.get(name);
    if (c !== undefined) return c;
    const child = this.batch?.getChild(name) as Vector | null | undefined;
    if (!child || child.data.length === 0) c = null;
    else {
      const data = child.data[0];
      c = { data, validity: data.nullCount === 0 ? null : (data.nullBitmap ?? new Uint8Array(0)) };
    }
    this.cols.set(name, c);
    return c;
  }

  private valid(c: Col): boolean {
    const v = c.validity;
    if (v === null) return true;
    const r = this.row;
    return v.length > 0 && (v[r >> 3] & (1 << (r & 7))) !== 0;
  }

  has(name: string): boolean {
    const c = this.col(name);
    return c !== null && this.valid(c);
  }

  /** Integer columns of 32 bits or less. */
  int(name: string): number | null {
    const c = this.col(name);
    if (!c || !this.valid(c)) return null;
    return (c.data.values as { [i: number]: number })[this.row];
  }

  /** 64-bit integer and timestamp columns. */
  big(name: string): bigint | null {
    const c = this.col(name);
    if (!c || !this.valid(c)) return null;
    return (c.data.values as { [i: number]: bigint })[this.row];
  }

  bool(name: string): boolean | null {
    const c = this.col(name);
    if (!c || !this.valid(c)) return null;
    const r = this.row;
    return ((c.data.values as Uint8Array)[r >> 3] & (1 << (r & 7))) !== 0;
  }

  /** Dictionary-encoded string columns. */
  str(name: string): string | null {
    const c = this.col(name);
    if (!c || !this.valid(c)) return null;
    const dict = c.data.dictionary as Vector;
    const idx = (c.data.values as Int32Array)[this.row];
    let cache = stringCache.get(dict);
    if (!cache) {
      cache = [];
      stringCache.set(dict, cache);
    }
    let s = cache[idx];
    if (s === undefined) {
      s = dict.get(idx) as string;
      cache[idx] = s;
    }
    return s;
  }

  bytes(name: string): Uint8Array | null {
    const c = this.col(name);
    if (!c || !this.valid(c)) return null;
    const offsets = c.data.valueOffsets as Int32Array;
    return (c.data.values as Uint8Array).subarray(offsets[this.row], offsets[this.row + 1]);
  }

  list(name: string): string[] | null {
    const c = this.col(name);
    if (!c || !this.valid(c)) return null;
    const offsets = c.data.valueOffsets as Int32Array;
    const child = c.data.children[0];
    const co = child.valueOffsets as Int32Array;
    const cv = child.values as Uint8Array;
    const out: string[] = [];
    for (let i = offsets[this.row]; i < offsets[this.row + 1]; i++) out.push(utf8.decode(cv.subarray(co[i], co[i + 1])));
    return out;
  }

  map(name: string): Record<string, string> | null {
    const c = this.col(name);
    if (!c || !this.valid(c)) return null;
    const offsets = c.data.valueOffsets as Int32Array;
    const [keys, values] = c.data.children[0].children;
    const text = (d: Data, i: number) => utf8.decode((d.values as Uint8Array).subarray((d.valueOffsets as Int32Array)[i], (d.valueOffsets as Int32Array)[i + 1]));
    const out: Record<string, string> = {};
    for (let i = offsets[this.row]; i < offsets[this.row + 1]; i++) out[text(keys, i)] = text(values, i);
    return out;
  }
}
