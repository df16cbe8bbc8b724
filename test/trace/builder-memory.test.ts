import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * A batch builder whose batches are never recycled (the .scap reader's: its consumer may keep a
 * batch) must not keep the arrays it handed out: a 1.3 GB .scap once replayed in 2.8 GB because
 * every batch's arrays stayed referenced. Measured in a child with a forced collection: after
 * 300 batches of 4096 rows are taken and dropped, the ArrayBuffers still alive are a few of the
 * builder's own, not 300 batches' worth.
 */
const SCRIPT = `
const { createBatchBuilder } = await import(${JSON.stringify(join(ROOT, 'dist/src/trace/batch-builder.js'))});
const { traceSchema } = await import(${JSON.stringify(join(ROOT, 'dist/src/trace/schema.js'))});
const { completeMetadata } = await import(${JSON.stringify(join(ROOT, 'dist/src/trace/writer.js'))});
const builder = createBatchBuilder(traceSchema(completeMetadata({ source: 'test:memory' })), 4096);
for (let b = 0; b < 300; b++) {
  for (let r = 0; r < 4096; r++) {
    builder.append({ ts: BigInt(b * 4096 + r), num: BigInt(b * 4096 + r), type: 'openat', dir: '<', cpu: 1, tid: r, pid: r, res: 3n, fd: 3n, path: '/etc/hosts', flags: 1 });
  }
  builder.take();
}
globalThis.gc();
process.stdout.write(String(process.memoryUsage().arrayBuffers));
`;

it('a builder that is not recycled keeps none of the batches it handed out', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const plain = Number(r.stdout);
  // 300 batches × ~10 columns × 4096 rows × up to 8 bytes would be ~100 MB; what stays is the
  // builder's own arrays, about 1 MB.
  expect(plain).toBeLessThan(8 << 20);
});
