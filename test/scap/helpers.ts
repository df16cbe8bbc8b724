import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BlockReader, eventBlockKind } from '../../src/scap/blocks.js';
import { PT } from '../../src/scap/event-table.js';
import { ScapInput } from '../../src/scap/input.js';
import { paramText } from '../../src/scap/params.js';
import { syscallName } from '../../src/scap/ppm-sc.js';
import { ScapEvent } from '../../src/scap/scap-event.js';

export const FIXTURES = '/work/shared/fixtures/scap';

export function fixtures(): string[] {
  try {
    return readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.scap'))
      .sort()
      .map((f) => join(FIXTURES, f));
  } catch {
    return [];
  }
}

export const HAVE_SYSDIG = spawnSync('sysdig', ['--version'], { encoding: 'utf8' }).status === 0;

export interface SysdigEvent {
  num: number;
  type: string;
  dir: string;
  tid: number;
  args: string;
}

/** sysdig's view of a capture: every event it prints, as JSON lines. */
export function sysdigEvents(file: string): { events: SysdigEvent[]; status: number | null; stderr: string } {
  const r = spawnSync('sysdig', ['-r', file, '-j', '-p', '*%evt.num %evt.type %evt.dir %thread.tid %evt.args'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const events: SysdigEvent[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as Record<string, unknown>;
    events.push({ num: Number(j['evt.num']), type: String(j['evt.type']), dir: String(j['evt.dir']), tid: Number(j['thread.tid']), args: String(j['evt.args'] ?? '') });
  }
  return { events, status: r.status, stderr: r.stderr };
}

/** sysdig's "Captured Events" count of a capture. */
export function sysdigCount(file: string): number | null {
  const r = spawnSync('sysdig', ['-r', file, '-v'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const m = /Captured Events: (\d+)/.exec(r.stdout + r.stderr);
  return m ? Number(m[1]) : null;
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
