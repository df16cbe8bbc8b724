import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EF, EVENT_TABLE, eventInfo, latestCode, PT } from '../../src/scap/event-table.js';
import { openScapBytes } from '../../src/scap/index.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { isUserError } from '../../src/util/errors.js';
import { block, concat, decompressed, splitBlocks } from './build.js';
import { fixture } from './helpers.js';
import { capture, upstreamIt } from '../helpers/upstream.js';

/**
 * Block kinds the fixtures do not have, built here byte by byte: flagged event blocks (EVF),
 * large blocks with 4-byte parameter lengths, several sections in one file, the event table's
 * lookups.
 */

const enc = new TextEncoder();

function shb(): Uint8Array {
  const body = new Uint8Array(16);
  const v = new DataView(body.buffer);
  v.setUint32(0, 0x1a2b3c4d, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, 2, true);
  v.setBigInt64(8, -1n, true);
  return block(0x0a0d0d0a, body);
}

function machine(host: string): Uint8Array {
  const body = new Uint8Array(180);
  const v = new DataView(body.buffer);
  v.setUint32(0, 8, true);
  v.setBigUint64(4, 1n << 34n, true);
  v.setBigUint64(12, 4194304n, true);
  body.set(enc.encode(host), 20);
  v.setBigUint64(148, 1_700_000_000_000_000_000n, true);
  return block(0x201, body);
}

/** An event block (v2 layout) with the given parameters, lengths 2 or 4 bytes wide. */
function event(blockType: number, code: number, tid: number, ts: bigint, params: Uint8Array[], flags?: number): Uint8Array {
  const wide = (eventInfo(code)!.flags & EF.LARGE_PAYLOAD) !== 0;
  const lenSize = wide ? 4 : 2;
  const head = 26 + params.length * lenSize;
  const len = head + params.reduce((n, p) => n + p.length, 0);
  const pre = flags === undefined ? 2 : 6;
  const body = new Uint8Array(pre + len);
  const v = new DataView(body.buffer);
  v.setUint16(0, 1, true); // cpu
  if (flags !== undefined) v.setUint32(2, flags, true);
  v.setBigUint64(pre, ts, true);
  v.setBigUint64(pre + 8, BigInt(tid), true);
  v.setUint32(pre + 16, len, true);
  v.setUint16(pre + 20, code, true);
  v.setUint32(pre + 22, params.length, true);
  let at = pre + 26;
  for (const p of params) {
    if (wide) v.setUint32(at, p.length, true);
    else v.setUint16(at, p.length, true);
    at += lenSize;
  }
  for (const p of params) {
    body.set(p, at);
    at += p.length;
  }
  return block(blockType, body);
}

const i64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, n, true);
  return b;
};
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const str = (s: string) => enc.encode(`${s}\0`);

function readAll(bytes: Uint8Array): { rows: TraceEvent[]; error: string | null; unknown: number } {
  const rows: TraceEvent[] = [];
  let src: ReturnType<typeof openScapBytes> | null = null;
  try {
    src = openScapBytes('synthetic.scap', bytes);
    for (const r of src.rows()) if (typeof r !== 'symbol') rows.push(r);
    return { rows, error: null, unknown: src.stats().unknownEvents };
  } catch (err) {
    if (!isUserError(err)) throw err;
    return { rows, error: err.message, unknown: src?.stats().unknownEvents ?? 0 };
  }
}

const OPEN_E = latestCode('open', '>')!;
const OPEN_X = latestCode('open', '<')!;
const CLOSE_E = EVENT_TABLE.find((e) => e.id === 'SYSCALL_CLOSE_E')!.code;
const CLOSE_X = EVENT_TABLE.find((e) => e.id === 'SYSCALL_CLOSE_X')!.code;
const JSON_2 = EVENT_TABLE.find((e) => e.id === 'CONTAINER_JSON_2_E')!.code;

describe('event table', () => {
  it('knows every code, directions by parity, and the newest layout of a name', () => {
    expect(EVENT_TABLE.length).toBeGreaterThan(400);
    EVENT_TABLE.forEach((e, code) => {
      expect(e.code).toBe(code);
      expect(e.dir).toBe(code % 2 === 0 ? '>' : '<');
    });
    expect(eventInfo(293)?.id).toBe('SYSCALL_EXECVE_19_X');
    expect(latestCode('execve', '<')).toBe(293);
    expect(eventInfo(OPEN_X)!.params.map((p) => p.name)).toEqual(['fd', 'name', 'flags', 'mode', 'dev', 'ino']);
    expect(eventInfo(OPEN_X)!.params[0].type).toBe(PT.FD);
    expect(eventInfo(JSON_2)!.flags & EF.LARGE_PAYLOAD).toBeTruthy();
    expect(eventInfo(100000)).toBeUndefined();
  });
});

