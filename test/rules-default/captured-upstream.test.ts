import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureSuite, runTsfalco } from '../capture/helpers.js';
import { tempDir } from '../helpers/cli.js';
import { FALCO_RULES, upstreamPath, upstreamSuite } from '../helpers/upstream.js';
import { alertsByRule, fieldValues } from '../helpers/replay.js';
import { CONTAINER_PLUGIN_SUGGESTED_FIELDS } from '../../src/cli/rules-env.js';

/**
 * Falco's own upstream rules on REAL captures, for rules that depend on how libsinsp spells a
 * field (issue #10): proc.cwd ends in `/` ("Execution from /dev/shm" asks for
 * `proc.cwd startswith "/dev/shm/"`), and a failed open's fd.name is its path normalised while
 * fd.nameraw keeps it as given ("Directory traversal monitored file read", branch
 * `open_file_failed`). A SUSPICIOUS script does what the rules look for, harmlessly (a copy of
 * true in /dev/shm, removed at exit; opens of files that do not exist); an INNOCENT script does
 * the near misses: the same run from the scenario's own directory under /tmp, and failed opens
 * that do not traverse or that traverse out of the monitored directories. The CLI's alerts for
 * the capture end, as Falco's with its container plugin do, with the plugin's six suggested
 * fields, in its order, in the text and in the JSON alert's output_fields.
 */
const RULES_FILE = FALCO_RULES[0];
const UPSTREAM_RULES = upstreamPath(RULES_FILE);

// The failed opens are made by a forked perl: the rule leaves out opens whose parent is a shell.
const OPEN_IN_CHILD = `perl -e 'my $p = fork // die; if (!$p) { open(my $f, "<", $ARGV[0]) and die "exists: $ARGV[0]"; exit 0 } waitpid($p, 0)'`;

const SUSPICIOUS = `set -e
D="$1"; U="tsfalco-test.$$"
trap 'rm -f "/dev/shm/$U"' EXIT
cp /bin/true "/dev/shm/$U"; (cd /dev/shm && "./$U")
${OPEN_IN_CHILD} "/root/../root/../root/.ssh/nonexistent-$U"
`;

const INNOCENT = `set -e
D="$1"; U="tsfalco-test.$$"
cp /bin/true "$D/$U"; (cd "$D" && "./$U")
${OPEN_IN_CHILD} "/root/.ssh/nonexistent-$U"
${OPEN_IN_CHILD} "/root/.ssh/../../root/../tmp/nonexistent-$U"
`;

const DEV_SHM = 'Execution from /dev/shm';
const TRAVERSAL = 'Directory traversal monitored file read';

