import { spawnSync } from 'node:child_process';
import { ERRNO_NAMES } from '../../src/scap/value-names.js';

/**
 * What the field comparisons with sysdig 0.29 share (test/scap/fields-sysdig.test.ts on Falco's
 * fixtures, test/scap/fields-captured-sysdig.test.ts on our own captures): running both sides
 * with one `-p` format, splitting their output into events and fields, and the differences that
 * are libsinsp 0.29 (libs of early 2022) against current libsinsp, which tsfalco follows: those
 * are turned into current libsinsp's form (`libsNormalize`) or accepted (`LIBS_ACCEPT`), each
 * with its reason. Anything else that differs is a mismatch.
 */

export const SEP = ' |#| ';
/** Starts every event's line: a buffer or path can hold a newline, an event cannot hold this. */
const START = '@@ev@@';

export type Rec = Record<string, string>;

export interface Rule {
  why: string;
  test: (field: string, theirs: string, ours: string, r: Rec) => boolean;
}

export function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** `*` keeps events with missing values (shown as <NA>), as sysdig's default does. */
export function formatOf(fields: readonly string[]): string {
  return `*${START}${fields.map((f) => `%${f}`).join(SEP)}`;
}

/** The events of a `formatOf(fields)` output, each as its field values. */
export function splitEvents(text: string, fields: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const chunk of text.split(START).slice(1)) {
    const values = chunk.replace(/\n$/, '').split(SEP);
    if (values.length !== fields.length) throw new Error(`an event of ${values.length} fields where ${fields.length} were asked for: ${chunk.slice(0, 300)}`);
    out.push(values);
  }
  return out;
}

const hexToDec = (hex: string) => BigInt(`0x${hex}`).toString();

/** sysdig 0.29's value rewritten as current libsinsp prints it, where only the rendering changed. */
export function libsNormalize(field: string, value: string, r: Rec): string {
  let v = value;
  const args = field === 'evt.args' || field === 'evt.info';
  // 0.29 ends evt.args with a space after the last parameter; current libsinsp trims it.
  if (args) v = v.replace(/ $/, '');
  if (r['evt.type'] === 'mmap' && r['evt.dir'] === '<') {
    // 0.29's event table typed mmap's result PT_UINT64 printed in hex; current libs types it
    // PT_ERRNO, which libsinsp prints in decimal (like every errno-typed result).
    if (args) v = v.replace(/^res=([0-9A-F]+)/, (_m, h: string) => `res=${hexToDec(h)}`);
    if ((field === 'evt.arg.res' || field === 'evt.arg[0]') && /^[0-9A-F]+$/.test(v)) v = hexToDec(v);
    // a failure printed as an unsigned 64-bit number: now the errno's name
    if ((field === 'evt.arg.res' || field === 'evt.arg[0]') && /^\d{19,20}$/.test(v)) {
      const n = BigInt.asIntN(64, BigInt(v));
      if (n < 0n) v = ERRNO_NAMES.get(Number(-n)) ?? String(n);
    }
  }
  if (r['evt.type'] === 'mmap' && args) {
    // a failed mmap's PT_UINT64 result printed unsigned; now an errno
    v = v.replace(/^res=(\d{19,20})(?= |$)/, (m, d: string) => {
      const n = BigInt.asIntN(64, BigInt(d));
      return n < 0n ? `res=${n}(${ERRNO_NAMES.get(Number(-n)) ?? n})` : m;
    });
  }
  if (r['evt.type'] === 'mmap' && field === 'evt.res' && /^[0-9A-F]{16}$/.test(v)) {
    // the same PT_UINT64 result: a failure's errno, as evt.res names it now
    const n = BigInt.asIntN(64, BigInt(`0x${v}`));
    v = n < 0n ? (ERRNO_NAMES.get(Number(-n)) ?? String(n)) : 'SUCCESS';
  }
  if (r['evt.type'] === 'socket' && r['evt.dir'] === '>') {
    // Current libs types socket's domain PT_ENUMFLAGS32: libsinsp names every entry equal to the
    // value, and AF_LOCAL and AF_UNIX are both 1 (0.29's PT_FLAGS32 stopped at the first).
    if (args) v = v.replace(/^domain=1\(AF_LOCAL\)/, 'domain=1(AF_LOCAL|AF_UNIX)');
    if (field === 'evt.arg[0]' && v === 'AF_LOCAL') v = 'AF_LOCAL|AF_UNIX';
  }
  return v;
}


