import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureSuite, runTsfalco } from '../capture/helpers.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { alertsByRule } from '../helpers/replay.js';

/**
 * Default rules on REAL captures (`tsfalco capture --only-command`): a SUSPICIOUS script does the
 * things the rules look for, harmlessly, and an INNOCENT script does their look-alikes. Every
 * step of the suspicious script is numbered; the table below says which rule each step must fire
 * and what its near miss in the innocent script is. The innocent script must fire none of them.
 *
 * Harmless: files outside the scenario's temp dir are uniquely named, empty and removed at once
 * (a trap removes them if the script fails); /etc/passwd is opened for append and closed without
 * a write; connections go to listeners of this test on this host (its loopback and its own
 * non-loopback address); the BPF program loaded is `r0 = 0; exit` and is freed when its fd
 * closes; the ptrace target is a `sleep` child of the script.
 *
 * Rules NOT here: three container rules have a real capture of their own
 * (captured-container.test.ts); the release_agent escape and the kernel module rule stay on their
 * synthetic tests (default-rules.test.ts), see rules/README.md.
 */
const RULES = join(ROOT, 'rules/tsfalco_rules.yaml');

// Arguments of both scripts: $1 the scenario's own temp dir, $2 a loopback listener's port,
// $3 this host's non-loopback IPv4 address, $4/$5/$6 listeners there on a miner port, an
// uncommon port and a common port.
const SUSPICIOUS = `set -e
D="$1"; PORT="$2"; IP="$3"; MINER="$4"; UNCOMMON="$5"
U="tsfalco-test.$$"
trap 'rm -f "/usr/local/bin/$U" "/etc/$U" "/etc/cron.d/$U" "/var/log/$U"' EXIT
# 1 sensitive file read by an untrusted program
cp /bin/cat "$D/notcat"; "$D/notcat" /etc/shadow > /dev/null
# 2 execution from /tmp
cp /bin/true "$D/dropper"; "$D/dropper"
# 3 shell history removed
echo 'ls' > "$D/.bash_history"; rm -f "$D/.bash_history"
# 4 stdin redirected from a socket
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; exec 0<&3 1>&3; echo hi"
# 5 memfd created, 6 executed
perl -e '
  use IO::Handle;
  my $name = "tsfmemfd"; my $fd = syscall(319, $name, 0); die "memfd_create: $!" if $fd < 0;
  open(my $dst, ">&=", $fd) or die "fdopen: $!"; binmode $dst;
  open(my $src, "<:raw", "/bin/true") or die; my $data = do { local $/; <$src> }; print {$dst} $data; $dst->flush;
  exec {"/proc/self/fd/$fd"} "memfdchild" or die "exec: $!";
'
# 7 write below a binary dir, 8 below /etc, 9 in a cron dir, 10 to the user database, 11 a log cleared
: > "/usr/local/bin/$U"; rm -f "/usr/local/bin/$U"
: > "/etc/$U"; rm -f "/etc/$U"
: > "/etc/cron.d/$U"; rm -f "/etc/cron.d/$U"
: >> /etc/passwd
: > "/var/log/$U"; rm -f "/var/log/$U"
# 12 authorized_keys written
mkdir -p "$D/.ssh"; echo 'ssh-ed25519 AAAAC3 test' > "$D/.ssh/authorized_keys"
# 13 netcat running a program on its connection
nc -w 2 -e /bin/true 127.0.0.1 "$PORT"
# 14 connection out to an uncommon port, 15 to a miner port
bash -c "exec 3<>/dev/tcp/$IP/$UNCOMMON; echo hi >&3; exec 3>&-"
bash -c "exec 3<>/dev/tcp/$IP/$MINER; echo hi >&3; exec 3>&-"
# 16 a miner-named program
cp /bin/true "$D/xmrig"; "$D/xmrig"
# 17 credential search
grep -r password "$D" > /dev/null || true; find "$D" -name id_rsa > /dev/null
# 18 shell started by a network service
cp /bin/bash "$D/nginx"; "$D/nginx" -c 'sh -c true; true'
# 19 setuid bit set, 20 root through it: a logged-in user (loginuid set for this process only)
# drops to nobody and runs the setuid-root copy
cp /bin/true "$D/suidtrue"; chmod 4755 "$D/suidtrue"; chmod 755 "$D"
perl -e 'open(my $f, ">", "/proc/self/loginuid") or die "loginuid: $!"; print $f "65534"; close($f) or die "loginuid: $!";
  $) = "65534 65534"; $( = 65534; $< = $> = 65534; die "still root" if $> == 0 || $< == 0;
  exec {$ARGV[0]} "suidtrue" or die "exec: $!"' "$D/suidtrue"
# 21 setuid(0) by a non-root process of a logged-in user (effective uid nobody, saved uid root)
perl -e 'open(my $f, ">", "/proc/self/loginuid") or die "loginuid: $!"; print $f "65534"; close($f) or die "loginuid: $!";
  $> = 65534; die "seteuid: $!" if $> != 65534; syscall(105, 0) == 0 or die "setuid: $!"'
# 22 ptrace attach (then detach) to a child
perl -e 'my $pid = fork // die; if (!$pid) { exec "sleep", "5" or die } select(undef, undef, undef, 0.2);
  syscall(101, 16, $pid, 0, 0) == 0 or die "attach: $!"; waitpid($pid, 0);
  syscall(101, 17, $pid, 0, 0) == 0 or die "detach: $!"; kill "KILL", $pid; waitpid($pid, 0)'
# 23 a BPF program loaded: r0 = 0; exit (a socket filter, freed on close)
perl -e 'use POSIX;
  my $insns = pack("CCsl CCsl", 0xb7, 0, 0, 0, 0x95, 0, 0, 0); my $lic = "GPL";
  my $attr = pack("LLQQLLQL", 1, 2, unpack("J", pack("p", $insns)), unpack("J", pack("p", $lic)), 0, 0, 0, 0) . ("\\0" x 80);
  my $fd = syscall(321, 5, $attr, length $attr); die "bpf: $!" if $fd < 0; POSIX::close($fd)'
`;

