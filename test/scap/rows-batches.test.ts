import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Data, RecordBatch } from 'apache-arrow';
import { expect, it } from 'vitest';
import { openScapBytes } from '../../src/scap/index.js';
import { BATCH_BREAK, SCAP_BATCH_ROWS } from '../../src/scap/reader.js';
import { createBatchBuilder } from '../../src/trace/batch-builder.js';
import { traceSchema } from '../../src/trace/schema.js';
import { concat, splitBlocks } from './build.js';
import { FIXTURE_NEEDS, fixtures } from './helpers.js';
import { upstreamSuite } from '../helpers/upstream.js';

/**
 * `batches()` writes event rows straight into the columns (src/scap/to-columns.ts); `rows()`
 * makes row objects (src/scap/to-events.ts). Both must give the same record batches, byte for
 * byte: here the objects are appended to a batch builder as `batches()` once did, and every
 * buffer of every batch is compared. Each fixture is read as it is, and with its events repeated
 * past a few batch breaks, so that exit events meet enter events whose rows went out with an
 * earlier batch.
 */

const EVENT_BLOCKS = new Set([0x204, 0x208, 0x216, 0x217, 0x221, 0x222]);

function bytesOf(file: string): Uint8Array {
  const raw = new Uint8Array(readFileSync(file));
  return raw[0] === 0x1f && raw[1] === 0x8b ? new Uint8Array(gunzipSync(raw)) : raw;
}

/**
 * The capture with its event blocks repeated until it holds at least `events` events, the first
 * `skip` left out (a shift of one puts the other event of each enter/exit pair at a batch break).
 */
function repeated(raw: Uint8Array, events: number, skip: number): Uint8Array {
  const blocks = splitBlocks(raw);
  const head = blocks.filter((b) => !EVENT_BLOCKS.has(b.type)).map((b) => b.bytes);
  const evs = blocks.filter((b) => EVENT_BLOCKS.has(b.type)).map((b) => b.bytes);
  if (evs.length === 0) return raw;
  const parts = [...head];
  for (let n = 0; n < events; n += evs.length) parts.push(...evs);
  parts.splice(head.length, skip);
  return concat(parts);
}

function viaRows(name: string, bytes: Uint8Array): RecordBatch[] {
  const src = openScapBytes(name, bytes);
  const builder = createBatchBuilder(traceSchema(src.metadata), SCAP_BATCH_ROWS);
  const out: RecordBatch[] = [];
  for (const row of src.rows()) {
    if (row === BATCH_BREAK) {
      if (builder.pending > 0) out.push(builder.take()!);
    } else if (builder.append(row) >= SCAP_BATCH_ROWS) {
      out.push(builder.take()!);
    }
  }
  if (builder.pending > 0) out.push(builder.take()!);
  return out;
}

function viaBatches(name: string, bytes: Uint8Array): RecordBatch[] {
  return [...openScapBytes(name, bytes).batches()];
}

function sameBytes(a: ArrayBufferView | undefined | null, b: ArrayBufferView | undefined | null, where: string): void {
  const u = (v: ArrayBufferView | undefined | null) => (v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0));
  if (!u(a).equals(u(b))) expect.fail(`${where} differs`);
}

function sameData(a: Data, b: Data, where: string): void {
  expect(String(b.type), where).toBe(String(a.type));
  expect(b.length, where).toBe(a.length);
  expect(b.nullCount, `${where} null count`).toBe(a.nullCount);
  if (a.nullCount > 0) sameBytes(a.nullBitmap, b.nullBitmap, `${where} validity`);
  sameBytes(a.values, b.values, `${where} values`);
  sameBytes(a.valueOffsets, b.valueOffsets, `${where} offsets`);
  expect(b.children.length, where).toBe(a.children.length);
  a.children.forEach((c, i) => sameData(c, b.children[i], `${where}.${i}`));
  if (a.dictionary) {
    expect(b.dictionary!.data.length, `${where} dictionary`).toBe(a.dictionary.data.length);
    a.dictionary.data.forEach((d, i) => sameData(d, b.dictionary!.data[i], `${where} dictionary ${i}`));
  }
}

function sameBatches(expected: RecordBatch[], actual: RecordBatch[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    expect(actual[i].numRows, `batch ${i} rows`).toBe(e.numRows);
    e.schema.fields.forEach((f, c) => sameData(e.data.children[c], actual[i].data.children[c], `batch ${i} ${f.name}`));
  });
}

upstreamSuite('batches() and rows() give the same record batches', FIXTURE_NEEDS, () => {
  for (const file of fixtures()) {
    const name = basename(file);
    it(name, () => {
      const bytes = bytesOf(file);
      sameBatches(viaRows(name, bytes), viaBatches(name, bytes));
    });
    for (const skip of [0, 1]) {
      it(`${name}, its events repeated across batch breaks (shift ${skip})`, () => {
        const bytes = repeated(bytesOf(file), 2.5 * SCAP_BATCH_ROWS, skip);
        const expected = viaRows(name, bytes);
        if (name !== 'empty.scap') expect(expected.length).toBeGreaterThan(2);
        sameBatches(expected, viaBatches(name, bytes));
      });
    }
  }
});