/** Differences that are libsinsp 0.29 against current libsinsp, or sysdig 0.29 bugs: why each is accepted. */
/** Fields of a socket's addresses. */
const ADDRESS_FIELD = /^fd\.(name|sip|sport|cip|cport|lip|lport|rip|rport|[cslr]proto|is_server)$/;
const DATAGRAM = new Set(['sendto', 'sendmsg', 'recvfrom', 'recvmsg', 'close']);

export const LIBS_ACCEPT: readonly Rule[] = [
  {
    why: "a datagram socket's addresses follow each sendto/recvfrom tuple in current libsinsp (falcosecurity/libs 3ce014124, 2022-03-21, 'overwrite fd destination address when safe to do so', after 0.29's libs), with the role guessed from the first one's direction; 0.29 kept the first destination",
    test: (f, _t, _o, r) => ADDRESS_FIELD.test(f) && DATAGRAM.has(r['evt.type']) && r['evt.dir'] === '<',
  },
  {
    why: '0.29 says evt.failed=false for events without a return value; current libsinsp has no value for them',
    test: (f, t, o, r) => f === 'evt.failed' && t === 'false' && o === '<NA>' && r['evt.rawres'] === '<NA>',
  },
  {
    why: "0.29's event table did not flag mmap as using an fd (EF_USES_FD); current libs does, so the fd fields apply to it",
    test: (f, t, _o, r) => r['evt.type'] === 'mmap' && f.startsWith('fd.') && t === '<NA>',
  },
  {
    why: "0.29 guessed the type letter 'f' for an open event without an fd (the enter event, a failed open); current libsinsp's extract_typechar names only openat, openat2 and creat ('o' otherwise)",
    test: (f, t, o, r) => f === 'fd.typechar' && r['evt.type'] === 'open' && t === 'f' && o === 'o' && (r['evt.dir'] === '>' || r['fd.num'] === '-1'),
  },
  {
    why: "0.29 named a connecting socket from the connect enter event's address (parse_connect_enter), so even a failed connect named it; current libsinsp has no enter events and a failed connect's exit changes nothing (parse_connect_exit returns first, failed-connection tracking being off as in Falco: falcosecurity/libs f46eec7cf), so the socket keeps its own name",
    test: (f, _t, _o, r) =>
      (f === 'fd.name' || f === 'fd.containername') && r['evt.type'] === 'connect' && r['evt.dir'] === '<' &&
      (r['evt.res'] !== undefined ? r['evt.res'] !== 'SUCCESS' && r['evt.res'] !== 'EINPROGRESS' : Number(r['evt.rawres']) < 0 && Number(r['evt.rawres']) !== -115),
  },
  {
    why: "sysdig 0.29 bug: fd.cport of a socket bound to a port lacks a `break` in its filtercheck and prints 0; current libsinsp has no client port for it",
    test: (f, t, o, r) => f === 'fd.cport' && t === '0' && o === '<NA>' && r['fd.cip'] === '<NA>',
  },
];

export interface Comparison {
  /** events compared */
  events: number;
  /** distinct event types among them */
  types: Set<string>;
  mismatches: string[];
  /** rule → times it applied */
  applied: Map<Rule, number>;
}

/**
 * Field by field, sysdig's events (`theirs`) against tsfalco's (`ours`), each a row of `fields`
 * values. `pair` gives the tsfalco event for sysdig's event `i` (undefined: not compared).
 * `normalize` turns sysdig's value into what tsfalco should print; `rules` accept what is left.
 */
export function compareEvents(options: {
  fields: readonly string[];
  theirs: string[][];
  pair: (i: number, t: string[]) => string[] | undefined;
  normalize: (field: string, value: string, r: Rec) => string;
  rules: readonly Rule[];
  skip?: (field: string) => boolean;
  into?: Comparison;
}): Comparison {
  const { fields, theirs } = options;
  const c: Comparison = options.into ?? { events: 0, types: new Set(), mismatches: [], applied: new Map() };
  for (let i = 0; i < theirs.length; i++) {
    const t = theirs[i];
    const u = options.pair(i, t);
    if (!u) continue;
    c.events++;
    const r: Rec = Object.fromEntries(fields.map((f, j) => [f, t[j]]));
    c.types.add(r['evt.type']);
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j];
      if (options.skip?.(f)) continue;
      const want = options.normalize(f, t[j] ?? '', r);
      const got = u[j] ?? '';
      if (want === got) continue;
      const rule = options.rules.find((a) => a.test(f, want, got, r));
      if (rule) {
        c.applied.set(rule, (c.applied.get(rule) ?? 0) + 1);
        continue;
      }
      c.mismatches.push(`#${r['evt.num']} ${r['evt.type']} ${r['evt.dir']} ${f}: sysdig ${JSON.stringify(want)}, tsfalco ${JSON.stringify(got)}`);
    }
  }
  return c;
}