const INNOCENT = `set -e
D="$1"; PORT="$2"; IP="$3"; COMMON="$6"
cat /etc/hostname > /dev/null
/bin/true
echo 'ls' > "$D/notes.txt"; rm -f "$D/notes.txt"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; echo hi >&3; exec 3>&-"
perl -e 'print "no memfd\\n"' > /dev/null
: > "$D/bin-file"; : > "$D/etc-file"; mkdir -p "$D/cron.d"; : > "$D/cron.d/job"
cat /etc/passwd > /dev/null
: > "$D/app.log"; rm -f "$D/app.log"
mkdir -p "$D/ssh-notes"; echo 'host key' > "$D/ssh-notes/known_hosts"
echo hi | nc -w 2 -q 0 127.0.0.1 "$PORT"
bash -c "exec 3<>/dev/tcp/$IP/$COMMON; echo hi >&3; exec 3>&-"
/bin/echo xmrig stratum pool notes > /dev/null
grep -r hello "$D" > /dev/null || true; find "$D" -name notes.txt > /dev/null
bash -c 'sh -c true; true'
touch "$D/script"; chmod u+x "$D/script"; chmod 755 "$D"
perl -e 'open(my $f, ">", "/proc/self/loginuid") or die "loginuid: $!"; print $f "65534"; close($f) or die "loginuid: $!";
  $) = "65534 65534"; $( = 65534; $< = $> = 65534; die "still root" if $> == 0 || $< == 0;
  exec {"/bin/true"} "true" or die "exec: $!"'
perl -e '$> = 65534; die "seteuid: $!" if $> != 65534; syscall(105, 0) == 0 or die "setuid: $!"'
perl -e 'syscall(101, 16, 4194305, 0, 0) == 0 and die "attached"'
perl -e 'my $attr = pack("LLQQLLQL", 1, 0, 0, 0, 0, 0, 0, 0) . ("\\0" x 80);
  syscall(321, 5, $attr, length $attr) >= 0 and die "loaded"'
`;

/** Rule → the step of SUSPICIOUS that fires it; the innocent look-alike is in INNOCENT, in the same order. */
const FIRES: [rule: string, step: string, nearMiss: string][] = [
  ['TSF Sensitive File Read by Untrusted Program', '1 a copy of cat reads /etc/shadow', 'cat reads /etc/hostname'],
  ['TSF Execution from /tmp or /dev/shm', '2 a copy of true runs from the temp dir', '/bin/true'],
  ['TSF Shell History Deleted or Truncated', '3 .bash_history removed', 'notes.txt removed'],
  ['TSF Standard Input Redirected from a Socket', '4 bash: exec 0<&3 on a TCP socket', 'only stdout to the socket'],
  ['TSF Memory File Created for Execution', '5 perl memfd_create', 'perl without memfd'],
  ['TSF Fileless Execution from Memory', '6 exec of /proc/self/fd/N (memfd)', 'exec from disk'],
  ['TSF Write Below Binary Directory', '7 empty file created below /usr/local/bin, removed', 'the same in the temp dir'],
  ['TSF Write Below /etc', '8 empty file created below /etc, removed', 'the same in the temp dir'],
  ['TSF Cron Job Modified', '9 empty file created below /etc/cron.d, removed', 'the same in a temp cron.d'],
  ['TSF User Database Modified', '10 /etc/passwd opened for append, nothing written', '/etc/passwd read'],
  ['TSF Log File Cleared or Removed', '11 file below /var/log truncated, removed', 'the same in the temp dir'],
  ['TSF SSH Authorized Keys Modified', '12 .ssh/authorized_keys written in the temp dir', 'known_hosts written'],
  ['TSF Netcat Remote Code Execution', '13 nc -e /bin/true', 'nc without -e'],
  ['TSF Outbound Connection to Uncommon Port', "14 connect to this host's non-loopback address, uncommon port", 'the same on a common port'],
  ['TSF Crypto-Miner Pool Connection', "15 connect to this host's non-loopback address, miner port", 'the same on a common port'],
  ['TSF Crypto-Miner Program Started', '16 a copy of true named xmrig', 'echo with miner words as arguments'],
  ['TSF Credential Search', '17 grep -r password, find -name id_rsa', 'grep -r hello, find -name notes.txt'],
  ['TSF Shell Started by a Network Service', '18 a copy of bash named nginx starts sh', 'bash starts sh'],
  ['TSF Setuid or Setgid Bit Set', '19 chmod 4755', 'chmod u+x'],
  ['TSF Root Gained Through a Setuid Program', '20 a logged-in nobody runs a setuid-root copy of true', 'runs /bin/true'],
  ['TSF Setuid to Root by a Non-Root Process', "21 a logged-in user's process, effective uid nobody, takes back root with setuid(0)", 'the same outside a login session (a root service)'],
  ['TSF Ptrace Attach to Another Process', '22 PTRACE_ATTACH to a sleep child', 'PTRACE_ATTACH to no process fails'],
  ['TSF BPF Program Loaded by an Unexpected Process', '23 BPF_PROG_LOAD of r0 = 0; exit', 'BPF_PROG_LOAD of no instructions fails'],
];

