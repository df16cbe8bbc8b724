import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureSuite, cgroup2Root, readEvents, runTsfalco } from '../capture/helpers.js';
import { tempDir } from '../helpers/cli.js';
import { fieldValues } from '../helpers/replay.js';

/**
 * user.name / group.name of a process in a container come from the container's own /etc/passwd
 * and /etc/group (libsinsp reads them through /proc/PID/root), on a REAL capture without a
 * container runtime: a shell in a private mount namespace (`unshare -m`, gone with it) bind-mounts
 * its own passwd and group files, where uid and gid 1000 are `node`, over /etc/passwd and
 * /etc/group, moves into a Docker-named cgroup (which gives it a container id, as in
 * captured-container.test.ts), waits for the capture's next tick to record that container's
 * users, and runs a probe as uid 1000. The near miss: a probe run as uid 1000 on the host, before
 * and after the container's table is in the trace, gets the host's name for 1000 (or none).
 */
const SCRIPT = `set -e
D="$1"; CG="$2"
chmod 755 "$D"; cp /bin/true "$D/hostprobe"; cp /bin/true "$D/ctrprobe"; chmod 755 "$D/hostprobe" "$D/ctrprobe"
printf 'root:x:0:0:root:/root:/bin/sh\\nnode:x:1000:1000::/home/node:/bin/sh\\n' > "$D/passwd"
printf 'root:x:0:\\nnode:x:1000:\\n' > "$D/group"
setpriv --reuid=1000 --regid=1000 --clear-groups "$D/hostprobe"
unshare -m --propagation private sh -c 'mount --bind "$1/passwd" /etc/passwd; mount --bind "$1/group" /etc/group; echo $$ > "$2/cgroup.procs"; sleep 2.5; exec setpriv --reuid=1000 --regid=1000 --clear-groups "$1/ctrprobe"' sh "$D" "$CG"
setpriv --reuid=1000 --regid=1000 --clear-groups "$D/hostprobe"
`;

/** The host's name for an id in a passwd/group-format file, `<NA>` (as an alert prints it) when it has none. */
function hostName(file: string, id: number): string {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && Number(f[2]) === id) return f[0];
  }
  return '<NA>';
}

captureSuite('user and group names in a container come from its own /etc/passwd and /etc/group (real capture)', () => {
  const tmp = tempDir('tsfalco-ctr-users-');
  const id = randomBytes(32).toString('hex');
  const root = cgroup2Root();
  const parent = root ? join(root, `tsfalco-test-users-${process.pid}`) : '';
  const cgroup = join(parent, `docker-${id}.scope`);
  const trace = join(tmp.dir, 'users.arrow');

  beforeAll(async () => {
    if (!root) throw new Error('no cgroup v2 hierarchy is mounted: the container scenario needs one');
    mkdirSync(cgroup, { recursive: true });
    const file = join(tmp.dir, 'scenario.sh');
    writeFileSync(file, SCRIPT);
    const dir = join(tmp.dir, 'work');
    mkdirSync(dir);
    const run = await runTsfalco(['capture', '-o', trace, '--only-command', '--', 'sh', file, dir, cgroup], { timeoutMs: 90_000 });
    expect(run.status, run.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    for (const dir of [cgroup, parent]) {
      try {
        if (dir) rmdirSync(dir);
      } catch {
        // already gone, or never made
      }
    }
    tmp.cleanup();
  });

  it('the capture records the container\'s own users and groups, with its id, once', () => {
    const rows = readEvents(trace).filter((e) => (e.type === 'snapshot_user' || e.type === 'snapshot_group') && e.container_id === id.slice(0, 12));
    expect(rows.map((r) => `${r.type} ${r.name}`).sort()).toEqual(['snapshot_group node', 'snapshot_group root', 'snapshot_user node', 'snapshot_user root']);
  });

  it('every later snapshot repeats a live container\'s users and groups, so a reader starting there knows them', async () => {
    const again = join(tmp.dir, 'again.arrow');
    const dir = join(tmp.dir, 'work2');
    mkdirSync(dir);
    const run = await runTsfalco(['capture', '-o', again, '--snapshot-interval', '1s', '--only-command', '--', 'sh', join(tmp.dir, 'scenario.sh'), dir, cgroup], { timeoutMs: 90_000 });
    expect(run.status, run.stderr).toBe(0);
    // Rows of the container's 'node' user, and whether each is inside a periodic snapshot (after
    // a snapshot_machine row, before its snapshot_end) rather than recorded at a tick.
    let inSnapshot = false;
    const places: boolean[] = [];
    for (const e of readEvents(again)) {
      if (e.type === 'snapshot_machine') inSnapshot = true;
      else if (e.type === 'snapshot_end') inSnapshot = false;
      else if (e.type === 'snapshot_user' && e.container_id === id.slice(0, 12) && e.name === 'node') places.push(inSnapshot);
    }
    expect(places.length, 'the container lives 2.5 s: a tick and at least one 1 s snapshot see it').toBeGreaterThanOrEqual(2);
    expect(places.filter((p) => p).length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('uid/gid 1000 in the container is node, whatever the host calls 1000', () => {
    expect(hostName('/etc/passwd', 1000)).not.toBe('node');
    const rows = fieldValues(trace, 'evt.type=execve and proc.name=ctrprobe', ['user.uid', 'user.name', 'group.gid', 'group.name', 'container.id']);
    expect(rows).toEqual([{ 'user.uid': '1000', 'user.name': 'node', 'group.gid': '1000', 'group.name': 'node', 'container.id': id.slice(0, 12) }]);
  });

  it('uid/gid 1000 on the host gets the host\'s names, before and after the container\'s are known', () => {
    const rows = fieldValues(trace, 'evt.type=execve and proc.name=hostprobe', ['user.uid', 'user.name', 'group.name', 'container.id']);
    const host = { 'user.uid': '1000', 'user.name': hostName('/etc/passwd', 1000), 'group.name': hostName('/etc/group', 1000), 'container.id': 'host' };
    expect(rows).toEqual([host, host]);
  });
});
