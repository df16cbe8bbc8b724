import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { expect, it } from 'vitest';
import { tsfalco } from '../helpers/cli.js';
import { FIXTURE_NEEDS, sysdigReadableFixtures } from './helpers.js';
import { sysdigSuite } from './sysdig.js';

/**
 * Fields through tsfalco against libsinsp: for every fixture sysdig 0.29 can read, the same
 * `-p` format printed by `tsfalco replay FILE --filter 'evt.num>0' -p FORMAT` and by
 * `sysdig -r FILE -p FORMAT`, compared line by line and field by field. The expected values are
 * sysdig's, produced at test time.
 *
 * tsfalco follows current libsinsp where it and the libsinsp inside sysdig 0.29 (libs of early
 * 2022) legitimately differ, and does not copy sysdig 0.29's bugs: those differences, and only
 * those, are turned into current libsinsp's form (`NORMALIZE`) or accepted (`ACCEPT`) below,
 * each with its reason. Anything else that differs fails the test.
 */

const SEP = ' |#| ';

/** The formats compared: `*` keeps events with missing values (shown as <NA>), as sysdig's default does. */
const FORMATS: readonly (readonly string[])[] = [
  ['evt.num', 'evt.type', 'evt.dir', 'evt.cpu', 'thread.tid', 'proc.name', 'proc.pid', 'proc.ppid', 'proc.exe', 'proc.cmdline', 'user.name', 'user.uid'],
  ['evt.num', 'evt.type', 'evt.dir', 'fd.num', 'fd.name', 'fd.type', 'fd.typechar', 'evt.res', 'evt.rawres', 'evt.failed', 'evt.is_open_read', 'evt.is_open_write'],
  ['evt.num', 'evt.type', 'evt.dir', 'evt.res', 'fd.name', 'fd.sip', 'fd.cip', 'fd.sport', 'fd.cport', 'fd.l4proto', 'fd.sockfamily', 'evt.is_io', 'evt.is_io_read', 'evt.is_io_write', 'evt.io_dir', 'evt.is_wait'],
  ['evt.num', 'evt.type', 'evt.dir', 'evt.args'],
  ['evt.num', 'evt.type', 'evt.dir', 'evt.info', 'evt.arg[0]', 'evt.arg[1]', 'evt.arg.fd', 'evt.arg.name', 'evt.arg.res', 'evt.arg.flags', 'evt.arg.tuple', 'evt.arg.data', 'evt.arg.size'],
];

type Rec = Record<string, string>;

const hexToDec = (hex: string) => BigInt(`0x${hex}`).toString();

/**
 * sysdig 0.29's value rewritten as current libsinsp prints it, where only the rendering changed.
 */
function normalize(field: string, value: string, r: Rec, file: string): string {
  let v = value;
  const args = field === 'evt.args' || field === 'evt.info';
  // 0.29 ends evt.args with a space after the last parameter; current libsinsp trims it.
  if (args) v = v.replace(/ $/, '');
  if (r['evt.type'] === 'mmap' && r['evt.dir'] === '<') {
    // 0.29's event table typed mmap's result PT_UINT64 printed in hex; current libs types it
    // PT_ERRNO, which libsinsp prints in decimal (like every errno-typed result).
    if (args) v = v.replace(/^res=([0-9A-F]+)/, (_m, h: string) => `res=${hexToDec(h)}`);
    if ((field === 'evt.arg.res' || field === 'evt.arg[0]') && /^[0-9A-F]+$/.test(v)) v = hexToDec(v);
  }
  if (r['evt.type'] === 'socket' && r['evt.dir'] === '>') {
    // Current libs types socket's domain PT_ENUMFLAGS32: libsinsp names every entry equal to the
    // value, and AF_LOCAL and AF_UNIX are both 1 (0.29's PT_FLAGS32 stopped at the first).
    if (args) v = v.replace(/^domain=1\(AF_LOCAL\)/, 'domain=1(AF_LOCAL|AF_UNIX)');
    if (field === 'evt.arg[0]' && v === 'AF_LOCAL') v = 'AF_LOCAL|AF_UNIX';
  }
  if (file === 'libs_test_ipv6_client.scap' && Number(r['evt.num']) >= 231) {
    // The UDP socket connects a second time (event 231, to 2001:4860:4860::8888:53). 0.29 kept
    // the destination the socket had; current libsinsp's connect parser overwrites it.
    if (field === 'fd.name') v = v.replace('->::1:2345', '->2001:4860:4860::8888:53');
    if (field === 'fd.sip' && v === '::1') v = '2001:4860:4860::8888';
    if (field === 'fd.sport' && v === '2345') v = '53';
    if (args || field === 'evt.arg.fd' || field === 'evt.arg[0]') v = v.replace('(<6u>::1:38255->::1:2345)', '(<6u>::1:38255->2001:4860:4860::8888:53)').replace(/^<6u>::1:38255->::1:2345$/, '<6u>::1:38255->2001:4860:4860::8888:53');
  }
  return v;
}

const FD_FIELDS = new Set(['fd.num', 'fd.name', 'fd.type', 'fd.typechar', 'fd.sip', 'fd.cip', 'fd.sport', 'fd.cport', 'fd.l4proto', 'fd.sockfamily']);

