import { join } from 'node:path';
import { RecordBatchFileReader } from 'apache-arrow';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { COLUMNS } from '../../src/trace/columns.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { openTrace } from '../../src/trace/reader.js';
import { batchEvents } from '../../src/trace/rows.js';
import { createTraceWriter } from '../../src/trace/writer.js';
import { tempDir } from '../helpers/cli.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** A value for every column, varied by row so that dictionaries grow across batches. */
function fullEvent(i: number): TraceEvent {
  return {
    ts: 1_700_000_000_123_456_789n + BigInt(i),
    num: BigInt(i + 1),
    type: ['openat', 'execve', 'connect', 'snapshot_proc'][i % 4],
    source: i % 3 ? 'syscall' : 'k8s_audit',
    dir: i % 2 ? '<' : '>',
    cpu: i % 3,
    tid: 4_000_000 + i,
    pid: -1 + (i % 2), // negative values survive
    ppid: 2_147_483_647,
    vtid: 1,
    vpid: 1,
    uid: 4_294_967_295, // max uint32
    gid: 0,
    euid: 1000,
    egid: 1000,
    loginuid: -1,
    comm: `bash${i % 5}`,
    res: -2n,
    latency: 12_345n,
    fd: 3n,
    fd2: 4n,
    dirfd: -100n,
    dirfd2: -100n,
    path: `/etc/shadow-${i}`, // a new dictionary entry every row
    path2: 'ünïcødé/路径/😀',
    flags: 0xffff_ffff,
    mode: 0o755,
    dev: 2049,
    ino: 18_446_744_073_709_551_615n, // max uint64
    fd_type: 'ipv4',
    sock_family: 2,
    sock_type: 1,
    l4proto: 6,
    sip: '10.0.0.1',
    sport: 65535,
    dip: '2001:db8::1',
    dport: 4444,
    id: 0n,
    id2: -9_223_372_036_854_775_808n, // min int64
    id3: 9_223_372_036_854_775_807n, // max int64
    op: 16n,
    size: 4096n,
    addr: 0x7fff_0000_0000n,
    prot: 7,
    name: 'memfd:payload',
    buffer: new Uint8Array([0, 1, 2, 255, i & 255]),
    payload: new Uint8Array([123, 125, i & 255]),
    exe: 'nc',
    exepath: '/usr/bin/nc.openbsd',
    args: ['-e', '/bin/sh', '', `10.0.0.${i % 250}`],
    env: i % 2 ? [] : ['HOME=/root', 'X='],
    cwd: '/tmp',
    tty: 34816,
    pgid: 77,
    sid: 70,
    exe_flags: 1 | 4,
    exe_ino: 42n,
    exe_ctime: 1_600_000_000_000_000_000n,
    exe_mtime: 1_600_000_000_000_000_001n,
    cap_inheritable: 0n,
    cap_permitted: 0x1ff_ffff_ffffn,
    cap_effective: 0x1ff_ffff_ffffn,
    cgroup: '/system.slice/docker-abc.scope',
    start_ts: 1_699_999_999_000_000_000n,
    container_id: 'abcdef012345',
    image: 'docker.io/library/nginx:1.25',
    privileged: i % 2 === 0,
    mounts: ['/var/run/docker.sock:/var/run/docker.sock::true:rprivate'],
    n_events: 1_000_000n,
    n_drops: 7n,
    extra: i % 2 ? {} : { request: 'PTRACE_ATTACH', 'weird key': 'v=1, w=2' },
  };
}

/** Only some columns set, the rest null: nulls must come back as absent, not as zeros. */
function sparseEvent(i: number): TraceEvent {
  return { ts: BigInt(i), num: BigInt(i + 1), type: 'close', fd: BigInt(i), res: 0n };
}

