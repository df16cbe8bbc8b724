import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COL, COLUMN_INDEX } from '../../src/engine/batch-view.js';
import { STATEFUL_TYPES } from '../../src/engine/state/apply.js';
import { COLUMNS } from '../../src/trace/columns.js';
import { resolvePath } from '../../src/engine/state/paths.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { tempDir } from '../helpers/cli.js';
import { fieldValues, writeEvents } from '../helpers/replay.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/**
 * Replay skips the state machine for events that no rule can match and whose type the state
 * machine does not handle (it only registers threads seen for the first time). These tests keep
 * that shortcut honest.
 */
describe('replay fast path', () => {
  it('numbers columns in COLUMNS order (COL, the const enum call sites compile to)', () => {
    COLUMNS.forEach((c, i) => expect(COLUMN_INDEX[c.name], c.name).toBe(i));
    expect(COL.ts).toBe(0);
    expect(COL.pid).toBe(COLUMN_INDEX.pid);
    expect(COL.extra).toBe(COLUMNS.length - 1);
    expect(COL.cap_effective).toBe(COLUMN_INDEX.cap_effective);
  });

  it('lists every event type the state machine handles', () => {
    const source = readFileSync(join(import.meta.dirname, '../../src/engine/state/apply.ts'), 'utf8');
    const cases = [...source.matchAll(/^\s*case '([a-z0-9_]+)':/gm)].map((m) => m[1]);
    expect(cases.length).toBeGreaterThan(20);
    for (const type of cases) expect(STATEFUL_TYPES.has(type), type).toBe(true);
  });

  it('registers a thread first seen in an event no rule looks at, with that event\'s header', () => {
    const worker = { tid: 301, pid: 300, ppid: 1, comm: 'worker', uid: 1000, gid: 1000, euid: 1000, egid: 1000, loginuid: -1 };
    const events: Partial<TraceEvent>[] = [
      { type: 'snapshot_machine', name: 'h' },
      { type: 'snapshot_proc', tid: 300, pid: 300, ppid: 1, comm: 'server', exe: 'server', exepath: '/usr/bin/server', args: ['-d'], cwd: '/srv' },
      { type: 'snapshot_end' },
      // thread 301 of process 300 appears in a write (no rule, no state change): it inherits its leader's image
      { dir: '<', type: 'write', ...worker, fd: 1n, res: 5n },
      { dir: '<', type: 'newfstatat', ...worker, comm: 'renamed', path: '/x', res: 0n },
      { dir: '<', type: 'getpid', ...worker, comm: 'renamed', res: 300n },
      { dir: '<', type: 'openat', ...worker, comm: 'renamed', dirfd: -100n, path: 'data.txt', flags: 1, res: 3n },
    ];
    const trace = writeEvents(tmp.dir, events);
    const values = fieldValues(trace, 'evt.type=openat', ['proc.name', 'thread.tid', 'proc.exepath', 'proc.cwd', 'fd.name', 'evt.deltatime', 'evt.reltime']);
    expect(values).toEqual([
      // evt.reltime prints with nine digits at least, as libsinsp's PF_10_PADDED_DEC (sinsp_filtercheck_gen_event.cpp).
      { 'proc.name': 'renamed', 'thread.tid': '301', 'proc.exepath': '/usr/bin/server', 'proc.cwd': '/srv/', 'fd.name': '/srv/data.txt', 'evt.deltatime': '1000', 'evt.reltime': '000003000' },
    ]);
  });

  it('joins plain names to a directory as the general path normalisation does', () => {
    const slow = (base: string, path: string): string => {
      if (path === '') return base;
      const joined = path.startsWith('/') || base === '' ? path : `${base}/${path}`;
      if (!joined.startsWith('/')) return joined;
      const out: string[] = [];
      for (const part of joined.split('/')) {
        if (part === '' || part === '.') continue;
        if (part === '..') out.pop();
        else out.push(part);
      }
      return '/' + out.join('/');
    };
    const bases = ['/', '/usr/include', '/usr/include/', '/a//b', '/a/./b', '/a/../b', '/a/..', '', 'rel/dir', '/x/.hidden', '/x/..y'];
    const names = ['f.h', '.', '..', '...', '.hidden', 'a/b', 'a/../b', '/abs/x', '/abs//x', 'x/', ''];
    for (let round = 0; round < 2; round++) {
      for (const b of bases) for (const n of names) expect(resolvePath(b, n), `${b} + ${n}`).toBe(slow(b, n));
    }
  });
});
