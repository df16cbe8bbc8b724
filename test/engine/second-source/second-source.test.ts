import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loaderFor } from '../../../src/cli/rules-env.js';
import { loadFalcoConfig } from '../../../src/config/index.js';
import { alertOf } from '../../../src/engine/alert.js';
import { replayTrace } from '../../../src/engine/replay.js';
import { syscallSource } from '../../../src/engine/syscall/source.js';
import { alertFormatFrom, alertLine, openAlertFile } from '../../../src/outputs/index.js';
import { loadRulesContent } from '../../../src/rules/load/index.js';
import { PPM_O } from '../../../src/trace/flags.js';
import type { TraceEvent } from '../../../src/trace/event.js';
import { tempDir } from '../../helpers/cli.js';
import { writeEvents } from '../../helpers/replay.js';
import { testlogSource } from './testlog-source.js';

/**
 * A second event source end to end, with nothing in src/ knowing it: its own catalog, its events
 * in a trace beside syscall events, a `source: testlog` rule, and alerts through the outputs.
 */
const tmp = tempDir();
afterAll(tmp.cleanup);

const log = (doc: Record<string, unknown>): Partial<TraceEvent> => ({ source: 'testlog', type: 'log', payload: new TextEncoder().encode(JSON.stringify(doc)) });
const cat = { tid: 300, pid: 300, ppid: 1, comm: 'cat', uid: 0, gid: 0, euid: 0, egid: 0, loginuid: 1000 };

const trace = writeEvents(tmp.dir, [
  { type: 'snapshot_machine', name: 'web-01' },
  { type: 'snapshot_proc', ...cat, exe: 'cat', exepath: '/usr/bin/cat', args: ['/etc/shadow'], cwd: '/root' },
  { type: 'snapshot_end' },
  log({ level: 'info', msg: 'login ok', user: 'alice', size: 10 }),
  log({ level: 'error', msg: 'login failed', user: 'mallory', size: 42 }),
  { type: 'openat', dir: '<', ...cat, dirfd: -100n, path: '/etc/shadow', flags: PPM_O.RDONLY, res: 3n },
  log({ level: 'error', msg: 'disk full', user: 'root', size: 1 }),
  { type: 'openat', dir: '<', ...cat, dirfd: -100n, path: '/etc/hosts', flags: PPM_O.RDONLY, res: 4n },
  log({ level: 'error', msg: 'login failed again', user: 'mallory', size: 7 }),
]);

const RULES = `
- rule: Shadow read
  desc: a syscall rule
  condition: evt.type = openat and fd.name = /etc/shadow
  output: "shadow read by %proc.name (%evt.source)"
  priority: WARNING
- rule: Failed login
  desc: a rule of the second source
  condition: testlog.level = error and testlog.msg contains "login failed"
  output: "login failed for %testlog.user (source %evt.source, event %evt.num, %testlog.size bytes)"
  priority: CRITICAL
  source: testlog
  tags: [auth]
`;

function load(sources = [syscallSource, testlogSource]) {
  const config = loadFalcoConfig({ options: ['append_output.suggested_output=false', 'json_output=true'] });
  const loader = loaderFor(config, undefined, (s) => s.newProvider(), sources);
  const result = loadRulesContent(loader, 'two-sources.yaml', RULES);
  return { config, result, rules: loader.compiled?.rules ?? [] };
}

describe('a second event source', () => {
  it('loads rules of both sources against their own catalogs', () => {
    const { result, rules } = load();
    expect(result.successful).toBe(true);
    expect(rules.map((r) => [r.name, r.source])).toEqual([
      ['Shadow read', 'syscall'],
      ['Failed login', 'testlog'],
    ]);
    // testlog.* is not a syscall field, and the syscall catalog does not leak into testlog's
    const bad = loadRulesContent(loaderFor(loadFalcoConfig({}), undefined, (s) => s.newProvider(), [syscallSource, testlogSource]), 'bad.yaml',
      '- rule: r\n  desc: d\n  condition: testlog.level = error\n  output: x\n  priority: INFO\n');
    expect(bad.successful).toBe(false);
    expect(JSON.stringify(bad.errors)).toContain('testlog.level');
  });

  it('replays both sources of one trace in event order, each rule on its own source, alerts through a file output', async () => {
    const { config, rules } = load();
    const out = join(tmp.dir, 'alerts.json');
    const sink = openAlertFile(out);
    const format = alertFormatFrom(config);
    const stats = replayTrace(trace, {
      rules,
      ruleMatching: 'all',
      sources: [syscallSource, testlogSource],
      onAlert(match) {
        const alert = alertOf(match);
        sink.write({ line: alertLine(alert, format), alert });
      },
    });
    await sink.close();
    expect(stats.events).toBe(6);
    expect(stats.records).toBe(3);
    expect(Object.fromEntries(stats.alertsByRule)).toEqual({ 'Failed login': 2, 'Shadow read': 1 });
    const alerts = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts.map((a) => [a.rule, a.source, a.priority])).toEqual([
      ['Failed login', 'testlog', 'Critical'],
      ['Shadow read', 'syscall', 'Warning'],
      ['Failed login', 'testlog', 'Critical'],
    ]);
    expect(alerts[0]).toMatchObject({
      hostname: 'testhost',
      tags: ['auth'],
      output: expect.stringMatching(/: Critical login failed for mallory \(source testlog, event 5, 42 bytes\)$/),
      output_fields: { 'testlog.user': 'mallory', 'evt.source': 'testlog', 'evt.num': 5, 'testlog.size': 42 },
    });
    expect(alerts[1].output).toMatch(/: Warning shadow read by cat \(syscall\)$/);
    expect(alerts[2].output_fields['evt.num']).toBe(9);
  });

  it('without the source registered: its rules are skipped with Falco\'s warning, its rows left out of the replay', () => {
    const { result, rules } = load([syscallSource]);
    expect(result.warnings.map((w) => w.code)).toContain('LOAD_UNKNOWN_SOURCE');
    const stats = replayTrace(trace, { rules, ruleMatching: 'all', onAlert: () => {} });
    expect(stats.events).toBe(2);
    expect(stats.unknownSources.get('testlog')).toBe(4);
    expect(Object.fromEntries(stats.alertsByRule)).toEqual({ 'Shadow read': 1 });
  });
});