function writeAndRead(name: string, events: TraceEvent[], batchRows: number, compression: 'lz4' | 'none') {
  const path = join(tmp.dir, name);
  const writer = createTraceWriter(path, { source: 'test:roundtrip', host: 'testhost', kernel: '6.1.0 test', bootTimeNs: 123n, capture: { events: 'default' } }, { batchRows, compression });
  for (const e of events) writer.append(e);
  writer.close();
  const trace = openTrace(path);
  const back: TraceEvent[] = [];
  let batches = 0;
  for (const batch of trace.batches()) {
    batches++;
    for (const e of batchEvents(batch)) back.push(e);
  }
  const ending = trace.ending();
  trace.close();
  return { path, back, batches, ending, metadata: trace.metadata };
}

describe('trace round trip', () => {
  const events = Array.from({ length: 50 }, (_, i) => (i % 5 === 4 ? sparseEvent(i) : fullEvent(i)));

  it('gives back every column of every row, across batches, with LZ4', () => {
    const { back, batches, ending, metadata } = writeAndRead('full-lz4.arrow', events, 7, 'lz4');
    expect(batches).toBe(8);
    expect(ending.complete).toBe(true);
    expect(back).toEqual(events);
    expect(metadata).toMatchObject({ formatVersion: '1.1', host: 'testhost', kernel: '6.1.0 test', bootTimeNs: 123n, source: 'test:roundtrip', capture: { events: 'default' } });
  });

  it('gives back the same rows uncompressed, and LZ4 makes the file smaller', () => {
    const plain = writeAndRead('full-plain.arrow', events, 7, 'none');
    expect(plain.back).toEqual(events);
    const many = Array.from({ length: 20_000 }, (_, i) => fullEvent(i % 40));
    const a = writeAndRead('many-lz4.arrow', many, 8192, 'lz4');
    const b = writeAndRead('many-plain.arrow', many, 8192, 'none');
    expect(a.back.length).toBe(many.length);
    expect(readFileSync(a.path).length).toBeLessThan(readFileSync(b.path).length / 2);
  });

  it('the test events really cover every column', () => {
    const covered = new Set(Object.keys(fullEvent(0)));
    expect(COLUMNS.map((c) => c.name).filter((n) => !covered.has(n))).toEqual([]);
  });

  it('writes a standard Arrow file: apache-arrow reads it through its footer with the same values', () => {
    const { path } = writeAndRead('footer.arrow', events, 7, 'lz4');
    const reader = RecordBatchFileReader.from(readFileSync(path)).open();
    expect(reader.isFile()).toBe(true);
    expect(reader.footer?.numRecordBatches).toBe(8);
    const schemaMetadata = reader.schema.metadata;
    const batches = [...reader];
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(events.length);
    expect(batches[6].getChild('path')!.get(0)).toBe('/etc/shadow-42');
    expect(batches[7].getChild('path')!.get(0)).toBeNull(); // row 49 is a sparse event
    expect(schemaMetadata.get('tsfalco.format_version')).toBe('1.1');
  });

  it('writes a readable file with no events at all', () => {
    const { back, ending } = writeAndRead('empty.arrow', [], 7, 'lz4');
    expect(back).toEqual([]);
    expect(ending.complete).toBe(true);
  });

  it('refuses an unknown column and an event without ts/num/type', () => {
    const writer = createTraceWriter(join(tmp.dir, 'bad.arrow'), { source: 'test' });
    expect(() => writer.append({ ts: 1n, num: 1n, type: 'x', nope: 1 } as unknown as TraceEvent)).toThrow(/unknown trace column "nope"/);
    expect(() => writer.append({ num: 1n, type: 'x' } as unknown as TraceEvent)).toThrow(/needs ts, num and type/);
    writer.close();
  });

  it('creates the file with mode 0600 and never overwrites without being told', () => {
    const path = join(tmp.dir, 'private.arrow');
    createTraceWriter(path, { source: 'test' }).close();
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    expect(() => createTraceWriter(path, { source: 'test' })).toThrow(/already exists/);
    createTraceWriter(path, { source: 'test' }, { overwrite: true }).close();
  });
});
