import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadFalcoConfig, parseKeyPath, toPlain, applyOption, getNode } from '../../src/config/index.js';

function withFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsfalco-config-'));
  const p = join(dir, 'falco.yaml');
  writeFileSync(p, text);
  return p;
}

describe('stock defaults (no -c)', () => {
  it('behaves as Falco with its stock falco.yaml', () => {
    const c = loadFalcoConfig();
    expect(c.priority).toBe(7); // debug
    expect(c.ruleMatching).toBe('first');
    expect(c.jsonOutput).toBe(false);
    expect(c.jsonIncludeOutputProperty).toBe(true);
    expect(c.jsonIncludeTagsProperty).toBe(true);
    expect(c.timeFormatIso8601).toBe(false);
    expect(c.syscallEventDrops).toEqual({ threshold: 0.1, actions: ['log', 'alert'], rate: 0.03333, maxBurst: 1, simulateDrops: false });
    expect(c.appendOutput).toEqual([{ source: '', tags: [], rule: '', format: '', suggestedOutput: true, formattedFields: {}, rawFields: [] }]);
    expect(c.stdoutOutput.enabled).toBe(true);
  });

  it('never shares state between loads', () => {
    loadFalcoConfig({ options: ['priority=error'] });
    expect(loadFalcoConfig().priority).toBe(7);
  });
});

describe('-o overrides', () => {
  it('applies options in order: a later one wins', () => {
    const c = loadFalcoConfig({ options: ['stdout_output.enabled=false', 'json_output=true', 'stdout_output.enabled=true'] });
    expect(c.stdoutOutput.enabled).toBe(true);
    expect(c.jsonOutput).toBe(true);
  });

  it('appends to lists with key[] and applies rule selection in order', () => {
    const c = loadFalcoConfig({ options: ['rules[].disable.rule=*', 'rules[].enable.tag=network', 'rules[].disable.tag=k8s'] });
    expect(c.rulesSelection).toEqual([
      { op: 'disable', rule: '*', tag: '' },
      { op: 'enable', rule: '', tag: 'network' },
      { op: 'disable', rule: '', tag: 'k8s' },
    ]);
  });

  it('turns the stock append_output list into a map (ignored) with append_output.suggested_output=false, as yaml-cpp does', () => {
    const c = loadFalcoConfig({ options: ['append_output.suggested_output=false'] });
    expect(c.appendOutput).toEqual([]);
  });

  it('reads scalars as YAML scalars and objects in braces', () => {
    const c = loadFalcoConfig({ options: ['priority=WARNING', 'syscall_event_drops={threshold: .5, actions: [exit]}', 'json_output=yes'] });
    expect(c.priority).toBe(4);
    expect(c.syscallEventDrops.threshold).toBe(0.5);
    expect(c.syscallEventDrops.actions).toEqual(['exit']);
    expect(c.jsonOutput).toBe(true);
  });

  it('sets indexed and escaped keys', () => {
    const tree = new Map();
    applyOption(tree, 'a.b[0].c=1');
    applyOption(tree, 'a.b[1]=x');
    applyOption(tree, 'k\\.dotted=v');
    expect(toPlain(tree)).toEqual({ a: { b: [{ c: '1' }, 'x'] }, 'k.dotted': 'v' });
    expect(getNode(tree, 'a.b[0].c')).toBe('1');
    expect(parseKeyPath('rules[].disable.rule')).toEqual([{ key: 'rules' }, { append: true }, { key: 'disable' }, { key: 'rule' }]);
  });

  it('builds append_output entries with match, extra_output and extra_fields', () => {
    const c = loadFalcoConfig({
      configFile: withFile('append_output:\n  - match:\n      source: syscall\n      tags: [a, b]\n    extra_output: "u=%user.name"\n    extra_fields:\n      - wow: "%proc.name"\n      - proc.pid\n'),
    });
    expect(c.appendOutput).toEqual([
      { source: 'syscall', tags: ['a', 'b'], rule: '', format: 'u=%user.name', suggestedOutput: false, formattedFields: { wow: '%proc.name' }, rawFields: ['proc.pid'] },
    ]);
  });
});

describe('-c file', () => {
  it('uses Falco code defaults for keys the file does not set', () => {
    const c = loadFalcoConfig({ configFile: withFile('json_output: true\n') });
    expect(c.jsonOutput).toBe(true);
    expect(c.stdoutOutput.enabled).toBe(false); // code default, unlike the stock file
    expect(c.appendOutput).toEqual([]);
    expect(c.priority).toBe(7);
  });

  it('reads a drops config like the compat suite\'s', () => {
    const c = loadFalcoConfig({ configFile: withFile('syscall_event_drops:\n  actions:\n    - alert\n  rate: .03333\n  max_burst: 10\n  simulate_drops: true\n\nstdout_output:\n  enabled: true\n') });
    expect(c.syscallEventDrops).toEqual({ threshold: 0.1, actions: ['alert'], rate: 0.03333, maxBurst: 10, simulateDrops: true });
    expect(c.stdoutOutput.enabled).toBe(true);
  });
});

describe('invalid values are one clear error', () => {
  const err = (src: Parameters<typeof loadFalcoConfig>[0]) => {
    try {
      loadFalcoConfig(src);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  // The -o option that set a bad value is named first (Falco's own message names neither it nor,
  // for a -o value, the right file); a value from the -c file names the file.
  it('names the key and the problem', () => {
    expect(err({ options: ['priority=loud'] })).toBe(
      '-o priority=loud: Unknown priority "loud"--must be one of emergency, alert, critical, error, warning, notice, informational, debug',
    );
    expect(err({ options: ['rule_matching=best'] })).toBe('-o rule_matching=best: Unknown rule matching strategy "best"--must be one of first, all');
    expect(err({ options: ['json_output=perhaps'] })).toBe('-o json_output=perhaps: Config error at key "json_output": expected true or false, got "perhaps"');
    expect(err({ options: ['novalue'] })).toBe('-o novalue: Error parsing config option "novalue". Must be of the form key=val or key.subkey=val');
    expect(err({ options: ['syscall_event_drops.threshold=1.1'] })).toMatch(/threshold must be a double in the range \[0, 1\]/);
    expect(err({ options: ['syscall_event_drops.actions[0]=ignore'] })).toBe(
      '-o syscall_event_drops.actions[0]=ignore: syscall event drop action "alert" does not make sense with the "ignore" action',
    );
    expect(err({ options: ['syscall_event_drops.actions=explode'] })).toMatch(/available actions for syscall event drops/);
    expect(err({ options: ['priority.x=1'] })).toBe('-o priority.x=1: Config error at key "priority.x": operator[] call on a scalar (key: "x")');
    expect(err({ options: ['rules[].enable.nothing=1'] })).toMatch(/rules\[0\]\.enable must name a 'rule' or a 'tag'/);
    expect(err({ configFile: '/nonexistent/falco.yaml' })).toBe('Error reading config file (/nonexistent/falco.yaml): no such file');
    expect(err({ configFile: withFile('a: [1\n') })).toMatch(/^Error reading config file \(.*\): yaml-cpp: error at line 2, column 1: /);
    expect(err({ options: ['file_output.enabled=true', 'file_output.filename='] })).toMatch(/file output enabled but no filename/);
  });
});
