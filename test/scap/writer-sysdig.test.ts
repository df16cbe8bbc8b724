import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeScap, type ScapWriteSummary } from '../../src/scap/writer.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { tempDir } from '../helpers/cli.js';
import { captureSuite, isSyscallRow, readEvents, runTsfalco, type Run } from '../capture/helpers.js';
import { compareRoundTrip, compareWithSysdig, SYSDIG_FIELDS } from './compare.js';
import { openScap } from '../../src/scap/index.js';
import { batchEvents } from '../../src/trace/rows.js';
import { SYSDIG_VERSION, sysdigEvents, sysdigSuite, sysdigText, type SysdigEvent } from './sysdig.js';

/**
 * Real captures written as .scap by our writer and read back by sysdig 0.29 (libsinsp): for every
 * event, the thread, process, parent, image, arguments, fd names and results sysdig prints are
 * compared with what our trace holds (test/scap/compare.ts).
 */

const SCENARIO = `set -e
D="$1"; PORT="$2"
cat "$D/input.txt" > /dev/null
/bin/echo hello world 'a b' > /dev/null
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; echo hi >&3; exec 3>&-"
echo data > "$D/output.txt"
`;

/** Many kinds of syscalls: threads, pipes, dup2, a memfd, IPv6 UDP, a unix socket, chmod, rename, a subprocess, a file loop. */
const BUSY = `
import os, socket, subprocess, sys, threading
d = sys.argv[1]
fd = os.memfd_create("x"); os.write(fd, b"hi"); os.close(fd)
r, w = os.pipe(); os.dup2(r, 50); os.close(50); os.write(w, b"x"); os.read(r, 1)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(b"x", ("::1", 9)); s.close()
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try: u.connect(d + "/none.sock")
except OSError: pass
t = threading.Thread(target=lambda: open("/etc/hostname").read()); t.start(); t.join()
subprocess.run(["/bin/true", "x"])
p = d + "/f.txt"; open(p, "w").write("x"); os.chmod(p, 0o600); os.rename(p, p + ".2"); os.unlink(p + ".2")
# Enough named fds and results whatever the environment (python's start-up work varies with it).
for i in range(250):
    f = os.open("/etc/hostname", os.O_RDONLY); os.read(f, 64); os.fstat(f); os.close(f)
`;

