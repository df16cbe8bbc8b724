import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureSuite, runTsfalco } from '../capture/helpers.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { alertsByRule } from '../helpers/replay.js';

/**
 * Default rules on REAL captures: one scenario that does the suspicious things (harmlessly, in a
 * temp dir, against a local listener) and one that does their innocent look-alikes.
 */
const RULES = join(ROOT, 'rules/tsfalco_rules.yaml');

const SUSPICIOUS = `set -e
D="$1"; PORT="$2"
cp /bin/cat "$D/notcat"; "$D/notcat" /etc/shadow > /dev/null
cp /bin/true "$D/dropper"; "$D/dropper"
echo 'ls' > "$D/.bash_history"; rm -f "$D/.bash_history"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; exec 0<&3 1>&3; echo hi"
perl -e '
  use IO::Handle;
  my $name = "tsfmemfd"; my $fd = syscall(319, $name, 0); die "memfd_create: $!" if $fd < 0;
  open(my $dst, ">&=", $fd) or die "fdopen: $!"; binmode $dst;
  open(my $src, "<:raw", "/bin/true") or die; my $data = do { local $/; <$src> }; print {$dst} $data; $dst->flush;
  exec {"/proc/self/fd/$fd"} "memfdchild" or die "exec: $!";
'
`;

const INNOCENT = `set -e
D="$1"; PORT="$2"
cat /etc/hostname > /dev/null
/bin/true
echo 'ls' > "$D/notes.txt"; rm -f "$D/notes.txt"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; echo hi >&3; exec 3>&-"
`;

const EXPECTED = [
  'TSF Sensitive File Read by Untrusted Program',
  'TSF Execution from /tmp or /dev/shm',
  'TSF Shell History Deleted or Truncated',
  'TSF Standard Input Redirected from a Socket',
  'TSF Fileless Execution from Memory',
  'TSF Memory File Created for Execution',
];

captureSuite('default rules on real captures', () => {
  const tmp = tempDir('tsfalco-rules-');
  let server: Server;
  let port = 0;
  const traces: Record<string, string> = {};

  beforeAll(async () => {
    server = createServer((s) => s.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    for (const [name, script] of Object.entries({ suspicious: SUSPICIOUS, innocent: INNOCENT })) {
      const file = join(tmp.dir, `${name}.sh`);
      writeFileSync(file, script);
      traces[name] = join(tmp.dir, `${name}.arrow`);
      const run = await runTsfalco(['capture', '-o', traces[name], '--only-command', '--', 'sh', file, tmp.dir, String(port)]);
      expect(run.status, run.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(() => {
    server?.close();
    tmp.cleanup();
  });

  it('the suspicious scenario fires each rule it exercises', () => {
    const alerts = alertsByRule(traces.suspicious, [RULES]);
    for (const rule of EXPECTED) expect(alerts.get(rule) ?? 0, rule).toBeGreaterThan(0);
  });

  it('the innocent look-alikes fire none of them', () => {
    const alerts = alertsByRule(traces.innocent, [RULES]);
    for (const rule of EXPECTED) expect(alerts.get(rule) ?? 0, rule).toBe(0);
  });
});
