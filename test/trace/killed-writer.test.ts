import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileReader } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace } from '../../src/trace/reader.js';
import { repairTrace } from '../../src/trace/repair.js';
import { createTraceWriter } from '../../src/trace/writer.js';
import { ROOT, STACK_LINE, tempDir, tsfalco } from '../helpers/cli.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

function readAll(path: string) {
  const trace = openTrace(path);
  let rows = 0;
  let batches = 0;
  let lastNum = 0n;
  for (const batch of trace.batches()) {
    batches++;
    rows += batch.numRows;
    lastNum = batch.getChild('num')!.get(batch.numRows - 1) as bigint;
  }
  const ending = trace.ending();
  trace.close();
  return { rows, batches, lastNum, ending };
}

/** Starts the endless writer, waits until it reports `batches` batches, then SIGKILLs it. */
async function killWriterAfter(path: string, batches: number): Promise<number> {
  const child = spawn(process.execPath, [join(ROOT, 'test/helpers/endless-writer.mjs'), path, '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let reported = 0;
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^batch (\d+)/.exec(line);
        if (m) reported = Number(m[1]);
      }
      if (reported >= batches) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => (reported >= batches ? resolve() : reject(new Error('writer exited early'))));
  });
  await new Promise((resolve) => child.once('exit', resolve).once('close', resolve));
  return reported;
}

describe('a writer killed with SIGKILL', () => {
  it('leaves a file whose completed batches all read back, and trace repair completes it', async () => {
    const path = join(tmp.dir, 'killed.arrow');
    const reported = await killWriterAfter(path, 5);
    const before = readAll(path);
    // Every batch the writer reported as written is there (one more may have landed before the kill).
    expect(before.batches).toBeGreaterThanOrEqual(reported);
    expect(before.rows).toBe(before.batches * 3000);
    expect(before.lastNum).toBe(BigInt(before.rows));
    expect(before.ending.complete).toBe(false);

    const info = tsfalco(['trace', 'info', path]);
    expect(info.status).toBe(1);
    expect(info.stdout).toMatch(new RegExp(`events\\s+│\\s+${before.rows.toLocaleString('en-US')}`));
    expect(info.stderr).toMatch(/incomplete trace: .*tsfalco trace repair/);
    expect(info.stderr).not.toMatch(STACK_LINE);

    const repair = tsfalco(['trace', 'repair', path]);
    expect(repair.stderr).toBe('');
    expect(repair.status).toBe(0);
    expect(repair.stdout).toMatch(/repaired: \d+ record batch/);
    const after = readAll(path);
    expect(after.ending.complete).toBe(true);
    expect(after.rows).toBe(before.rows);
    // Independent check: apache-arrow's own file reader finds every batch through the new footer.
    const footerReader = RecordBatchFileReader.from(readFileSync(path)).open();
    expect(footerReader.footer?.numRecordBatches).toBe(before.batches);
    expect(tsfalco(['trace', 'info', path]).status).toBe(0);
    expect(tsfalco(['trace', 'repair', path]).stdout).toMatch(/already complete/);
  });
});

describe('a file cut at any byte', () => {
  // One complete trace of a few batches, then every cut point within it (sampled densely).
  const source = join(tmp.dir, 'whole.arrow');
  const writer = createTraceWriter(source, { source: 'test:cuts' }, { batchRows: 40 });
  for (let i = 1; i <= 200; i++) {
    writer.append({ ts: BigInt(i), num: BigInt(i), type: i % 3 ? 'read' : 'write', pid: i % 7, comm: `p${i % 7}`, path: `/data/${i}`, args: [`a${i}`] });
  }
  writer.close();
  const size = statSync(source).size;
  const whole = readAll(source);

  it('reads exactly the batches that lie wholly before the cut, and repair makes every cut readable', () => {
    expect(whole.batches).toBe(5);
    const step = Math.max(1, Math.floor(size / 400));
    let previousRows = 0;
    for (let cut = 8; cut < size; cut += step) {
      const path = join(tmp.dir, 'cut.arrow');
      copyFileSync(source, path);
      truncateSync(path, cut);
      let result: ReturnType<typeof readAll>;
      try {
        result = readAll(path);
      } catch (err) {
        // Only a cut before the schema message is complete may refuse to open, with a clear message.
        expect((err as Error).message).toMatch(/no Arrow schema at byte 8/);
        continue;
      }
      expect(result.rows % 40).toBe(0);
      expect(result.rows).toBeGreaterThanOrEqual(previousRows); // more bytes never give fewer rows
      previousRows = result.rows;
      expect(result.ending.complete).toBe(false);
      repairTrace(path);
      const repaired = readAll(path);
      expect(repaired.ending.complete).toBe(true);
      expect(repaired.rows).toBe(result.rows);
      expect(RecordBatchFileReader.from(readFileSync(path)).open().footer?.numRecordBatches).toBe(result.batches);
    }
    expect(previousRows).toBe(200); // the last cuts (inside the footer) keep every batch
  });

  it('reports a flipped byte inside the data with its offset instead of crashing', () => {
    const bytes = readFileSync(source);
    let clean = 0;
    for (let offset = 16; offset < size; offset += 97) {
      const damaged = Buffer.from(bytes);
      damaged[offset] ^= 0xff;
      const path = join(tmp.dir, 'flipped.arrow');
      writeFileSync(path, damaged);
      try {
        readAll(path);
        clean++; // a flip inside column values is just different data
      } catch (err) {
        if ((err as Error).name !== 'UserError') throw err;
        expect((err as Error).message).toMatch(/flipped\.arrow: .*byte \d+/);
      }
    }
    expect(clean).toBeGreaterThan(0);
  });
});
