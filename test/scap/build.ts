import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * Small .scap streams for the bad-input tests, cut out of real fixtures block by block: the
 * section header, machine info, interface and user lists as they are, the process list reduced
 * to its first entries, the first few fd lists and the first events.
 */

export interface RawBlock {
  type: number;
  bytes: Uint8Array;
}

export function decompressed(path: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(path)));
}

export function splitBlocks(raw: Uint8Array): RawBlock[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: RawBlock[] = [];
  for (let off = 0; off + 8 <= raw.length; ) {
    const type = view.getUint32(off, true);
    const len = view.getUint32(off + 4, true);
    out.push({ type, bytes: raw.subarray(off, off + len) });
    off += len;
  }
  return out;
}

export function block(type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const out = new Uint8Array(12 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, out.length, true);
  out.set(body, 8);
  view.setUint32(out.length - 4, out.length, true);
  return out;
}

/** End offset of the process-list entry at `at` (v5: walk the fields; v9: its length prefix). */
function procEntryEnd(body: Uint8Array, at: number, type: number): number {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (type === 0x215) return at + view.getUint32(at, true);
  if (type !== 0x211) throw new Error(`no entry walker for process list 0x${type.toString(16)}`);
  let p = at + 24; // tid, pid, ptid
  const str = () => {
    p += 2 + view.getUint16(p, true);
  };
  str(); // comm
  str(); // exe
  str(); // args
  str(); // cwd
  p += 8 + 4 + 4 + 4; // fdlimit, flags, uid, gid
  p += 4 + 4 + 4 + 8 + 8; // vmsize, vmrss, vmswap, pfmajor, pfminor
  str(); // env
  p += 16; // vtid, vpid
  str(); // cgroups
  str(); // root
  return p;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const EVENT_BLOCKS = new Set([0x204, 0x208, 0x216, 0x217, 0x221, 0x222]);
const FD_BLOCKS = new Set([0x203, 0x218]);
const PROC_BLOCKS = new Set([0x211, 0x215]);

/** A small stream from a real capture: `procs` process entries, `fdLists` fd lists, `events` events. */
export function smallStream(raw: Uint8Array, procs: number, fdLists: number, events: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let fds = 0;
  let evs = 0;
  for (const b of splitBlocks(raw)) {
    if (PROC_BLOCKS.has(b.type)) {
      const body = b.bytes.subarray(8, b.bytes.length - 4);
      let at = 0;
      for (let i = 0; i < procs; i++) at = procEntryEnd(body, at, b.type);
      parts.push(block(b.type, body.subarray(0, at)));
    } else if (FD_BLOCKS.has(b.type)) {
      if (fds++ < fdLists) parts.push(b.bytes);
    } else if (EVENT_BLOCKS.has(b.type)) {
      if (evs++ < events) parts.push(b.bytes);
    } else {
      parts.push(b.bytes);
    }
  }
  return concat(parts);
}

/** Offsets where each event block of a stream ends (to count the events complete before a cut). */
export function eventEnds(raw: Uint8Array): number[] {
  const ends: number[] = [];
  let off = 0;
  for (const b of splitBlocks(raw)) {
    off += b.bytes.length;
    if (EVENT_BLOCKS.has(b.type)) ends.push(off);
  }
  return ends;
}
