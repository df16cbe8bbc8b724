/** Loading rules for a run: files, configuration, selection, and compiled conditions that evaluate. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRulesForRun } from '../../../src/cli/rules-env.js';
import { loadFalcoConfig } from '../../../src/config/index.js';
import { UserError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/cli.js';

const provider = { extractor: (f: { name: string }) => (c: unknown) => (c as Record<string, unknown>)[f.name] };

const RULES = `
- list: cats
  items: [cat, tac]
- macro: is_cat
  condition: proc.name in (cats)
- rule: open_from_cat
  desc: a cat opens
  condition: evt.type=open and is_cat
  output: "open by %proc.name"
  priority: WARNING
  tags: [filesystem]
- rule: exec_anything
  desc: any exec
  condition: evt.type=execve
  output: "exec %proc.name"
  priority: DEBUG
  tags: [process]
- rule: disabled_one
  desc: off
  condition: evt.type=close
  output: "close"
  priority: ERROR
  enabled: false
`;

function withRules<T>(fn: (file: string) => T): T {
  const t = tempDir();
  try {
    const f = join(t.dir, 'rules.yaml');
    writeFileSync(f, RULES);
    return fn(f);
  } finally {
    t.cleanup();
  }
}

describe('loadRulesForRun', () => {
  it('compiles enabled rules into functions that evaluate events', () => {
    withRules((f) => {
      const run = loadRulesForRun({ config: loadFalcoConfig(), rulesFiles: [f], provider });
      expect(run.rules.map((r) => r.name)).toEqual(['open_from_cat', 'exec_anything']);
      const cat = run.rules[0]!;
      expect(cat.match!({ 'evt.type': 'open', 'proc.name': 'tac' })).toBe(true);
      expect(cat.match!({ 'evt.type': 'open', 'proc.name': 'dog' })).toBe(false);
      // the stock configuration appends the container plugin's suggested fields
      expect(cat.formatter!.format({ 'proc.name': 'cat' })).toBe(
        'open by cat container_id=<NA> container_name=<NA> container_image_repository=<NA> container_image_tag=<NA> k8s_pod_name=<NA> k8s_ns_name=<NA>',
      );
      const plain = loadRulesForRun({ config: loadFalcoConfig({ options: ['append_output.suggested_output=false'] }), rulesFiles: [f], provider });
      expect(plain.rules[0]!.formatter!.format({ 'proc.name': 'cat' })).toBe('open by cat');
      expect([...cat.eventTypes!]).toEqual(['open']);
    });
  });

  it('applies priority, rules: selection and the legacy flags', () => {
    withRules((f) => {
      const names = (options: string[], extra: object = {}) =>
        loadRulesForRun({ config: loadFalcoConfig({ options }), rulesFiles: [f], provider, ...extra }).rules.map((r) => r.name);
      expect(names(['priority=warning'])).toEqual(['open_from_cat']);
      expect(names(['rules[].disable.rule=*', 'rules[].enable.tag=process'])).toEqual(['exec_anything']);
      expect(names(['rules[].enable.rule=disabled_*'])).toEqual(['open_from_cat', 'exec_anything', 'disabled_one']);
      expect(names([], { disableSubstrings: ['cat'] })).toEqual(['exec_anything']);
      expect(names([], { enableTags: ['filesystem'] })).toEqual(['open_from_cat']);
    });
  });

  it('turns a bad rules file into one user error with the place', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'bad.yaml');
      writeFileSync(f, '- rule: r\n  desc: d\n  condition: evt.type=open and\n  output: o\n  priority: INFO\n');
      expect(() => loadRulesForRun({ config: loadFalcoConfig(), rulesFiles: [f], provider })).toThrow(UserError);
      try {
        loadRulesForRun({ config: loadFalcoConfig(), rulesFiles: [f], provider });
      } catch (e) {
        expect((e as Error).message).toMatch(new RegExp(`^${f}: Invalid: ${f}:3:\\d+: LOAD_ERR_COMPILE_CONDITION: `));
      }
      expect(() => loadRulesForRun({ config: loadFalcoConfig(), rulesFiles: [], provider })).toThrow(/You must specify at least one rules file/);
    } finally {
      t.cleanup();
    }
  });
});
