import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BatchView, binaryAt, isSet, mapAt, stringList, viewBatch, viewLazyBatch } from '../../src/engine/batch-view.js';
import { COLUMNS } from '../../src/trace/columns.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { openTrace } from '../../src/trace/reader.js';
import { createTraceWriter } from '../../src/trace/writer.js';
import { isUserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/cli.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Every column set on some rows and null on others, values at the edges of their types. */
function event(i: number): TraceEvent {
  const full = i % 3 !== 2;
  return {
    ts: 1_700_000_000_123_456_789n + BigInt(i * 977),
    num: BigInt(i + 1),
    type: ['openat', 'execve', 'connect', 'snapshot_proc', 'close'][i % 5],
    ...(full
      ? {
          dir: i % 2 ? '<' : '>', cpu: i % 3, tid: 4_000_000 + i, pid: -1 + (i % 2), ppid: 2_147_483_647, vtid: 1, vpid: 1, uid: 4_294_967_295, gid: 0,
          euid: 1000, egid: 1000, loginuid: -1, comm: `bash${i % 5}`, res: BigInt(-i), latency: 12_345n, fd: BigInt(i), fd2: 4n, dirfd: -100n, dirfd2: -100n,
          path: `/etc/shadow-${i}`, path2: 'ünïcødé/路径/😀', flags: 0xffff_ffff, mode: 0o755, dev: 2049, ino: 18_446_744_073_709_551_615n - BigInt(i),
          fd_type: 'ipv4', sock_family: 2, sock_type: 1, l4proto: 6, sip: '10.0.0.1', sport: 65535, dip: '2001:db8::1', dport: 4444, id: 0n,
          id2: -9_223_372_036_854_775_808n, id3: 9_223_372_036_854_775_807n - BigInt(i), op: 16n, size: 4096n, addr: 0x7fff_0000_0000n + BigInt(i), prot: 7,
          name: 'memfd:payload', buffer: new Uint8Array([0, 1, 2, 255, i & 255]), exe: 'nc', exepath: '/usr/bin/nc.openbsd',
          args: ['-e', '/bin/sh', '', `10.0.0.${i % 250}`], env: i % 2 ? [] : ['HOME=/root', 'X='], cwd: '/tmp', tty: 34816, pgid: 77, sid: 70, exe_flags: 5,
          exe_ino: 42n, exe_ctime: 1_600_000_000_000_000_000n, exe_mtime: 1_600_000_000_000_000_001n, cap_inheritable: 0n, cap_permitted: 0x1ff_ffff_ffffn,
          cap_effective: 0x1ff_ffff_ffffn, cgroup: '/system.slice/docker-abc.scope', start_ts: 1_699_999_999_000_000_000n, container_id: 'abcdef012345',
          image: 'docker.io/library/nginx:1.25', privileged: i % 2 === 0, mounts: ['/var/run/docker.sock:/var/run/docker.sock::true:rprivate'],
          n_events: 1_000_000n, n_drops: 7n, extra: i % 2 ? {} : { request: 'PTRACE_ATTACH', 'weird key': 'v=1, w=2' },
        }
      : { fd: BigInt(i), res: 0n }),
  } as TraceEvent;
}

function write(name: string, n: number, batchRows: number, compression: 'lz4' | 'none'): string {
  const path = join(tmp.dir, name);
  const w = createTraceWriter(path, { source: 'test:columnar', host: 'h' }, { batchRows, compression });
  for (let i = 0; i < n; i++) w.append(event(i));
  w.close();
  return path;
}

/** Every value of every row of a view, as plain data, read the way the engine reads them. */
function rowsOf(view: BatchView, checkWords = true): unknown[][] {
  const out: unknown[][] = [];
  for (let row = 0; row < view.numRows; row++) {
    out.push(
      COLUMNS.map((spec) => {
        const c = view[spec.name];
        if (!isSet(c, row)) return null;
        switch (spec.kind) {
          case 'string':
            return c.dict!.get(c.values[row] as number);
          case 'strings':
            return stringList(c, row);
          case 'binary':
            return [...binaryAt(c, row)];
          case 'map':
            return mapAt(c, row);
          case 'bool':
            return ((c.values as Uint8Array)[row >> 3] & (1 << (row & 7))) !== 0;
          default: {
            const v = c.values[row];
            if (checkWords && c.words) {
              const hi = c.words[2 * row + 1];
              expect((c.unsigned ? hi >>> 0 : hi) * 2 ** 32 + (c.words[2 * row] >>> 0)).toBe(Number(v));
            }
            return v;
          }
        }
      }),
    );
  }
  return out;
}

describe('columns decoded on first use (lazyBatches)', () => {
  for (const compression of ['lz4', 'none'] as const) {
    it(`read the same values as apache-arrow's reader, every column and row (${compression})`, () => {
      const path = write(`t-${compression}.arrow`, 200, 17, compression);
      const eager = openTrace(path);
      const expected = [...eager.batches()].map((b) => rowsOf(viewBatch(b)));
      eager.close();
      const lazy = openTrace(path);
      const actual = [...lazy.lazyBatches()!].map((b) => rowsOf(viewLazyBatch(b)));
      expect(lazy.ending().complete).toBe(true);
      lazy.close();
      expect(actual.length).toBe(12);
      expect(actual).toEqual(expected);
    });
  }

  it('a released batch hands its buffers to later batches without changing what they read', () => {
    const path = write('t-release.arrow', 300, 16, 'lz4');
    const eager = openTrace(path);
    const expected = [...eager.batches()].map((b) => rowsOf(viewBatch(b)));
    eager.close();
    const lazy = openTrace(path);
    const actual: unknown[][][] = [];
    for (const b of lazy.lazyBatches()!) {
      actual.push(rowsOf(viewLazyBatch(b)));
      b.release();
    }
    lazy.close();
    expect(actual).toEqual(expected);
  });

  it('damaged bytes end in a UserError naming the file, never another error or a hang', () => {
    const path = write('t-damage.arrow', 120, 10, 'lz4');
    const good = readFileSync(path);
    let seed = 11;
    const rand = (m: number) => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) % m);
    let userErrors = 0;
    for (let k = 0; k < 150; k++) {
      const bad = Buffer.from(good);
      for (let j = 0; j < 1 + rand(4); j++) bad[64 + rand(bad.length - 64)] ^= 1 + rand(255);
      const p = join(tmp.dir, `bad${k}.arrow`);
      writeFileSync(p, bad);
      try {
        const t = openTrace(p);
        try {
          for (const b of t.lazyBatches() ?? []) rowsOf(viewLazyBatch(b), false);
        } finally {
          t.close();
        }
      } catch (e) {
        if (!isUserError(e)) throw new Error(`damage #${k}: ${(e as Error).stack}`);
        expect((e as Error).message).toContain(p);
        userErrors++;
      }
    }
    expect(userErrors).toBeGreaterThan(10);
  });
});
