import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, expect, it } from 'vitest';
import { openScapBytes } from '../../src/scap/index.js';
import { isRecordType } from '../../src/trace/columns.js';
import { isUserError } from '../../src/util/errors.js';
import { decompressed, eventEnds, smallStream } from './build.js';
import { fixture } from './helpers.js';
import { rng } from '../helpers/rng.js';
import { capture, upstreamSuite } from '../helpers/upstream.js';

/**
 * Damaged captures: cut at every offset (of the decompressed stream and of the gzip file) and
 * with bytes flipped at random. Every case must end cleanly or with one UserError naming the
 * file and a byte offset, after yielding every event that came before the damage.
 */

interface Outcome {
  events: number[];
  error: string | null;
}

function read(name: string, bytes: Uint8Array): Outcome {
  const events: number[] = [];
  try {
    const src = openScapBytes(name, bytes);
    try {
      for (const row of src.rows()) {
        if (typeof row === 'symbol' || isRecordType(row.type)) continue;
        events.push(Number(row.num));
      }
    } finally {
      src.close();
    }
    return { events, error: null };
  } catch (err) {
    if (!isUserError(err)) throw err;
    return { events, error: err.message };
  }
}

const SMALL = [
  // Old layouts: process list v5, fd list v1, event blocks without nparams (libscap 0.x).
  { name: 'v1-small.scap', from: 'libs_test_ipv6_client.scap' },
  // Current layouts: process list v9, fd list v2, event blocks v2.
  { name: 'v2-small.scap', from: 'ping_sendto.scap' },
];

upstreamSuite('damaged .scap input', [...SMALL.map((s) => capture(s.from)), capture('libs_test_ipv6_client.scap')], () => {
  for (const { name, from } of SMALL) {
    // Read in the hook, not while the tests are collected: a skipped suite is collected too.
    let raw: Uint8Array;
    let ends: number[];
    let complete: Outcome;
    beforeAll(() => {
      raw = smallStream(decompressed(fixture(from)), 5, 2, 80);
      ends = eventEnds(raw);
      complete = read(name, raw);
    });

    it(`${name}: the small stream itself reads cleanly`, () => {
      expect(complete.error).toBeNull();
      expect(complete.events.length).toBe(ends.length);
    });

    /** Whether `events` is the first n of the complete stream's events. */
    const prefix = (events: number[], n = events.length) => events.length === n && events.every((num, i) => num === complete.events[i]);

    it(`${name}: cut at every offset of the decompressed stream`, () => {
      const problems: string[] = [];
      const pattern = new RegExp(`^${name}: .*byte (\\d+)`);
      for (let cut = 0; cut < raw.length; cut++) {
        const r = read(name, raw.subarray(0, cut));
        let before = 0;
        while (before < ends.length && ends[before] <= cut) before++;
        if (!prefix(r.events, before)) problems.push(`cut at ${cut}: ${r.events.length} events, expected the first ${before}`);
        if (r.error !== null) {
          const m = pattern.exec(r.error);
          if (!m) problems.push(`cut at ${cut}: message ${r.error}`);
          else if (Number(m[1]) > cut) problems.push(`cut at ${cut}: damage reported past the cut: ${r.error}`);
        } else if (!(cut === 0 || before === ends.length || ends.includes(cut) || cut < ends[0])) {
          // Only a cut between two blocks ends cleanly.
          problems.push(`cut at ${cut} ended cleanly`);
        }
      }
      expect(problems.slice(0, 10)).toEqual([]);
    });

    it(`${name}: cut at every offset of the gzip file`, () => {
      const gz = gzipSync(raw);
      const problems: string[] = [];
      for (let cut = 0; cut < gz.length; cut++) {
        const r = read(name, gz.subarray(0, cut));
        if (r.error === null) problems.push(`gzip cut at ${cut} ended cleanly`);
        else if (cut > 20 && !/^.*decompressed/.test(r.error)) problems.push(`gzip cut at ${cut}: ${r.error}`);
        if (!prefix(r.events)) problems.push(`gzip cut at ${cut}: events are not a prefix`);
      }
      expect(problems.slice(0, 10)).toEqual([]);
      expect(read(name, gz)).toEqual(complete);
    });

    it(`${name}: random byte flips end cleanly or with a UserError`, () => {
      const next = rng(0x5ca9);
      const gz = gzipSync(raw);
      for (let trial = 0; trial < 1500; trial++) {
        for (const source of [raw, gz]) {
          const bytes = new Uint8Array(source);
          const pos = Math.floor(next() * bytes.length);
          bytes[pos] ^= 1 + Math.floor(next() * 255);
          const r = read(name, bytes);
          if (r.error !== null) expect(r.error, `trial ${trial} at ${pos}`).toMatch(new RegExp(`^${name}: `));
          expect(r.events.length).toBeLessThanOrEqual(complete.events.length + 1);
        }
      }
    });
  }

  it('a real gzip fixture cut every 13 bytes', () => {
    const file = readFileSync(fixture('libs_test_ipv6_client.scap'));
    const complete = read('real.scap', file);
    expect(complete.error).toBeNull();
    const problems: string[] = [];
    for (let cut = 0; cut < file.length; cut += 13) {
      const r = read('real.scap', file.subarray(0, cut));
      if (r.error === null) problems.push(`cut at ${cut} ended cleanly`);
      if (!r.events.every((num, i) => num === complete.events[i])) problems.push(`cut at ${cut}: events are not a prefix`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });
});
