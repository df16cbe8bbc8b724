import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openScap } from '../../src/scap/index.js';
import { writeScap } from '../../src/scap/writer.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { batchEvents } from '../../src/trace/rows.js';
import { readEvents } from '../capture/helpers.js';
import { STACK_LINE, tempDir, tsfalco } from '../helpers/cli.js';
import { INCIDENT_EVENTS, writeIncident } from '../helpers/synthetic-incident.js';
import { createTraceWriter } from '../../src/trace/writer.js';
import { compareRoundTrip, compareWithSysdig, SYSDIG_FIELDS } from './compare.js';
import { sysdigEvents, sysdigSuite, sysdigText } from './sysdig.js';

/**
 * The .scap writer on the synthetic incident (no capture needed): the file our reader reads back
 * holds the same snapshot and events on the columns the format carries, for both targets and with
 * gzip; sysdig reads it with the trace's processes, fds and results; bad paths fail clearly.
 */

const tmp = tempDir('tsfalco-scapw-unit-');
afterAll(() => tmp.cleanup());
const trace = writeIncident(tmp.dir);
const rows = readEvents(trace);

function readBack(path: string): TraceEvent[] {
  const src = openScap(path);
  const out: TraceEvent[] = [];
  try {
    for (const b of src.batches()) out.push(...batchEvents(b));
  } finally {
    src.close();
  }
  return out;
}

function write(name: string, target: 'sysdig-0.29' | 'latest') {
  const out = join(tmp.dir, name);
  const written: [bigint, '>' | '<', number][] = [];
  const summary = writeScap(trace, out, { target, onEvent: (num, dir, code) => written.push([num, dir, code]) });
  return { out, written, summary };
}

describe('scap writer: the synthetic incident', () => {
  for (const target of ['sysdig-0.29', 'latest'] as const) {
    it(`reads back (our reader) with the same snapshot and events, target ${target}`, () => {
      const { out, written, summary } = write(`incident-${target}.scap`, target);
      const syscalls = rows.filter((r) => !r.type.startsWith('snapshot_') && r.type !== 'capture_stats');
      expect(summary).toMatchObject({ target, gzip: false, syscalls: syscalls.length, skipped: {}, threads: rows.filter((r) => r.type === 'snapshot_proc').length });
      // Every completed syscall is an enter and an exit event, but the child's return from clone
      // (no enter) and exit_group (recorded at entry: no exit).
      const halves = syscalls.reduce((n, r) => n + (r.type === 'clone' && r.res === 0n ? 1 : r.type === 'exit_group' ? 1 : 2), 0);
      expect(summary.events).toBe(halves);
      const c = compareRoundTrip(rows, written, readBack(out), target);
      expect(c.mismatches).toEqual([]);
      expect(c.results).toBeGreaterThan(30);
    });
  }

  it('writes gzip when the name ends in .gz: one gzip member with the same bytes', () => {
    const plain = write('incident.scap', 'sysdig-0.29').out;
    const { out, summary } = write('incident.scap.gz', 'sysdig-0.29');
    expect(summary.gzip).toBe(true);
    const gz = readFileSync(out);
    expect(gz.length).toBe(summary.bytes);
    expect(gunzipSync(gz).equals(readFileSync(plain))).toBe(true);
    expect(readBack(out).length).toBe(readBack(plain).length);
  });

  it('fails with one clear message on a bad input or output path, leaving no partial file', () => {
    expect(() => writeScap(join(tmp.dir, 'missing.arrow'), join(tmp.dir, 'x.scap'))).toThrow(/missing\.arrow: no such file/);
    expect(() => writeScap(trace, join(tmp.dir, 'no/such/dir/x.scap'))).toThrow(/x\.scap: cannot create: no such file or directory/);
    const notTrace = join(tmp.dir, 'not-a-trace.arrow');
    writeFileSync(notTrace, 'hello');
    expect(() => writeScap(notTrace, join(tmp.dir, 'y.scap'))).toThrow(/not-a-trace\.arrow: not an Arrow file/);
  });
});

