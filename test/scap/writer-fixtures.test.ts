import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openScap } from '../../src/scap/index.js';
import { writeScapFrom } from '../../src/scap/writer.js';
import { tempDir } from '../helpers/cli.js';
import { fixtures } from './helpers.js';
import { SYSDIG_PROBLEM, sysdigText } from './sysdig.js';

/**
 * Falco's own captures (../shared/fixtures/scap) read by our reader and written again by our
 * writer: sysdig shows the same events, threads, processes, fds and results in both files. What
 * may differ, and why: event numbers (container and other meta events become snapshot rows, not
 * events), and the kernel addresses in a unix socket's tuple (the trace does not keep them).
 */

const FIELDS = '*%evt.type|%evt.dir|%thread.tid|%proc.name|%proc.pid|%proc.ppid|%proc.exe|%proc.args|%fd.num|%fd.name|%evt.res';
/** sysdig 0.29 cannot open captures with pcap-ng comment options (our reader can). */
const UNREADABLE_BY_SYSDIG = new Set(['libs_curl_google_comments.scap']);

const tmp = tempDir('tsfalco-scapw-fx-');
afterAll(() => tmp.cleanup());

const files = fixtures().filter((f) => !UNREADABLE_BY_SYSDIG.has(f.split('/').pop()!));
const suite = SYSDIG_PROBLEM || files.length === 0 ? describe.skip : describe;

suite(`scap writer: Falco's captures read and written again${SYSDIG_PROBLEM ? ` (skipped: ${SYSDIG_PROBLEM})` : files.length === 0 ? ' (skipped: no ../shared/fixtures/scap)' : ''}`, () => {
  for (const file of files) {
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
});
