import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openScap } from '../../src/scap/index.js';
import { writeScapFrom } from '../../src/scap/writer.js';
import { tempDir } from '../helpers/cli.js';
import { FIXTURE_NEEDS, sysdigReadableFixtures } from './helpers.js';
import { sysdigSuite, sysdigText } from './sysdig.js';

/**
 * Falco's own captures (fixtures/scap in the upstream folder, test/helpers/upstream.ts) read by
 * our reader and written again by our writer: sysdig shows the same events, threads, processes,
 * fds and results in both files. What may differ, and why: event numbers (container and other
 * meta events become snapshot rows, not events), and the kernel addresses in a unix socket's
 * tuple (the trace does not keep them).
 */

const FIELDS = '*%evt.type|%evt.dir|%thread.tid|%proc.name|%proc.pid|%proc.ppid|%proc.exe|%proc.args|%fd.num|%fd.name|%evt.res';

const tmp = tempDir('tsfalco-scapw-fx-');
afterAll(() => tmp.cleanup());

sysdigSuite("scap writer: Falco's captures read and written again", () => {
  for (const file of sysdigReadableFixtures()) {
    const name = file.split('/').pop()!;
    it(`${name}: sysdig shows the same events in the rewritten file`, () => {
      const out = join(tmp.dir, name);
      const src = openScap(file);
      try {
        writeScapFrom(src, out);
      } finally {
        src.close();
      }
      const before = sysdigText(file, FIELDS).split('\n');
      const after = sysdigText(out, FIELDS).split('\n');
      expect(after.length).toBe(before.length);
      const differ: string[] = [];
      for (let i = 0; i < before.length; i++) {
        if (before[i] === after[i]) continue;
        const a = before[i].split('|');
        const b = after[i].split('|');
        // A unix socket's tuple names kernel addresses the trace does not keep.
        if (/^[0-9a-f]+->[0-9a-f]+ /.test(a[9] ?? '') && a[9].replace(/^\S+ /, '') === (b[9] ?? '').replace(/^\S+ /, '') && a.slice(0, 9).join('|') === b.slice(0, 9).join('|')) continue;
        differ.push(`line ${i + 1}: ${before[i]}  ≠  ${after[i]}`);
      }
      expect(differ.slice(0, 10)).toEqual([]);
    });
  }
}, { needs: FIXTURE_NEEDS });
