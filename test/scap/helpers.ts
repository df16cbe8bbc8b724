import { basename } from 'node:path';
import { BlockReader, eventBlockKind } from '../../src/scap/blocks.js';
import { PT } from '../../src/scap/event-table.js';
import { ScapInput } from '../../src/scap/input.js';
import { paramText } from '../../src/scap/params.js';
import { syscallName } from '../../src/scap/ppm-sc.js';
import { ScapEvent } from '../../src/scap/scap-event.js';
import { capture, FALCO_CAPTURES, upstreamPath } from '../helpers/upstream.js';

/** Falco's capture files, in the upstream folder (test/helpers/upstream.ts): a suite that reads them needs FIXTURE_NEEDS. */
export const fixture = (name: string) => upstreamPath(capture(name));
export const FIXTURE_NEEDS = FALCO_CAPTURES.map(capture);

/** Every fixture's path, whether or not it is there (the suites that read them skip where they are missing). */
export function fixtures(): string[] {
  return FALCO_CAPTURES.map(fixture);
}

/**
 * The fixtures sysdig 0.29 opens: editcap added pcap-ng comments to libs_curl_google_comments'
 * section header, which its libscap could not skip (current libscap does; tsfalco reads it).
 */
export function sysdigReadableFixtures(): string[] {
  return fixtures().filter((f) => basename(f) !== 'libs_curl_google_comments.scap');
}

export interface RawEvent {
  num: number;
  type: string;
  dir: string;
  tid: number;
  params: { name: string; type: number; text: string }[];
}

/** Our raw decoding of every event of a capture (block and parameter layers only). */
export function rawEvents(file: string): RawEvent[] {
  const input = new ScapInput(file);
  try {
    const r = new BlockReader(input);
    const ev = new ScapEvent();
    const out: RawEvent[] = [];
    let num = 0;
    for (;;) {
      const t = r.next();
      if (t < 0) break;
      if (eventBlockKind(t) === null || !ev.decode(r)) continue;
      num++;
      const generic = ev.info.id === 'GENERIC_E' || ev.info.id === 'GENERIC_X';
      const type = generic ? syscallName(ev.view.getUint16(ev.paramOff[0], true)) : ev.info.name;
      const params = [];
      for (let i = 0; i < ev.nparams; i++) params.push({ name: ev.info.params[i]?.name ?? `p${i}`, type: ev.info.params[i]?.type ?? PT.BYTEBUF, text: paramText(ev, i) });
      out.push({ num, type, dir: ev.info.dir, tid: ev.tid, params });
    }
    return out;
  } finally {
    input.close();
  }
}

/** Splits sysdig's `name=value name=value` by the parameter names we expect, in order. */
export function splitArgs(args: string, names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const text = args.endsWith(' ') ? args.slice(0, -1) : args;
  let pos = 0;
  for (let k = 0; k < names.length; k++) {
    const key = `${names[k]}=`;
    if (!text.startsWith(key, pos)) break;
    const start = pos + key.length;
    let end = text.length;
    for (let n = k + 1; n < names.length; n++) {
      const at = text.indexOf(` ${names[n]}=`, start);
      if (at >= 0) {
        end = at;
        break;
      }
    }
    out.set(names[k], text.slice(start, end));
    pos = end + 1;
  }
  return out;
}
