import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScap, type ScapWriteSummary } from '../../src/scap/writer.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { tempDir } from '../helpers/cli.js';
import { captureSuite, isSyscallRow, readEvents, runTsfalco, type Run } from '../capture/helpers.js';
import { SYSDIG_PROBLEM, SYSDIG_VERSION, sysdigEvents, sysdigText, type SysdigEvent } from './sysdig.js';

/**
 * A real capture of a small scenario (open a file, exec a child with arguments, connect to a local
 * TCP listener, write a file), written as .scap by our writer and read back by sysdig 0.29
 * (libsinsp): for every event, the thread, process, parent, image, arguments, fd names and results
 * sysdig prints are compared with what our trace holds. The expected values come from the trace's
 * rows (and the state they imply: what a process runs after exec, which file an fd names), never
 * from the writer.
 */

const SCENARIO = `set -e
D="$1"; PORT="$2"
cat "$D/input.txt" > /dev/null
/bin/echo hello world 'a b' > /dev/null
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; echo hi >&3; exec 3>&-"
echo data > "$D/output.txt"
`;

const FIELDS = [
  'evt.num', 'evt.type', 'evt.dir', 'thread.tid', 'proc.name', 'proc.pid', 'proc.ppid', 'proc.exe', 'proc.args', 'proc.cwd',
  'fd.num', 'fd.name', 'evt.rawres', 'evt.arg.name', 'fd.cip', 'fd.cport', 'fd.sip', 'fd.sport',
];

/** Syscalls the libscap of sysdig 0.29 records under another event's name. */
const OLD_NAME: Record<string, string> = { dup2: 'dup', dup3: 'dup', pipe2: 'pipe', umount2: 'umount', accept4: 'accept', eventfd2: 'eventfd', signalfd4: 'signalfd', inotify_init1: 'inotify_init' };
/** Exit events that carry the syscall's result. */
const WITH_RESULT = new Set(['open', 'openat', 'openat2', 'creat', 'read', 'write', 'pread', 'pwrite', 'close', 'connect', 'socket', 'execve', 'clone', 'clone3', 'fork', 'vfork', 'dup', 'dup2', 'dup3', 'mmap', 'fcntl', 'unlink', 'unlinkat', 'mkdir', 'mkdirat']);
const OPENS = new Set(['open', 'openat', 'openat2', 'creat']);
const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork']);

const suite = SYSDIG_PROBLEM ? (name: string, body: () => void) => describe.skip(`${name} (skipped: ${SYSDIG_PROBLEM})`, body) : captureSuite;