/** This host's first non-loopback IPv4 address: the rules for outbound connections ignore loopback. */
function hostAddress(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

async function listen(host: string, ports: number[]): Promise<{ server: Server; port: number }> {
  for (const p of ports) {
    const server = createServer((s) => s.resume());
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(p, host, () => resolve(true));
    });
    if (ok) return { server, port: (server.address() as { port: number }).port };
  }
  throw new Error(`no free port on ${host} among ${ports.join(', ')}`);
}

captureSuite('default rules on real captures', () => {
  const tmp = tempDir('tsfalco-rules-');
  const servers: Server[] = [];
  const traces: Record<string, string> = {};
  const ip = hostAddress();

  beforeAll(async () => {
    if (!ip) throw new Error('this host has no non-loopback IPv4 address for the connection rules');
    const lo = await listen('127.0.0.1', [0]);
    const miner = await listen(ip, [14444, 14433, 45700, 45560, 3333, 3334, 3335, 5555, 7777, 9999]);
    let uncommon = await listen(ip, [0]);
    while ([14444, 14433, 45700, 45560].includes(uncommon.port)) uncommon = await listen(ip, [0]);
    const common = await listen(ip, [8080, 8443, 9200, 11211, 27017, 80, 443]);
    servers.push(lo.server, miner.server, uncommon.server, common.server);
    chmodSync(tmp.dir, 0o755); // nobody runs a program from it (step 20)
    const args = [String(lo.port), ip, String(miner.port), String(uncommon.port), String(common.port)];
    for (const [name, script] of Object.entries({ suspicious: SUSPICIOUS, innocent: INNOCENT })) {
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      const file = join(tmp.dir, `${name}.sh`);
      writeFileSync(file, script);
      traces[name] = join(tmp.dir, `${name}.arrow`);
      const run = await runTsfalco(['capture', '-o', traces[name], '--only-command', '--', 'sh', file, dir, ...args], { timeoutMs: 90_000 });
      expect(run.status, run.stderr).toBe(0);
    }
  }, 240_000);
  afterAll(() => {
    for (const s of servers) s.close();
    tmp.cleanup();
  });

  let suspicious: Map<string, number> | undefined;
  let innocent: Map<string, number> | undefined;

  for (const [rule, step] of FIRES) {
    it(`${rule} fires on step ${step}`, () => {
      suspicious ??= alertsByRule(traces.suspicious, [RULES]);
      expect(suspicious.get(rule) ?? 0, rule).toBeGreaterThan(0);
    });
  }

  // In a root session that some non-root user logged into (loginuid set, e.g. through sudo) every
  // process looks like "root gained": the near misses of the two loginuid rules only mean
  // something when the test runs outside such a session (loginuid unset or root's, as on CI).
  const loginuid = Number(readFileSync('/proc/self/loginuid', 'utf8'));
  const LOGINUID_RULES = ['TSF Root Gained Through a Setuid Program', 'TSF Setuid to Root by a Non-Root Process'];
  const sessionOfAnotherUser = process.getuid?.() === 0 && loginuid !== 0 && loginuid !== 4294967295;

  for (const [rule, , nearMiss] of FIRES) {
    // In CI (TSFALCO_REQUIRE_CAPTURE=1) nothing is skipped: there the near miss must hold.
    const skip = sessionOfAnotherUser && process.env.TSFALCO_REQUIRE_CAPTURE !== '1' && LOGINUID_RULES.includes(rule);
    it.skipIf(skip)(`${rule} stays silent on the near miss: ${nearMiss}${skip ? ' (skipped: the test runs in a session of a non-root login)' : ''}`, () => {
      innocent ??= alertsByRule(traces.innocent, [RULES]);
      expect(innocent.get(rule) ?? 0, rule).toBe(0);
    });
  }
});
