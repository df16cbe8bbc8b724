import { basename } from 'node:path';
import { expect, it } from 'vitest';
import { tsfalco } from '../helpers/cli.js';
import { compareEvents, formatOf, LIBS_ACCEPT, libsNormalize, lines, run, splitEvents, type Rec } from './fields-compare.js';
import { FIXTURE_NEEDS, sysdigReadableFixtures } from './helpers.js';
import { sysdigSuite } from './sysdig.js';

/**
 * Fields through tsfalco against libsinsp: for every fixture sysdig 0.29 can read, the same
 * `-p` format printed by `tsfalco replay FILE --filter 'evt.num>0' -p FORMAT` and by
 * `sysdig -r FILE -p FORMAT`, compared line by line and field by field. The expected values are
 * sysdig's, produced at test time. What this and fields-captured-sysdig.test.ts share is in
 * fields-compare.ts.
 *
 * tsfalco follows current libsinsp where it and the libsinsp inside sysdig 0.29 (libs of early
 * 2022) legitimately differ, and does not copy sysdig 0.29's bugs: those differences, and only
 * those, are turned into current libsinsp's form (`normalize`) or accepted (`LIBS_ACCEPT`),
 * each with its reason. Anything else that differs fails the test.
 */

/** The formats compared (see fields-compare.ts: `*` keeps events with <NA> values). */
const FORMATS: readonly (readonly string[])[] = [
  ['evt.num', 'evt.type', 'evt.dir', 'evt.cpu', 'thread.tid', 'proc.name', 'proc.pid', 'proc.ppid', 'proc.exe', 'proc.cmdline', 'user.name', 'user.uid'],
  ['evt.num', 'evt.type', 'evt.dir', 'fd.num', 'fd.name', 'fd.type', 'fd.typechar', 'evt.res', 'evt.rawres', 'evt.failed', 'evt.is_open_read', 'evt.is_open_write'],
  ['evt.num', 'evt.type', 'evt.dir', 'evt.res', 'fd.name', 'fd.sip', 'fd.cip', 'fd.sport', 'fd.cport', 'fd.l4proto', 'fd.sockfamily', 'evt.is_io', 'evt.is_io_read', 'evt.is_io_write', 'evt.io_dir', 'evt.is_wait'],
  ['evt.num', 'evt.type', 'evt.dir', 'evt.args'],
  ['evt.num', 'evt.type', 'evt.dir', 'evt.info', 'evt.arg[0]', 'evt.arg[1]', 'evt.arg.fd', 'evt.arg.name', 'evt.arg.res', 'evt.arg.flags', 'evt.arg.tuple', 'evt.arg.data', 'evt.arg.size'],
];

/**
 * sysdig 0.29's value rewritten as current libsinsp prints it: the libs changes every capture
 * shows (fields-compare.ts), then what only one fixture shows.
 */
function normalize(field: string, value: string, r: Rec, file: string): string {
  let v = libsNormalize(field, value, r);
  const args = field === 'evt.args' || field === 'evt.info';
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

/** The mismatches between sysdig's and tsfalco's output of one format on one file. */
function compare(file: string, fields: readonly string[]): { theirs: string[][]; ours: string[][]; mismatches: string[] } {
  const format = formatOf(fields);
  const s = run('sysdig', ['-r', file, '-p', format]);
  expect(s.status, s.stderr).toBe(0);
  const o = tsfalco(['replay', file, '--filter', 'evt.num>0', '-p', format, '--no-summary']);
  expect(o.status, o.stderr).toBe(0);
  const theirs = splitEvents(s.stdout, fields);
  const ours = splitEvents(o.stdout, fields);
  const name = basename(file);
  const c = compareEvents({ fields, theirs, pair: (i) => ours[i], normalize: (f, v, r) => normalize(f, v, r, name), rules: LIBS_ACCEPT });
  return { theirs, ours, mismatches: c.mismatches };
}

const readable = sysdigReadableFixtures();

sysdigSuite('fields through tsfalco equal libsinsp\'s (sysdig -r -p)', () => {
  for (const file of readable) {
    for (const fields of FORMATS) {
      it(`${basename(file)}: ${fields.slice(3).join(' ')}`, () => {
        const { theirs, ours, mismatches } = compare(file, fields);
        // The same events, in the same order (internal events such as procinfo left out by both).
        expect(ours.map((e) => e.slice(0, 3).join(' '))).toEqual(theirs.map((e) => e.slice(0, 3).join(' ')));
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
    // mmap exits: fd.name is an fd field for current libsinsp (see LIBS_ACCEPT), none in 0.29.
    const ours = lines(o.stdout).filter((l) => !/^\d+ mmap /.test(l));
    expect(ours).toEqual(lines(s.stdout));
    expect(ours.length).toBeGreaterThan(10);
  });
}, { needs: FIXTURE_NEEDS });