/** Differences that are libsinsp 0.29 against current libsinsp, or sysdig 0.29 bugs: why each is accepted. */
const ACCEPT: readonly { why: string; test: (field: string, theirs: string, ours: string, r: Rec) => boolean }[] = [
  {
    why: '0.29 says evt.failed=false for events without a return value; current libsinsp has no value for them',
    test: (f, t, o, r) => f === 'evt.failed' && t === 'false' && o === '<NA>' && r['evt.rawres'] === '<NA>',
  },
  {
    why: "0.29's event table did not flag mmap as using an fd (EF_USES_FD); current libs does, so the fd fields apply to it",
    test: (f, t, _o, r) => r['evt.type'] === 'mmap' && FD_FIELDS.has(f) && t === '<NA>',
  },
  {
    why: "0.29 guessed the type letter 'f' for an open event without an fd (the enter event, a failed open); current libsinsp's extract_typechar names only openat, openat2 and creat ('o' otherwise)",
    test: (f, t, o, r) => f === 'fd.typechar' && r['evt.type'] === 'open' && t === 'f' && o === 'o' && (r['evt.dir'] === '>' || r['fd.num'] === '-1'),
  },
  {
    why: "0.29 named the fd of a failed connect after the event's tuple; current libsinsp shows the socket's own name, which a failed connect leaves as it was",
    test: (f, _t, _o, r) => f === 'fd.name' && r['evt.type'] === 'connect' && r['evt.dir'] === '<' && r['evt.res'] !== undefined && r['evt.res'] !== 'SUCCESS' && r['evt.res'] !== 'EINPROGRESS',
  },
  {
    why: "sysdig 0.29 bug: fd.cport of a socket bound to a port lacks a `break` in its filtercheck and prints 0; current libsinsp has no client port for it",
    test: (f, t, o, r) => f === 'fd.cport' && t === '0' && o === '<NA>' && r['fd.cip'] === '<NA>',
  },
];

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** The mismatches between sysdig's and tsfalco's output of one format on one file. */
function compare(file: string, fields: readonly string[]): { theirs: string[]; ours: string[]; mismatches: string[]; accepted: Map<string, number> } {
  const format = `*${fields.map((f) => `%${f}`).join(SEP)}`;
  const s = run('sysdig', ['-r', file, '-p', format]);
  expect(s.status, s.stderr).toBe(0);
  const o = tsfalco(['replay', file, '--filter', 'evt.num>0', '-p', format, '--no-summary']);
  expect(o.status, o.stderr).toBe(0);
  const theirs = lines(s.stdout);
  const ours = lines(o.stdout);
  const mismatches: string[] = [];
  const accepted = new Map<string, number>();
  const name = basename(file);
  for (let i = 0; i < Math.min(theirs.length, ours.length); i++) {
    const t = theirs[i].split(SEP);
    const u = ours[i].split(SEP);
    const r: Rec = Object.fromEntries(fields.map((f, j) => [f, t[j]]));
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j];
      const want = normalize(f, t[j] ?? '', r, name);
      const got = u[j] ?? '';
      if (want === got) continue;
      const rule = ACCEPT.find((a) => a.test(f, want, got, r));
      if (rule) {
        accepted.set(rule.why, (accepted.get(rule.why) ?? 0) + 1);
        continue;
      }
      mismatches.push(`#${t[0]} ${t[1]} ${t[2]} ${f}: sysdig ${JSON.stringify(want)}, tsfalco ${JSON.stringify(got)}`);
    }
  }
  return { theirs, ours, mismatches, accepted };
}

const readable = sysdigReadableFixtures();

sysdigSuite('fields through tsfalco equal libsinsp\'s (sysdig -r -p)', () => {
  for (const file of readable) {
    for (const fields of FORMATS) {
      it(`${basename(file)}: ${fields.slice(3).join(' ')}`, () => {
        const { theirs, ours, mismatches } = compare(file, fields);
        // The same events, in the same order (internal events such as procinfo left out by both).
        expect(ours.map((l) => l.split(SEP).slice(0, 3).join(' '))).toEqual(theirs.map((l) => l.split(SEP).slice(0, 3).join(' ')));
        expect(mismatches.slice(0, 25)).toEqual([]);
      });
    }
  }

  it('without -p, each event is printed as sysdig prints it by default', () => {
    const file = readable.find((f) => basename(f) === 'cat_write.scap') ?? readable[0];
    const s = run('sysdig', ['-r', file]);
    const o = tsfalco(['replay', file, '--filter', 'evt.num>0', '--no-summary']);
    expect(o.status, o.stderr).toBe(0);
    // evt.info ends the line: the same normalisations as above (trailing space, mmap results).
    const fix = (l: string) => {
      const m = /^(\S+ \S+ \S+ .* \(\d+\) [<>] )(\S+)( ?)(.*)$/.exec(l);
      if (!m) return l;
      const r: Rec = { 'evt.num': l.split(' ')[0], 'evt.type': m[2], 'evt.dir': m[1].trim().slice(-1) };
      return `${m[1]}${m[2]}${m[3]}${normalize('evt.info', m[4], r, basename(file))}`;
    };
    expect(lines(o.stdout)).toEqual(lines(s.stdout).map(fix));
  });

  it('a format without * leaves out events missing one of its fields, as sysdig does', () => {
    const file = readable.find((f) => basename(f) === 'cat_write.scap') ?? readable[0];
    const format = '%evt.num %evt.type %evt.rawres %fd.name';
    const s = run('sysdig', ['-r', file, '-p', format]);
    const o = tsfalco(['replay', file, '--filter', 'evt.num>0', '-p', format, '--no-summary']);
    expect(o.status, o.stderr).toBe(0);
    // mmap exits: fd.name is an fd field for current libsinsp (see ACCEPT), none in 0.29.
    const ours = lines(o.stdout).filter((l) => !/^\d+ mmap /.test(l));
    expect(ours).toEqual(lines(s.stdout));
    expect(ours.length).toBeGreaterThan(10);
  });
}, { needs: FIXTURE_NEEDS });