describe('synthetic blocks', () => {
  it('flagged event blocks, an exit completed by its enter, the EVF flags kept', () => {
    const bytes = concat([
      shb(),
      machine('synthetic-host'),
      event(0x217, OPEN_E, 42, 1000n, [str('/etc/passwd'), u32(1), u32(0)], 0),
      event(0x217, OPEN_X, 42, 1500n, [i64(3n), str('/etc/passwd'), u32(1), u32(0), u32(0x803), i64(99n)], 0),
      event(0x217, CLOSE_E, 42, 2000n, [i64(3n)], 4),
      event(0x216, CLOSE_X, 42, 2100n, [i64(0n)]),
    ]);
    const { rows, error } = readAll(bytes);
    expect(error).toBeNull();
    expect(rows.map((r) => r.type)).toEqual(['snapshot_machine', 'snapshot_end', 'open', 'open', 'close', 'close']);
    expect(rows[0].name).toBe('synthetic-host');
    expect(rows[2]).toMatchObject({ dir: '>', path: '/etc/passwd', flags: 1, num: 1n, tid: 42, cpu: 1 });
    expect(rows[2].res ?? null).toBeNull();
    expect(rows[3]).toMatchObject({ dir: '<', res: 3n, path: '/etc/passwd', dev: 0x803, ino: 99n, latency: 500n });
    expect(rows[4].extra).toEqual({ scap_flags: '4' });
    // The close exit of this layout has its fd; an exit without it takes the enter's.
    expect(rows[5]).toMatchObject({ res: 0n, fd: 3n, latency: 100n });
  });

  it('a large block with 4-byte parameter lengths (a container description over 64 KiB)', () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) labels[`label${i}`] = 'x'.repeat(20);
    const json = JSON.stringify({ container: { id: 'abcdef012345', name: 'big', image: 'img:1', type: 7, labels } });
    expect(json.length).toBeGreaterThan(65536);
    const bytes = concat([shb(), event(0x221, JSON_2, 0, 5n, [str(json)]), event(0x216, CLOSE_X, 7, 6n, [i64(0n), i64(5n)])]);
    const { rows, error } = readAll(bytes);
    expect(error).toBeNull();
    const c = rows.find((r) => r.type === 'snapshot_container')!;
    expect(c).toMatchObject({ container_id: 'abcdef012345', name: 'big', image: 'img:1' });
    expect(c.extra!.runtime).toBe('containerd');
    expect(c.extra!['label.label2999']).toBe('x'.repeat(20));
    // The container event takes evt.num 1, the close 2.
    expect(rows.at(-1)).toMatchObject({ type: 'close', num: 2n, fd: 5n });
  });

  it('a 64 KiB+ event in a block that is not large is refused', () => {
    const bytes = concat([shb(), event(0x216, OPEN_E, 1, 1n, [str('x'.repeat(70000)), u32(0), u32(0)])]);
    const { error } = readAll(bytes);
    expect(error).toMatch(/synthetic\.scap: damaged \.scap data at byte 28: block of type 0x216 claims \d+ bytes/);
  });

  it('two sections: a second snapshot, numbering goes on', () => {
    const one = concat([shb(), machine('first'), event(0x216, CLOSE_E, 1, 10n, [i64(1n)])]);
    const two = concat([shb(), machine('second'), event(0x216, CLOSE_E, 2, 20n, [i64(2n)])]);
    const { rows, error } = readAll(gzipSync(concat([one, two])));
    expect(error).toBeNull();
    expect(rows.map((r) => `${r.type}:${r.num}`)).toEqual([
      'snapshot_machine:0', 'snapshot_end:0', 'close:1', 'snapshot_machine:0', 'snapshot_end:0', 'close:2',
    ]);
    expect(rows[3].name).toBe('second');
  });

  upstreamIt('state blocks of an unknown type are skipped by their length', [capture('cat_write.scap')], () => {
    const raw = decompressed(fixture('cat_write.scap'));
    const parts = splitBlocks(raw).map((b) => b.bytes);
    parts.splice(2, 0, block(0x8888, new Uint8Array(100)));
    const { rows, error } = readAll(concat(parts));
    expect(error).toBeNull();
    expect(rows.filter((r) => r.num > 0n)).toHaveLength(345);
  });
});
