import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureSuite, runTsfalco } from '../capture/helpers.js';
import { tempDir } from '../helpers/cli.js';
import { fieldValues } from '../helpers/replay.js';

/**
 * Field values extracted by the replay engine from a REAL capture, compared with what the
 * scenario itself wrote down about its processes (pids, parents, paths, ports): one check per
 * field family (evt, proc, user/group, fd files, fd sockets, container).
 */
const SCENARIO = `set -e
D="$1"; PORT="$2"
cd "$D"
echo "shell $$ $PPID" > facts
cat ./facts > /dev/null
sh -c 'echo "child $$ $PPID" >> facts; exec cat /etc/hostname > /dev/null'
bash -c "echo \\"bash \\$\\$\\" >> facts; exec 3<>/dev/tcp/127.0.0.1/$PORT; echo hi >&3; exec 3>&-"
`;

captureSuite('replay fields on a real capture', () => {
  const tmp = tempDir('tsfalco-fields-');
  let server: Server;
  let port = 0;
  const trace = join(tmp.dir, 'fields.arrow');
  const facts: Record<string, number[]> = {};
  let capturePid = 0;

  beforeAll(async () => {
    server = createServer((s) => s.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    const script = join(tmp.dir, 'scenario.sh');
    writeFileSync(script, SCENARIO);
    const run = await runTsfalco(['capture', '-o', trace, '--only-command', '--', 'sh', script, tmp.dir, String(port)]);
    expect(run.status, run.stderr).toBe(0);
    capturePid = run.pid;
    for (const line of readFileSync(join(tmp.dir, 'facts'), 'utf8').trim().split('\n')) {
      const [name, ...nums] = line.split(' ');
      facts[name] = nums.map(Number);
    }
  }, 90_000);
  afterAll(() => {
    server?.close();
    tmp.cleanup();
  });

  it('evt and proc: the relative open of ./facts by cat, child of the scenario shell', () => {
    const [shellPid] = facts.shell;
    const opens = fieldValues(trace, `evt.type in (open, openat) and proc.name=cat and fd.name endswith /facts`, [
      'evt.type', 'evt.dir', 'evt.res', 'evt.is_open_read', 'proc.name', 'proc.exepath', 'proc.cmdline', 'proc.ppid', 'proc.pname', 'proc.cwd',
      'fd.name', 'fd.directory', 'fd.filename', 'fd.typechar', 'evt.arg.name',
    ]);
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({
      'evt.dir': '<', 'evt.res': 'SUCCESS', 'evt.is_open_read': 'true', 'proc.name': 'cat', 'proc.cmdline': 'cat ./facts',
      'proc.ppid': String(shellPid), 'proc.pname': 'sh', 'fd.name': join(tmp.dir, 'facts'), 'fd.directory': tmp.dir, 'fd.filename': 'facts',
      // evt.arg.name: what libsinsp resolves a relative path to
      'fd.typechar': 'f', 'evt.arg.name': join(tmp.dir, 'facts'),
    });
    expect(opens[0]['proc.exepath']).toMatch(/\/cat$/);
    expect(opens[0]['proc.cwd'].replace(/\/$/, '')).toBe(tmp.dir);
  });

  it('proc ancestry: the exec\'d child knows its parent and grandparent', () => {
    const [childPid, childParent] = facts.child;
    const [shellPid] = facts.shell;
    expect(childParent).toBe(shellPid);
    const opens = fieldValues(trace, 'evt.type in (open, openat) and fd.name=/etc/hostname', ['proc.pid', 'proc.name', 'proc.cmdline', 'proc.pname', 'proc.apid[1]', 'proc.aname[2]', 'proc.apid[2]']);
    expect(opens).toHaveLength(1);
    // cat <- sh -c (exec'd into cat, same pid) <- scenario shell <- tsfalco capture itself
    expect(opens[0]).toMatchObject({ 'proc.pid': String(childPid), 'proc.name': 'cat', 'proc.cmdline': 'cat /etc/hostname', 'proc.pname': 'sh', 'proc.apid[1]': String(shellPid), 'proc.apid[2]': String(capturePid), 'proc.aname[2]': 'node' });
  });

  it('user and group: the capture ran as root', () => {
    const [row] = fieldValues(trace, 'evt.type=execve and proc.name=sh', ['user.uid', 'user.name', 'group.gid', 'group.name']);
    expect(row).toEqual({ 'user.uid': String(process.getuid!()), 'user.name': 'root', 'group.gid': String(process.getgid!()), 'group.name': 'root' });
  });

  it('fd sockets: bash connects to the test listener over TCP', () => {
    // Only its IPv4 connect: on some hosts bash also connects to unix sockets for name lookups.
    const [bashPid] = facts.bash;
    const connects = fieldValues(trace, 'evt.type=connect and proc.name=bash and fd.typechar=4', ['proc.pid', 'fd.sip', 'fd.sport', 'fd.rip', 'fd.rport', 'fd.lip', 'fd.l4proto', 'fd.typechar', 'fd.connected', 'evt.res']);
    expect(connects).toHaveLength(1);
    expect(connects[0]).toMatchObject({ 'proc.pid': String(bashPid), 'fd.sip': '127.0.0.1', 'fd.sport': String(port), 'fd.rip': '127.0.0.1', 'fd.rport': String(port), 'fd.lip': '127.0.0.1', 'fd.l4proto': 'tcp', 'fd.typechar': '4', 'fd.connected': 'true', 'evt.res': 'SUCCESS' });
  });

  it('container: processes on the host are in container "host"', () => {
    const rows = fieldValues(trace, 'evt.type=execve', ['container.id', 'container.name']);
    expect(rows.length).toBeGreaterThan(2);
    for (const r of rows) expect(r).toEqual({ 'container.id': 'host', 'container.name': 'host' });
  });
});
