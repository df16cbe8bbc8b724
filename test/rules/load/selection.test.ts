import { describe, expect, it } from 'vitest';
import { matchesWildcard, selectRules, SelectionError, type SelectableRule } from '../../../src/rules/load/selection.js';
import { appendOutputExtras } from '../../../src/rules/load/append-output.js';
import { loadFalcoConfig } from '../../../src/config/index.js';
import { load, testCatalog } from './helpers.js';
import { newRulesLoader, loadRulesContent } from '../../../src/rules/load/loader.js';

const rules: SelectableRule[] = [
  { name: 'Write below etc', tags: ['filesystem', 'host'], priority: 3, enabled: true },
  { name: 'Outbound connection', tags: ['network'], priority: 4, enabled: true },
  { name: 'Debug noise', tags: ['network', 'noisy'], priority: 7, enabled: true },
  { name: 'Off by default', tags: ['filesystem'], priority: 4, enabled: false },
];
const names = (s: Set<string>) => [...s].sort();

describe('wildcards', () => {
  it('matches like Falco', () => {
    expect(matchesWildcard('*', 'anything')).toBe(true);
    expect(matchesWildcard('Write*', 'Write below etc')).toBe(true);
    expect(matchesWildcard('*below*', 'Write below etc')).toBe(true);
    expect(matchesWildcard('*etc', 'Write below etc')).toBe(true);
    expect(matchesWildcard('Write', 'Write below etc')).toBe(false);
    expect(matchesWildcard('a*b*c', 'aXbYc')).toBe(true);
    expect(matchesWildcard('a*c', 'ab')).toBe(false);
    expect(matchesWildcard('rule (x)', 'rule (x)')).toBe(true);
  });
});

describe('selection', () => {
  it('starts from each rule\'s enabled flag and the minimum priority', () => {
    expect(names(selectRules(rules, { minPriority: 7 }))).toEqual(['Debug noise', 'Outbound connection', 'Write below etc']);
    expect(names(selectRules(rules, { minPriority: 4 }))).toEqual(['Outbound connection', 'Write below etc']);
  });

  it('applies the rules: list in order', () => {
    const s = selectRules(rules, {
      minPriority: 7,
      selection: [
        { op: 'disable', rule: '*', tag: '' },
        { op: 'enable', rule: '', tag: 'filesystem' },
        { op: 'disable', rule: 'Write*', tag: '' },
      ],
    });
    expect(names(s)).toEqual(['Off by default']);
  });

  it('never enables rules below the minimum priority', () => {
    expect(names(selectRules(rules, { minPriority: 4, selection: [{ op: 'enable', rule: '*', tag: '' }] }))).toEqual([
      'Off by default', 'Outbound connection', 'Write below etc',
    ]);
  });

  it('supports -D (substring), -T and -t', () => {
    expect(names(selectRules(rules, { minPriority: 7, disableSubstrings: ['below'] }))).toEqual(['Debug noise', 'Outbound connection']);
    expect(names(selectRules(rules, { minPriority: 7, disableTags: ['network'] }))).toEqual(['Write below etc']);
    expect(names(selectRules(rules, { minPriority: 7, enableTags: ['filesystem'] }))).toEqual(['Off by default', 'Write below etc']);
    expect(() => selectRules(rules, { minPriority: 7, enableTags: ['a'], disableTags: ['b'] })).toThrow(SelectionError);
  });

  it('works from configuration options', () => {
    const c = loadFalcoConfig({ options: ['rules[].disable.rule=*', 'rules[].enable.tag=network', 'priority=warning'] });
    expect(names(selectRules(rules, { minPriority: c.priority, selection: c.rulesSelection }))).toEqual(['Outbound connection']);
  });
});

describe('append_output', () => {
  const sources = [{ name: 'syscall', catalog: testCatalog, suggestedFields: ['container.id'] }];
  const rulesText = `- rule: a\n  desc: d\n  condition: evt.type=open\n  output: out a\n  priority: INFO\n  tags: [t1, t2]\n- rule: b\n  desc: d\n  condition: evt.type=open\n  output: out b\n  priority: INFO\n`;
  const outputs = (options: string[]) => {
    const c = loadFalcoConfig({ options });
    const x = appendOutputExtras(c.appendOutput, sources);
    const l = newRulesLoader({ sources, extraOutputFormats: x.formats, extraOutputFields: x.fields });
    loadRulesContent(l, 'r.yaml', rulesText);
    expect(l.results[0]!.errors).toEqual([]);
    return Object.fromEntries(l.compiled!.rules.map((r) => [r.name, { output: r.output, fields: r.extraOutputFields }]));
  };

  it('adds suggested fields with the stock configuration', () => {
    expect(outputs([])).toMatchObject({ a: { output: 'out a container_id=%container.id' }, b: { output: 'out b container_id=%container.id' } });
  });

  it('matches by tags (all of them), rule and source', () => {
    expect(outputs(['append_output.suggested_output=false']).a!.output).toBe('out a');
    const t = outputs(['append_output[0].match.tags[]=t1', 'append_output[0].match.tags[]=t2', 'append_output[0].extra_output=tagged', 'append_output[0].suggested_output=false']);
    expect(t.a!.output).toBe('out a tagged');
    expect(t.b!.output).toBe('out b');
    const r = outputs(['append_output[0].match.rule=b', 'append_output[0].extra_output=just b', 'append_output[0].suggested_output=false']);
    expect([r.a!.output, r.b!.output]).toEqual(['out a', 'out b just b']);
    const s = outputs(['append_output[0].match.source=k8s_audit', 'append_output[0].extra_output=nope', 'append_output[0].suggested_output=false']);
    expect(s.a!.output).toBe('out a');
  });

  it('adds extra fields, formatted and raw', () => {
    const o = outputs(['append_output[0]={suggested_output: false, extra_fields: [{who: "%user.name"}, proc.name]}']);
    expect(o.a!.fields).toEqual({ who: { format: '%user.name', raw: false }, 'proc.name': { format: '%proc.name', raw: true } });
  });

  it('the loader helper keeps the same rules without extras', () => {
    expect(load(rulesText).compiled!.rules.map((r) => r.output)).toEqual(['out a', 'out b']);
  });
});