describe('tsfalco convert TRACE OUT.scap', () => {
  it('writes a .scap (or .scap.gz), prints one summary line, refuses to overwrite without --force', () => {
    const out = join(tmp.dir, 'cli.scap');
    const r = tsfalco(['convert', trace, out]);
    expect(r.stderr).toMatch(/→ .*cli\.scap: [\d,]+ events and [\d,]+ records, .* in [\d.]+s \([\d,]+ events\/s\); for sysdig-0\.29\n$/);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out).readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(readBack(out).filter((e) => !e.type.startsWith('snapshot_')).length).toBeGreaterThan(50);

    const again = tsfalco(['convert', trace, out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`tsfalco: ${out}: already exists (use --force to overwrite it)\n`);
    expect(tsfalco(['convert', trace, out, '--force', '--scap-target', 'latest']).stderr).toMatch(/; for latest\n$/);

    const gz = join(tmp.dir, 'cli.scap.gz');
    expect(tsfalco(['convert', trace, gz]).status).toBe(0);
    expect(readFileSync(gz).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('fails with one line naming the file on a missing input, and converts a .scap back to .scap', () => {
    const r = tsfalco(['convert', join(tmp.dir, 'nope.arrow'), join(tmp.dir, 'nope.scap')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsfalco: ${join(tmp.dir, 'nope.arrow')}: no such file\n`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    const first = join(tmp.dir, 'first.scap');
    const second = join(tmp.dir, 'second.scap');
    expect(tsfalco(['convert', trace, first]).status).toBe(0);
    expect(tsfalco(['convert', first, second]).status).toBe(0);
    // A .scap read back holds enter and exit events as rows of their own: each is written as it is.
    const a = readBack(first).filter((e) => !e.type.startsWith('snapshot_'));
    const b = readBack(second).filter((e) => !e.type.startsWith('snapshot_'));
    expect(b.map((e) => [e.ts, e.tid, e.type, e.dir, e.res, e.fd, e.path])).toEqual(a.map((e) => [e.ts, e.tid, e.type, e.dir, e.res, e.fd, e.path]));
  });
});

sysdigSuite('scap writer: the synthetic incident read by sysdig', () => {
  it('shows the trace\'s processes, images, arguments, fd names and results', () => {
    const { out, written, summary } = write('incident-sysdig.scap', 'sysdig-0.29');
    const events = sysdigEvents(out, SYSDIG_FIELDS);
    expect(events.length).toBe(summary.events);
    const openFlags = new Map<number, number>();
    for (const line of sysdigText(out, '%evt.num %evt.args', 'evt.type in (open, openat, openat2, creat) and evt.dir=<').split('\n')) {
      const m = /^(\d+) .*\bflags=(\d+)\(/.exec(line);
      if (m) openFlags.set(Number(m[1]), Number(m[2]));
    }
    const c = compareWithSysdig(rows, written, events, openFlags);
    expect(c.mismatches).toEqual([]);
    expect(c.fdNames).toBeGreaterThan(5);
    // The reverse shell: sh's stdin is the connection to the attacker.
    const shell = events.find((e) => e['evt.type'] === 'execve' && e['evt.dir'] === '<' && e['proc.name'] === 'sh');
    expect(shell).toBeDefined();
  });
});

sysdigSuite('scap writer: strings beyond what libscap accepts', () => {
  // A host can hold a command line of many KiB, a cwd or an open file deeper than 1 KiB: libscap
  // refuses a whole file with one of them (a process-list string over 1024 bytes, an argument list
  // over 4096, an fd name of 1024 or more), so the writer cuts them to what it keeps.
  const BASH = 2240;
  const args = ['x'.repeat(3000), 'é'.repeat(1000)];
  const cwd = `/home/alice/${'d'.repeat(1500)}`;
  const tty = `/dev/pts/${'p'.repeat(2000)}`;
  const longTrace = join(tmp.dir, 'long-strings.arrow');
  const writer = createTraceWriter(longTrace, { source: 'test:long-strings', host: 'web-01' }, { overwrite: true });
  for (const e of INCIDENT_EVENTS) {
    if (e.type === 'snapshot_proc' && e.tid === BASH) writer.append({ ...e, args, cwd });
    else if (e.type === 'snapshot_fd' && e.pid === BASH && e.fd === 1n) writer.append({ ...e, path: tty });
    else writer.append(e);
  }
  writer.close();

  for (const target of ['sysdig-0.29', 'latest'] as const) {
    it(`sysdig opens the file and shows the strings' start (${target})`, () => {
      const out = join(tmp.dir, `long-strings-${target}.scap`);
      writeScap(longTrace, out, { target });
      const seen = sysdigEvents(out, ['proc.pid', 'proc.args'], `proc.pid=${BASH}`);
      expect(seen.length).toBeGreaterThan(0);
      const first = seen[0]!;
      const shownArgs = String(first['proc.args']);
      expect(shownArgs.startsWith('x'.repeat(3000) + ' éé')).toBe(true);
      expect(Buffer.byteLength(shownArgs)).toBeLessThanOrEqual(4096);
      const back = readBack(out);
      const proc = back.find((e) => e.type === 'snapshot_proc' && e.tid === BASH);
      expect(proc?.cwd).toBe(cwd.slice(0, 1024));
      const fd = back.find((e) => e.type === 'snapshot_fd' && e.pid === BASH && e.fd === 1n);
      expect(tty.startsWith(fd?.path ?? '-')).toBe(true);
      expect(Buffer.byteLength(fd!.path!)).toBe(1023);
    });
  }
});