suite('scap writer: a real capture read back by sysdig', () => {
  const tmp = tempDir('tsfalco-scapw-');
  let server: Server;
  let port = 0;
  let run: Run;
  let rows: TraceEvent[];
  let summary: ScapWriteSummary;
  const written: [bigint, '>' | '<'][] = [];
  let sysdig: SysdigEvent[];
  // sysdig 0.29 cannot print flag parameters raw (evt.rawarg.flags fails on PT_FLAGS32): the
  // number comes from its rendering of the event's arguments, `flags=4097(O_RDONLY|O_CLOEXEC)`.
  const openFlags = new Map<number, number>();
  const trace = join(tmp.dir, 'scenario.arrow');
  const scap = join(tmp.dir, 'scenario.scap');

  beforeAll(async () => {
    server = createServer((s) => s.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    writeFileSync(join(tmp.dir, 'scenario.sh'), SCENARIO);
    writeFileSync(join(tmp.dir, 'input.txt'), 'some input\n');
    run = await runTsfalco(['capture', '-o', trace, '--only-command', '--events', 'default,read,write', '--', 'sh', join(tmp.dir, 'scenario.sh'), tmp.dir, String(port)]);
    rows = readEvents(trace);
    summary = writeScap(trace, scap, { onEvent: (num, dir) => written.push([num, dir]) });
    sysdig = sysdigEvents(scap, FIELDS);
    for (const line of sysdigText(scap, '%evt.num %evt.args', 'evt.type in (open, openat, openat2, creat) and evt.dir=<').split('\n')) {
      const m = /^(\d+) .*\bflags=(\d+)\(/.exec(line);
      if (m) openFlags.set(Number(m[1]), Number(m[2]));
    }
  }, 120_000);
  afterAll(() => {
    server?.close();
    tmp.cleanup();
  });

  it(`sysdig (${SYSDIG_VERSION}) reads every event written, in order`, () => {
    expect(run.status).toBe(0);
    expect(summary.skipped).toEqual({});
    expect(summary.syscalls).toBe(rows.filter(isSyscallRow).length);
    expect(sysdig.length).toBe(summary.events);
    expect(sysdig.map((e) => e['evt.num'])).toEqual(sysdig.map((_, i) => i + 1));
  });

  it('shows the same processes, images, arguments, fd names and results as the trace', () => {
    const byNum = new Map(rows.map((r) => [r.num, r]));
    // What the trace says each process runs and which file each fd names, as of each row.
    const image = new Map<number, { comm: string; exe: string; args: string[]; cwd: string }>();
    const fds = new Map<number, Map<bigint, string>>();
    const fdsOf = (pid: number) => {
      let m = fds.get(pid);
      if (!m) fds.set(pid, (m = new Map()));
      return m;
    };
    for (const r of rows) {
      if (r.type === 'snapshot_proc' && r.tid === r.pid) image.set(r.pid!, { comm: r.comm ?? '', exe: r.exe ?? '', args: r.args ?? [], cwd: r.cwd ?? '' });
      if (r.type === 'snapshot_fd' && (r.fd_type === 'file' || r.fd_type === 'directory') && r.path) fdsOf(r.pid!).set(r.fd!, r.path);
    }

    const mismatches: string[] = [];
    const check = (i: number, what: string, got: unknown, want: unknown) => {
      if (got !== want) mismatches.push(`event ${i + 1} (${sysdig[i]['evt.type']} ${sysdig[i]['evt.dir']} tid ${sysdig[i]['thread.tid']}): ${what}: sysdig ${JSON.stringify(got)}, trace ${JSON.stringify(want)}`);
    };
    let checkedFdNames = 0;
    let checkedResults = 0;
    for (let i = 0; i < written.length; i++) {
      const [num, dir] = written[i];
      const r = byNum.get(num)!;
      const e = sysdig[i];
      const exit = dir === '<';
      check(i, 'evt.type', e['evt.type'], OLD_NAME[r.type] ?? r.type);
      check(i, 'evt.dir', e['evt.dir'], dir);
      check(i, 'thread.tid', e['thread.tid'], r.tid);
      check(i, 'proc.pid', e['proc.pid'], r.pid);
      check(i, 'proc.ppid', e['proc.ppid'], r.ppid);

      // A clone child starts with its parent's image and fds (its own return may come first).
      if (CLONES.has(r.type) && r.res === 0n) {
        const parent = image.get(r.ppid!);
        if (parent && !image.has(r.pid!)) image.set(r.pid!, { ...parent });
        if (!fds.has(r.pid!)) fds.set(r.pid!, new Map(fdsOf(r.ppid!)));
      }
      if (CLONES.has(r.type) && r.res! > 0n) {
        const parent = image.get(r.pid!);
        if (parent && !image.has(Number(r.res))) image.set(Number(r.res), { ...parent });
        if (!fds.has(Number(r.res))) fds.set(Number(r.res), new Map(fdsOf(r.pid!)));
      }
      // An exec changes the image at its exit.
      if (exit && r.type === 'execve' && r.res === 0n) image.set(r.pid!, { comm: r.comm!, exe: r.exe!, args: r.args!, cwd: r.cwd! });
      const img = image.get(r.pid!);
      if (exit || r.type !== 'execve') check(i, 'proc.name', e['proc.name'], r.comm);
      if (img) {
        check(i, 'proc.exe', e['proc.exe'], img.exe);
        check(i, 'proc.args', e['proc.args'], img.args.join(' '));
        check(i, 'proc.cwd', String(e['proc.cwd']).replace(/(.)\/$/, '$1'), img.cwd);
      }

      // Results and arguments of exit events.
      if (exit && WITH_RESULT.has(r.type) && r.res !== undefined && r.res !== null && r.res < 2n ** 53n && r.res > -(2n ** 53n)) {
        check(i, 'evt.rawres', e['evt.rawres'], Number(r.res));
        checkedResults++;
      }
      const table = fdsOf(r.pid!);
      if (exit && OPENS.has(r.type)) {
        check(i, 'evt.arg.name', e['evt.arg.name'], r.path);
        check(i, 'evt.rawarg.flags', openFlags.get(i + 1), r.flags);
        if (r.res! >= 0n && r.path?.startsWith('/')) {
          table.set(r.res!, r.path);
          check(i, 'fd.name', e['fd.name'], r.path);
          checkedFdNames++;
        }
      } else if (exit && r.type === 'connect' && r.res === 0n && r.dip) {
        const name = `${r.sip}:${r.sport}->${r.dip}:${r.dport}`;
        table.set(r.fd!, name);
        check(i, 'fd.name', e['fd.name'], name);
        check(i, 'fd.cip', e['fd.cip'], r.sip);
        check(i, 'fd.cport', e['fd.cport'], r.sport);
        check(i, 'fd.sip', e['fd.sip'], r.dip);
        check(i, 'fd.sport', e['fd.sport'], r.dport);
        checkedFdNames++;
      } else if ((r.type === 'read' || r.type === 'write' || (r.type === 'close' && !exit)) && r.fd !== undefined && r.fd !== null && table.has(r.fd)) {
        check(i, 'fd.num', e['fd.num'], Number(r.fd));
        check(i, 'fd.name', e['fd.name'], table.get(r.fd));
        checkedFdNames++;
      }
      if (!exit) continue;
      // The fd table as the trace implies it.
      if (r.type === 'close' && r.res === 0n) table.delete(r.fd!);
      else if ((r.type === 'dup2' || r.type === 'dup3') && r.res! >= 0n) {
        const name = table.get(r.fd!);
        if (name === undefined) table.delete(r.fd2!);
        else table.set(r.fd2!, name);
      } else if (r.type === 'dup' && r.res! >= 0n) {
        const name = table.get(r.fd!);
        if (name === undefined) table.delete(r.res!);
        else table.set(r.res!, name);
      } else if (r.type === 'fcntl' && r.res! >= 0n) table.delete(r.res!);
      else if (r.type === 'socket' && r.res! >= 0n) table.delete(r.res!);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(checkedFdNames).toBeGreaterThan(20);
    expect(checkedResults).toBeGreaterThan(50);
  });

  it('has the scenario in sysdig\'s view: the file read, the child with its arguments, the connection, the file written', () => {
    const find = (pred: (e: SysdigEvent) => boolean) => sysdig.find(pred);
    expect(find((e) => e['evt.type'] === 'openat' && e['evt.dir'] === '<' && e['proc.name'] === 'cat' && e['fd.name'] === join(tmp.dir, 'input.txt'))).toBeDefined();
    expect(find((e) => e['evt.type'] === 'read' && e['evt.dir'] === '<' && e['proc.name'] === 'cat' && e['fd.name'] === join(tmp.dir, 'input.txt') && e['evt.rawres'] === 11)).toBeDefined();
    expect(find((e) => e['evt.type'] === 'execve' && e['evt.dir'] === '<' && e['proc.exe'] === '/bin/echo' && e['proc.args'] === 'hello world a b')).toBeDefined();
    expect(find((e) => e['evt.type'] === 'connect' && e['evt.dir'] === '<' && e['proc.name'] === 'bash' && e['fd.sport'] === port && e['evt.rawres'] === 0)).toBeDefined();
    const written = find((e) => e['evt.type'] === 'write' && e['evt.dir'] === '<' && e['fd.name'] === join(tmp.dir, 'output.txt'));
    expect(written?.['evt.rawres']).toBe(5);
  });
});
