import { randomBytes } from 'node:crypto';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureSuite, cgroup2Root, readEvents, runTsfalco } from '../capture/helpers.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { alertsByRule } from '../helpers/replay.js';

/**
 * The container rules on REAL captures, without a container runtime: the scenario moves its own
 * shell into a cgroup named as Docker names a container's (`docker-<64 hex>.scope`, in the
 * cgroup v2 hierarchy the capture helper reads), which is all libsinsp and tsfalco look at to give
 * a process a container id. Inside it: a shell is spawned, a package manager (a copy of true named
 * apt-get) runs, and a tmpfs is mounted in a private mount namespace (harmless: gone with it).
 * The near miss is the same script left on the host's cgroup. Image and runtime metadata, which
 * come from a runtime's API, are not part of this: those rules do not look at them.
 */
const RULES = join(ROOT, 'rules/tsfalco_rules.yaml');

const SCRIPT = `set -e
D="$1"; CG="$2"
if [ -n "$CG" ]; then echo $$ > "$CG/cgroup.procs"; fi
sh -c 'exit 0'
cp /bin/true "$D/apt-get"; "$D/apt-get" install nothing
mkdir -p "$D/mnt"; unshare -m sh -c 'mount -t tmpfs tsfalco-test "$0"' "$D/mnt"
`;

const CONTAINER_RULES = ['TSF Shell Spawned in a Container', 'TSF Package Manager Run in a Container', 'TSF Filesystem Mounted Inside a Container'];

captureSuite('container rules on real captures (a Docker-named cgroup, no runtime)', () => {
  const tmp = tempDir('tsfalco-ctr-');
  const id = randomBytes(32).toString('hex');
  const root = cgroup2Root();
  const parent = root ? join(root, `tsfalco-test-${process.pid}`) : '';
  const cgroup = join(parent, `docker-${id}.scope`);
  const traces: Record<string, string> = {};

  beforeAll(async () => {
    if (!root) throw new Error('no cgroup v2 hierarchy is mounted: the container scenario needs one');
    mkdirSync(cgroup, { recursive: true });
    const file = join(tmp.dir, 'scenario.sh');
    writeFileSync(file, SCRIPT);
    for (const [name, cg] of Object.entries({ container: cgroup, host: '' })) {
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      traces[name] = join(tmp.dir, `${name}.arrow`);
      const run = await runTsfalco(['capture', '-o', traces[name], '--only-command', '--', 'sh', file, dir, cg], { timeoutMs: 90_000 });
      expect(run.status, run.stderr).toBe(0);
    }
  }, 200_000);
  afterAll(() => {
    // The scenario's processes have exited, so the cgroups are empty and can go.
    for (const dir of [cgroup, parent]) {
      try {
        if (dir) rmdirSync(dir);
      } catch {
        // already gone, or never made
      }
    }
    tmp.cleanup();
  });

  it('records the processes inside with the container id the cgroup names', () => {
    const execs = readEvents(traces.container).filter((e) => e.type === 'execve' && e.res === 0n);
    expect(execs.find((e) => e.exe === 'sh' && e.args?.[0] === '-c')?.cgroup).toBe(`/${parent.slice(root!.length + 1)}/docker-${id}.scope`);
  });

  let inside: Map<string, number> | undefined;
  let outside: Map<string, number> | undefined;
  for (const rule of CONTAINER_RULES) {
    it(`${rule} fires inside the container`, () => {
      inside ??= alertsByRule(traces.container, [RULES]);
      expect(inside.get(rule) ?? 0, rule).toBeGreaterThan(0);
    });
    it(`${rule} stays silent on the host (the same script)`, () => {
      outside ??= alertsByRule(traces.host, [RULES]);
      expect(outside.get(rule) ?? 0, rule).toBe(0);
    });
  }
});
