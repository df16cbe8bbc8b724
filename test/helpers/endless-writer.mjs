// Writes batches to a trace forever, printing "batch N" after each one is on disk, so that a test
// can SIGKILL it at an arbitrary moment. Uses the compiled writer (npm test builds it first).
import { createTraceWriter } from '../../dist/src/trace/writer.js';

const [path, rowsPerBatch = '500'] = process.argv.slice(2);
const writer = createTraceWriter(path, { source: 'test:endless-writer' }, { batchRows: 1 << 20 });
let num = 0n;
let batch = 0;
function writeBatch() {
  for (let i = 0; i < Number(rowsPerBatch); i++) {
    num++;
    writer.append({ ts: 1_700_000_000_000_000_000n + num, num, type: num % 2n ? 'openat' : 'close', dir: '<', pid: 42, tid: 42, comm: 'writer', path: `/tmp/f${num % 1000n}`, res: 3n });
  }
  writer.flush();
  process.stdout.write(`batch ${++batch} rows ${num}\n`);
  setTimeout(writeBatch, 1);
}
writeBatch();