/** What sysdig 0.29's libscap (libs of March 2022) has no event or syscall code for: never written for it. */
const UNKNOWN_TO_SYSDIG_029 = new Set(['rseq', 'statx', 'faccessat2', 'fchmodat2', 'memfd_create', 'memfd_secret', 'close_range', 'pidfd_open', 'pidfd_getfd', 'pidfd_send_signal', 'futex_waitv', 'cachestat', 'map_shadow_stack', 'mseal', 'set_mempolicy_home_node', 'process_madvise', 'epoll_pwait2', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self']);

interface Converted {
  run: Run;
  rows: TraceEvent[];
  summary: ScapWriteSummary;
  written: [bigint, '>' | '<', number][];
  sysdig: SysdigEvent[];
  openFlags: Map<number, number>;
}

function convert(run: Run, trace: string, scap: string): Converted {
  const rows = readEvents(trace);
  const written: [bigint, '>' | '<', number][] = [];
  const summary = writeScap(trace, scap, { onEvent: (num, dir, code) => written.push([num, dir, code]) });
  const sysdig = sysdigEvents(scap, SYSDIG_FIELDS);
  // sysdig 0.29 cannot print flag parameters raw (evt.rawarg.flags fails on PT_FLAGS32): the
  // number comes from its rendering of the event's arguments, `flags=4097(O_RDONLY|O_CLOEXEC)`.
  const openFlags = new Map<number, number>();
  for (const line of sysdigText(scap, '%evt.num %evt.args', 'evt.type in (open, openat, openat2, creat) and evt.dir=<').split('\n')) {
    const m = /^(\d+) .*\bflags=(\d+)\(/.exec(line);
    if (m) openFlags.set(Number(m[1]), Number(m[2]));
  }
  return { run, rows, summary, written, sysdig, openFlags };
}

sysdigSuite('scap writer: real captures read back by sysdig', () => {
  const tmp = tempDir('tsfalco-scapw-');
  let server: Server;
  let port = 0;
  let scenario: Converted;
  let busy: Converted;

  beforeAll(async () => {
    server = createServer((s) => s.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    writeFileSync(join(tmp.dir, 'scenario.sh'), SCENARIO);
    writeFileSync(join(tmp.dir, 'busy.py'), BUSY);
    writeFileSync(join(tmp.dir, 'input.txt'), 'some input\n');
    const t1 = join(tmp.dir, 'scenario.arrow');
    const r1 = await runTsfalco(['capture', '-o', t1, '--only-command', '--events', 'default,read,write', '--', 'sh', join(tmp.dir, 'scenario.sh'), tmp.dir, String(port)]);
    scenario = convert(r1, t1, join(tmp.dir, 'scenario.scap'));
    const t2 = join(tmp.dir, 'busy.arrow');
    const r2 = await runTsfalco(['capture', '-o', t2, '--only-command', '--events', 'all', '--', 'python3', join(tmp.dir, 'busy.py'), tmp.dir]);
    busy = convert(r2, t2, join(tmp.dir, 'busy.scap.gz'));
  }, 180_000);
  afterAll(() => {
    server?.close();
    tmp.cleanup();
  });

  it(`sysdig (${SYSDIG_VERSION}) reads every event written, in order`, () => {
    for (const c of [scenario, busy]) {
      expect(c.run.status).toBe(0);
      const syscalls = c.rows.filter(isSyscallRow).length;
      const skipped = Object.values(c.summary.skipped).reduce((a, b) => a + b, 0);
      expect(c.summary.syscalls + skipped).toBe(syscalls);
      expect(c.sysdig.length).toBe(c.summary.events);
      expect(c.sysdig.map((e) => e['evt.num'])).toEqual(c.sysdig.map((_, i) => i + 1));
    }
    expect(scenario.summary.skipped).toEqual({});
    expect(busy.summary.gzip).toBe(true);
    // Only syscalls sysdig 0.29's libscap had no code for are left out.
    for (const type of Object.keys(busy.summary.skipped)) expect(UNKNOWN_TO_SYSDIG_029, type).toContain(type);
  });

  it('shows the same processes, images, arguments, fd names and results as the trace: a scenario', () => {
    const c = compareWithSysdig(scenario.rows, scenario.written, scenario.sysdig, scenario.openFlags);
    expect(c.mismatches.slice(0, 20)).toEqual([]);
    expect(c.fdNames).toBeGreaterThan(20);
    expect(c.results).toBeGreaterThan(50);
  });

  it('… and every syscall of a busier capture (--events all: threads, pipes, IPv6, unix sockets, a subprocess)', () => {
    const c = compareWithSysdig(busy.rows, busy.written, busy.sysdig, busy.openFlags);
    expect(c.mismatches.slice(0, 20)).toEqual([]);
    expect(c.fdNames).toBeGreaterThan(100);
    expect(c.results).toBeGreaterThan(500);
  });

  it('reads back through our reader with the same snapshot and events (both targets)', () => {
    for (const target of ['sysdig-0.29', 'latest'] as const) {
      const out = join(tmp.dir, `busy-${target}.scap`);
      const written: [bigint, '>' | '<', number][] = [];
      writeScap(join(tmp.dir, 'busy.arrow'), out, { target, onEvent: (num, dir, code) => written.push([num, dir, code]) });
      const src = openScap(out);
      const back: TraceEvent[] = [];
      for (const b of src.batches()) back.push(...batchEvents(b));
      src.close();
      const c = compareRoundTrip(busy.rows, written, back, target);
      expect(c.mismatches.slice(0, 20), target).toEqual([]);
      expect(c.results).toBeGreaterThan(1000);
    }
  });

  it('has the scenario in sysdig\'s view: the file read, the child with its arguments, the connection, the file written', () => {
    const find = (pred: (e: SysdigEvent) => boolean) => scenario.sysdig.find(pred);
    expect(find((e) => e['evt.type'] === 'openat' && e['evt.dir'] === '<' && e['proc.name'] === 'cat' && e['fd.name'] === join(tmp.dir, 'input.txt'))).toBeDefined();
    expect(find((e) => e['evt.type'] === 'read' && e['evt.dir'] === '<' && e['proc.name'] === 'cat' && e['fd.name'] === join(tmp.dir, 'input.txt') && e['evt.rawres'] === 11)).toBeDefined();
    expect(find((e) => e['evt.type'] === 'execve' && e['evt.dir'] === '<' && e['proc.exe'] === '/bin/echo' && e['proc.args'] === 'hello world a b')).toBeDefined();
    expect(find((e) => e['evt.type'] === 'connect' && e['evt.dir'] === '<' && e['proc.name'] === 'bash' && e['fd.sport'] === port && e['evt.rawres'] === 0)).toBeDefined();
    const written = find((e) => e['evt.type'] === 'write' && e['evt.dir'] === '<' && e['fd.name'] === join(tmp.dir, 'output.txt'));
    expect(written?.['evt.rawres']).toBe(5);
  });
}, { define: captureSuite });
