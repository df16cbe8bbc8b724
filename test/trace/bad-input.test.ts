import { copyFileSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileWriter, Table, tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace } from '../../src/trace/reader.js';
import { traceSchema } from '../../src/trace/schema.js';
import { completeMetadata, createTraceWriter } from '../../src/trace/writer.js';
import { createBatchBuilder } from '../../src/trace/batch-builder.js';
import { STACK_LINE, tempDir, tsfalco } from '../helpers/cli.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const file = (name: string) => join(tmp.dir, name);

function goodTrace(name: string): string {
  const path = file(name);
  const writer = createTraceWriter(path, { source: 'test:bad-input' }, { batchRows: 100 });
  for (let i = 1; i <= 500; i++) writer.append({ ts: BigInt(i), num: BigInt(i), type: 'openat', pid: 7, comm: 'cat', path: `/etc/f${i}` });
  writer.close();
  return path;
}

/** A trace written by a hypothetical future tsfalco with format version `version`. */
function traceWithVersion(name: string, version: string): string {
  const schema = traceSchema({ ...completeMetadata({ source: 'test:future' }), formatVersion: version });
  const builder = createBatchBuilder(schema, 10);
  builder.append({ ts: 1n, num: 1n, type: 'openat' });
  const writer = new RecordBatchFileWriter();
  writer.write(builder.take()!);
  writeFileSync(file(name), writer.finish().toUint8Array(true));
  return file(name);
}

/** Runs `trace info` and checks the one-clear-line contract: exit 1, the file named, no stack. */
function expectOneClearError(path: string, pattern: RegExp) {
  const r = tsfalco(['trace', 'info', path]);
  expect(r.status).toBe(1);
  expect(r.stderr).not.toMatch(STACK_LINE);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(path);
  expect(lines[0]).toMatch(pattern);
  return r;
}

describe('bad input to the trace reader', () => {
  it('a text file is not an Arrow file', () => {
    writeFileSync(file('notes.txt'), 'hello, this is not a trace\n');
    expectOneClearError(file('notes.txt'), /not an Arrow file: no ARROW1 magic at byte 0/);
  });

  it('a .scap capture is read as one (trace info reads .scap files): a broken one gets a .scap message', () => {
    writeFileSync(file('cap.scap'), Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]));
    expectOneClearError(file('cap.scap'), /damaged \.scap data at byte 0: block of type 0xa0d0d0a has an impossible length 0/);
  });

  it('an empty file, a directory and a missing file', () => {
    writeFileSync(file('empty.arrow'), '');
    expectOneClearError(file('empty.arrow'), /empty file/);
    mkdirSync(file('dir.arrow'));
    expectOneClearError(file('dir.arrow'), /is a directory/);
    expectOneClearError(file('missing.arrow'), /no such file/);
  });

  it('an Arrow file that is not a tsfalco trace', () => {
    const table = tableFromArrays({ a: Int32Array.from([1, 2, 3]), b: ['x', 'y', 'z'] }) as Table;
    const writer = RecordBatchFileWriter.writeAll(table);
    writeFileSync(file('plain.arrow'), writer.toUint8Array(true));
    expectOneClearError(file('plain.arrow'), /an Arrow file, but not a tsfalco trace \(the schema in its footer has no tsfalco\.format_version/);
  });

  it('a newer major format version is refused, saying which version was found and which is supported', () => {
    const path = traceWithVersion('future.arrow', '2.0');
    expect(() => openTrace(path)).toThrow(/format version 2\.0 is newer than this tsfalco supports \(1\.x\)/);
    expectOneClearError(path, /trace format version 2\.0 is newer than this tsfalco supports \(1\.x\); upgrade tsfalco/);
  });

  it('a newer minor version of the same major is read', () => {
    const path = traceWithVersion('minor.arrow', '1.7');
    const trace = openTrace(path);
    expect([...trace.batches()].reduce((n, b) => n + b.numRows, 0)).toBe(1);
    expect(trace.metadata.formatVersion).toBe('1.7');
  });

  it('a truncated trace: the events before the cut are reported, the file is called incomplete, exit 1', () => {
    const whole = goodTrace('whole.arrow');
    const cut = file('cut.arrow');
    copyFileSync(whole, cut);
    truncateSync(cut, Math.floor(statSync(whole).size * 0.7));
    const r = tsfalco(['trace', 'info', cut, '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).toMatch(/cut\.arrow: incomplete trace: \d+ complete batch\(es\) read; data ends at byte \d+/);
    const [report] = JSON.parse(r.stdout);
    expect(report.complete).toBe(false);
    expect(report.events).toBeGreaterThan(0);
    expect(report.events % 100).toBe(0);
    expect(report.events).toBeLessThan(500);
    expect(report.stopped_at_byte).toBeLessThan(statSync(cut).size + 1);
  });

  it('several traces: a bad one does not hide the good ones', () => {
    const good = goodTrace('good.arrow');
    writeFileSync(file('bad.txt'), 'nope');
    const r = tsfalco(['trace', 'info', good, file('bad.txt'), '--json']);
    expect(r.status).toBe(1);
    const reports = JSON.parse(r.stdout);
    expect(reports[0].events).toBe(500);
    expect(reports[1].error).toMatch(/not an Arrow file/);
  });

  it('terminal escapes in trace strings are neutralised in the report', () => {
    const path = file('evil.arrow');
    const writer = createTraceWriter(path, { source: 'test' });
    writer.append({ ts: 1n, num: 1n, type: 'execve', pid: 66, comm: 'x\u001b]0;pwned\u0007', exepath: '/tmp/\u001b[31mred' });
    writer.close();
    const r = tsfalco(['trace', 'info', path]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('x\\x1b]0;pwned\\x07');
  });
});