upstreamSuite('upstream rules on real captures: proc.cwd and failed-open names as libsinsp spells them', [RULES_FILE], () => {
  const tmp = tempDir('tsfalco-upstream-');
  const traces: Record<string, string> = {};
  const alerts: Record<string, Map<string, number>> = {};

  beforeAll(async () => {
    for (const [name, script] of Object.entries({ suspicious: SUSPICIOUS, innocent: INNOCENT })) {
      const file = join(tmp.dir, `${name}.sh`);
      writeFileSync(file, script);
      traces[name] = join(tmp.dir, `${name}.arrow`);
      const run = await runTsfalco(['capture', '-o', traces[name], '--only-command', '--', 'sh', file, tmp.dir], { timeoutMs: 90_000 });
      expect(run.status, run.stderr).toBe(0);
      alerts[name] = alertsByRule(traces[name], [UPSTREAM_RULES]);
    }
  }, 200_000);
  afterAll(() => tmp.cleanup());

  it('proc.cwd of ./x run from /dev/shm is "/dev/shm/", as libsinsp keeps a working directory', () => {
    const execs = fieldValues(traces.suspicious, 'evt.type=execve and proc.exe startswith "./tsfalco-test."', ['proc.cwd', 'proc.exe']);
    expect(execs.map((e) => e['proc.cwd'])).toEqual(['/dev/shm/']);
  });
  it(`${DEV_SHM} fires for ./x run with cwd /dev/shm`, () => {
    expect(alerts.suspicious.get(DEV_SHM) ?? 0).toBe(1);
  });
  it(`${DEV_SHM} stays silent for the same run from a directory under /tmp`, () => {
    const execs = fieldValues(traces.innocent, 'evt.type=execve and proc.exe startswith "./tsfalco-test."', ['proc.cwd']);
    expect(execs.map((e) => e['proc.cwd'])).toEqual([`${tmp.dir}/`]);
    expect(alerts.innocent.get(DEV_SHM) ?? 0).toBe(0);
  });

  it('a failed openat has fd.num -1, fd.name normalised, fd.nameraw and evt.arg.name as given, fd.directory of the normal name', () => {
    const opens = fieldValues(traces.suspicious, 'evt.type=openat and evt.res=ENOENT and fd.nameraw contains "nonexistent-"', [
      'fd.num', 'fd.typechar', 'fd.name', 'fd.nameraw', 'fd.directory', 'evt.arg.name',
    ]);
    expect(opens).toHaveLength(1);
    const raw = opens[0]['fd.nameraw'];
    expect(raw).toMatch(/^\/root\/\.\.\/root\/\.\.\/root\/\.ssh\/nonexistent-tsfalco-test\.\d+$/);
    expect(opens[0]).toEqual({
      'fd.num': '-1', 'fd.typechar': 'f', 'fd.name': raw.replace('/root/../root/../', '/'), 'fd.nameraw': raw, 'fd.directory': '/root/.ssh', 'evt.arg.name': raw,
    });
  });
  it(`${TRAVERSAL} fires for a failed open of /root/../root/../root/.ssh/…`, () => {
    expect(alerts.suspicious.get(TRAVERSAL) ?? 0).toBe(1);
  });
  it(`${TRAVERSAL} stays silent for a failed open that does not traverse, or traverses out of /root/.ssh`, () => {
    const names = fieldValues(traces.innocent, 'evt.type=openat and evt.res=ENOENT and fd.nameraw contains "nonexistent-"', ['fd.name']);
    expect(names.map((n) => n['fd.name'].replace(/\d+$/, 'N'))).toEqual(['/root/.ssh/nonexistent-tsfalco-test.N', '/tmp/nonexistent-tsfalco-test.N']);
    expect(alerts.innocent.get(TRAVERSAL) ?? 0).toBe(0);
  });

  it('every alert ends with the container plugin\'s six suggested fields, in text and in JSON output_fields', async () => {
    const keys = ['container_id', 'container_name', 'container_image_repository', 'container_image_tag', 'k8s_pod_name', 'k8s_ns_name'];
    expect(CONTAINER_PLUGIN_SUGGESTED_FIELDS.map((f) => f.replaceAll('.', '_'))).toEqual(keys);
    const text = await runTsfalco(['replay', traces.suspicious, '-r', UPSTREAM_RULES, '--no-summary']);
    expect(text.status, text.stderr).toBe(0);
    const line = text.stdout.split('\n').find((l) => l.includes('File execution detected from /dev/shm'));
    expect(line).toMatch(/ container_id=host container_name=host container_image_repository=\S* container_image_tag=\S* k8s_pod_name=\S* k8s_ns_name=\S*$/);
    const json = await runTsfalco(['replay', traces.suspicious, '-r', UPSTREAM_RULES, '--no-summary', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const alerts = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rule: string; output: string; output_fields: Record<string, unknown> });
    expect(alerts.map((a) => a.rule).sort()).toEqual([DEV_SHM, TRAVERSAL].sort());
    for (const a of alerts) {
      const fields = CONTAINER_PLUGIN_SUGGESTED_FIELDS.map((f) => String(a.output_fields[f] ?? '<NA>'));
      expect(Object.keys(a.output_fields)).toEqual(expect.arrayContaining([...CONTAINER_PLUGIN_SUGGESTED_FIELDS]));
      expect(a.output.endsWith(keys.map((k, i) => `${k}=${fields[i]}`).join(' ')), a.output).toBe(true);
    }
  });
}, { define: captureSuite });
