import { describe, expect, it } from 'vitest';
import { json, load } from './helpers.js';
import { formatResult } from '../../../src/rules/load/human.js';
import { formatPriority } from '../../../src/rules/load/priority.js';
import type { RulesLoader } from '../../../src/rules/load/loader.js';

const RULE = (name: string, cond = 'evt.type=open', extra = '') =>
  `- rule: ${name}\n  desc: d\n  condition: ${cond}\n  output: o %proc.name\n  priority: WARNING\n${extra}`;

function only(l: RulesLoader) {
  const r = l.results[l.results.length - 1]!;
  return r;
}
function errorOf(l: RulesLoader) {
  const r = only(l);
  expect(r.successful).toBe(false);
  return r.errors[0]!;
}
function rule(l: RulesLoader, name: string) {
  const r = l.compiled?.rules.find((x) => x.name === name);
  if (!r) throw new Error(`rule ${name} not compiled`);
  return r;
}
const codes = (l: RulesLoader) => only(l).warnings.map((w) => w.code);

describe('rule items', () => {
  it('loads a rule with defaults and every property', () => {
    const l = load(
      RULE('r1', 'evt.type=open', '  tags: [b, a, b]\n  enabled: false\n  warn_evttypes: false\n  skip-if-unknown-filter: true\n  capture: true\n  capture_duration: 100\n'),
    );
    expect(only(l).successful).toBe(true);
    const r = rule(l, 'r1');
    expect(r).toMatchObject({ source: 'syscall', tags: ['a', 'b'], enabled: false, capture: true, captureDuration: 100, output: 'o %proc.name' });
    expect(r.info.warnEvttypes).toBe(false);
    expect(r.info.skipIfUnknownFilter).toBe(true);
  });

  it('accepts every Falco priority spelling, case-insensitively', () => {
    const cases: Record<string, string> = {
      EMERGENCY: 'Emergency', alert: 'Alert', Critical: 'Critical', ERROR: 'Error', warning: 'Warning',
      NOTICE: 'Notice', INFO: 'Informational', informational: 'Informational', DEBUG: 'Debug',
    };
    for (const [spelling, name] of Object.entries(cases)) {
      const l = load(RULE('r', 'evt.type=open').replace('WARNING', spelling));
      expect(formatPriority(rule(l, 'r').priority)).toBe(name);
    }
    const bad = errorOf(load(RULE('r').replace('WARNING', 'LOUD')));
    expect(bad).toMatchObject({ code: 'LOAD_ERR_YAML_VALIDATE', message: 'Invalid priority' });
    expect(bad.context.locations.at(-1)!.itemType).toBe('rule priority');
  });

  it('reports a missing property with Falco code, message and item', () => {
    const e = errorOf(load('- rule: no output\n  desc: d\n  condition: evt.type=open\n  priority: INFO\n'));
    expect(e.code).toBe('LOAD_ERR_YAML_VALIDATE');
    expect(e.message).toBe("Item has no mapping for key 'output'");
    expect(e.context.locations.map((x) => [x.itemType, x.itemName])).toEqual([
      ['rules content', ''],
      ['rule', 'no output'],
    ]);
  });

  it('reports wrong value types', () => {
    expect(errorOf(load(RULE('r', 'evt.type=open', '  enabled: maybe\n'))).message).toBe("Can't decode YAML scalar value");
    expect(errorOf(load(RULE('r', 'evt.type=open', '  tags: abc\n'))).message).toBe('Value is not a sequence');
    expect(errorOf(load(RULE('r', 'evt.type=open', '  tags: [[a]]\n'))).message).toBe('sequence value is not scalar');
    expect(errorOf(load('- rule: r\n  desc: [a]\n  condition: x\n  output: o\n  priority: INFO\n')).message).toBe('Value is not a scalar value');
    expect(errorOf(load('- list: l\n  items: ~\n')).message).toBe('Value is not a sequence');
  });

  it('warns about unknown keys and unknown items, and invalid names', () => {
    const l = load(`${RULE('r', 'evt.type=open and m1 and proc.name in (l1)', '  colour: red\n')}- foo: bar\n- macro: m1\n  condition: proc.name=cat\n- macro: "bad-name"\n  condition: proc.name=x\n- list: "a,b"\n  items: []\n- list: l1\n  items: [x]\n`);
    const w = only(l).warnings;
    expect(w.find((x) => x.code === 'LOAD_UNKNOWN_KEY')?.message).toBe("Unknown key 'colour'. The key will be ignored.");
    expect(w.find((x) => x.code === 'LOAD_UNKNOWN_ITEM')?.message).toBe('Unknown top level item');
    expect(w.find((x) => x.code === 'LOAD_INVALID_MACRO_NAME')?.message).toContain('([a-zA-Z]+[a-zA-Z0-9_]*)');
    expect(w.find((x) => x.code === 'LOAD_INVALID_LIST_NAME')).toBeDefined();
  });

  it('checks required_engine_version', () => {
    expect(only(load('- required_engine_version: 0.10.0\n')).successful).toBe(true);
    expect(only(load('- required_engine_version: 12\n')).successful).toBe(true);
    const e = errorOf(load('- required_engine_version: 9999999\n'));
    expect(e.code).toBe('LOAD_ERR_VALIDATE');
    expect(e.message).toMatch(/^Rules require engine version 0\.9999999\.0, but engine version is 0\.\d+\.\d+$/);
    expect(errorOf(load('- required_engine_version: 1.0.0\n')).code).toBe('LOAD_ERR_VALIDATE');
    expect(errorOf(load('- required_engine_version: x.y\n')).message).toBe(
      'Unable to parse engine version \'x.y\' as a semver string. Expected "x.y.z" semver format.',
    );
  });

  it('reads required_plugin_versions with alternatives', () => {
    const l = load('- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.2.0\n');
    expect(only(l).successful).toBe(true);
    expect(l.collector.requiredPluginVersions[0]!.alternatives.map((a) => a.name)).toEqual(['k8saudit', 'k8saudit-eks']);
    expect(errorOf(load('- required_plugin_versions:\n  - name: x\n    version: abc\n')).message).toBe("Invalid required version 'abc' for plugin 'x'");
  });

  it('stops reading a file at its first error and does not compile it', () => {
    const l = load(`${RULE('a')}- rule: b\n  desc: d\n${RULE('c')}`);
    expect(only(l).errors).toHaveLength(1);
    expect(l.compiled).toBeUndefined();
  });
});

describe('append and override', () => {
  it('appends a condition with the legacy append flag and warns it is deprecated', () => {
    const l = load(`${RULE('r')}- rule: r\n  condition: and proc.name=cat\n  append: true\n`);
    expect(rule(l, 'r').condition).toBe('evt.type=open and proc.name=cat');
    expect(codes(l)).toContain('LOAD_DEPRECATED_ITEM');
  });

  it('appends and replaces per property with override', () => {
    const l = load(
      `${RULE('r', 'evt.type=open', '  tags: [a]\n')}- rule: r\n  condition: and proc.name=cat\n  tags: [z]\n  output: extra\n  priority: ERROR\n  enabled: false\n  override:\n    condition: append\n    tags: append\n    output: replace\n    priority: replace\n    enabled: replace\n`,
    );
    expect(only(l).successful).toBe(true);
    const r = rule(l, 'r');
    expect(r.condition).toBe('evt.type=open and proc.name=cat');
    expect(r.tags).toEqual(['a', 'z']);
    expect(r.output).toBe('extra');
    expect(formatPriority(r.priority)).toBe('Error');
    expect(r.enabled).toBe(false);
  });

  it('refuses impossible overrides with Falco messages', () => {
    const base = RULE('r');
    expect(errorOf(load(`${base}- rule: r\n  priority: INFO\n  override:\n    priority: append\n`)).message).toBe(
      "Key 'priority' cannot be appended to, use 'replace' instead",
    );
    expect(errorOf(load(`${base}- rule: r\n  override:\n    condition: append\n`)).message).toBe(
      "An append override for 'condition' was specified but 'condition' is not defined",
    );
    expect(errorOf(load(`${base}- rule: r\n  condition: x\n  desc: y\n  override:\n    condition: append\n`)).message).toBe(
      "Unexpected key 'desc': no corresponding entry under 'override' is defined.",
    );
    expect(errorOf(load(`${base}- rule: r\n  condition: x\n  override:\n    condition: prepend\n`)).message).toBe(
      "Invalid override operation for key 'condition': 'prepend'. Allowed values are: append replace ",
    );
    expect(errorOf(load(`${base}- rule: r\n  condition: x\n  append: true\n  override:\n    condition: append\n`)).message).toMatch(
      /^Keys 'override' and 'append: true' cannot be used together/,
    );
    expect(errorOf(load(`- rule: nope\n  condition: x\n  override:\n    condition: append\n`)).message).toBe(
      "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
    );
    expect(errorOf(load(`- rule: nope\n  condition: x\n  override:\n    condition: replace\n`)).message).toBe(
      "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
    );
  });

  it('enables or disables an earlier rule with a standalone enabled key', () => {
    const l = load(`${RULE('r')}- rule: r\n  enabled: false\n`);
    expect(rule(l, 'r').enabled).toBe(false);
    expect(codes(l)).toContain('LOAD_DEPRECATED_ITEM');
    expect(errorOf(load('- rule: ghost\n  enabled: false\n')).message).toBe("Rule has 'enabled' key but no rule by that name already exists");
  });

  it('appends to and overrides lists and macros', () => {
    const l = load(
      `- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n- list: l\n  items: [c]\n  override:\n    items: append\n- macro: m\n  condition: proc.name in (l)\n- macro: m\n  condition: or proc.name=z\n  override:\n    condition: append\n${RULE('r', 'evt.type=open and m')}`,
    );
    expect(only(l).successful).toBe(true);
    expect(l.compiled!.lists.find((x) => x.name === 'l')!.items).toEqual(['a', 'b', 'c']);
    expect(l.collector.macros.byName.get('m')!.cond).toBe('proc.name in (l) or proc.name=z');
    expect(errorOf(load('- list: l\n  items: [a]\n  append: true\n')).message).toBe(
      "List uses 'append' or 'override.items: append' but no list by that name already exists",
    );
    expect(errorOf(load('- macro: m\n  condition: a\n  append: true\n')).message).toBe(
      "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
    );
  });

  it('redefining a rule replaces it in place and keeps its position', () => {
    const l = load(`${RULE('a')}${RULE('b')}${RULE('a', 'evt.type=close')}`);
    expect(l.compiled!.rules.map((r) => r.name)).toEqual(['a', 'b']);
    expect(rule(l, 'a').condition).toBe('evt.type=close');
  });

  it('refuses redefining a rule with a different source', () => {
    const e = errorOf(load(`${RULE('a')}- rule: a\n  source: k8s_audit\n  condition: x\n  append: true\n`));
    expect(e.message).toBe('Rule has been re-defined with a different source');
  });
});

describe('lists and macros', () => {
  it('expands lists inside lists and reports unused lists and macros', () => {
    const l = load(`- list: inner\n  items: [a, "b c"]\n- list: outer\n  items: [inner, d]\n- list: lonely\n  items: [x]\n- macro: unused_m\n  condition: proc.name=x\n${RULE('r', 'proc.name in (outer)')}`);
    expect(only(l).successful).toBe(true);
    expect(l.compiled!.lists.find((x) => x.name === 'outer')!.items).toEqual(['a', 'b c', 'd']);
    const w = only(l).warnings;
    expect(w.filter((x) => x.code === 'LOAD_UNUSED_LIST').map((x) => x.context.locations[1]!.itemName)).toEqual(['lonely']);
    expect(w.filter((x) => x.code === 'LOAD_UNUSED_MACRO').map((x) => x.context.locations[1]!.itemName)).toEqual(['unused_m']);
    expect(w.find((x) => x.code === 'LOAD_UNUSED_MACRO')!.message).toBe('Macro not referred to by any other rule/macro');
  });

  it('lets a macro use only macros defined before it, but rules use any', () => {
    const e = errorOf(load(`- macro: a\n  condition: b\n- macro: b\n  condition: proc.name=x\n${RULE('r', 'a')}`));
    expect(e.code).toBe('LOAD_ERR_VALIDATE');
    expect(e.message).toBe("Undefined macro 'b' used in filter.");
    expect(e.context.locations.map((x) => x.itemType)).toEqual(['rules content', 'macro', 'condition expression']);
    const ok = load(`${RULE('r', 'later')}- macro: later\n  condition: proc.name=x\n`);
    expect(only(ok).successful).toBe(true);
  });

  it('reports an undefined macro in a rule against the rule', () => {
    const e = errorOf(load(RULE('some rule', 'evt.type=open and bar')));
    expect(e).toMatchObject({ code: 'LOAD_ERR_VALIDATE', message: "Undefined macro 'bar' used in filter." });
    expect(e.context.locations[1]).toMatchObject({ itemType: 'rule', itemName: 'some rule' });
    const last = e.context.locations.at(-1)!;
    expect(last.itemType).toBe('condition expression');
    expect(last.name).toBe('"evt.type=open and..."');
  });

  it('reports syntax errors as LOAD_ERR_COMPILE_CONDITION, also in unused macros', () => {
    const e = errorOf(load('- macro: m\n  condition: evt.type=execve foo\n'));
    expect(e.code).toBe('LOAD_ERR_COMPILE_CONDITION');
    expect(e.message).toBe("unexpected token after 'execve', expecting 'or', 'and'");
    expect(e.context.locations.map((x) => x.itemType)).toEqual(['rules content', 'macro', 'macro condition', 'condition expression']);
  });

  it('skips rules of unknown sources with a warning', () => {
    const l = load(RULE('aws', 'ct.name=x', '  source: aws_cloudtrail\n'));
    expect(only(l).successful).toBe(true);
    expect(only(l).warnings[0]).toMatchObject({ code: 'LOAD_UNKNOWN_SOURCE', message: 'Unknown source aws_cloudtrail, skipping' });
    expect(l.compiled!.rules).toHaveLength(0);
  });
});

describe('exceptions', () => {
  const withEx = (ex: string) => load(RULE('r', 'evt.type=open and proc.name=cat', `  exceptions:\n${ex}`));
  const cond = (ex: string) => {
    const l = withEx(ex);
    expect(only(l).errors).toEqual([]);
    return rule(l, 'r').condition;
  };

  it('builds condition text for a list of fields with default comps', () => {
    expect(cond('    - name: e\n      fields: [proc.name, fd.name]\n      values:\n        - [cat, /etc/passwd]\n        - [vi, "/tmp/a b"]\n')).toBe(
      '(evt.type=open and proc.name=cat) and not (( proc.name = cat and  fd.name = /etc/passwd) or ( proc.name = vi and  fd.name = "/tmp/a b"))',
    );
  });

  it('builds condition text for a single field (comps defaults to in)', () => {
    expect(cond('    - name: e\n      fields: proc.name\n      values: [cat, "my prog"]\n')).toBe(
      '(evt.type=open and proc.name=cat) and not (proc.name in (cat, "my prog"))',
    );
  });

  it('parenthesises values of list comps and keeps value lists', () => {
    expect(cond('    - name: e\n      fields: [proc.name, proc.cmdline]\n      comps: [=, in]\n      values:\n        - [cat, cat_cmdlines]\n        - [dog, [a, "b c"]]\n')).toBe(
      '(evt.type=open and proc.name=cat) and not (( proc.name = cat and  proc.cmdline in (cat_cmdlines)) or ( proc.name = dog and  proc.cmdline in (a, "b c")))',
    );
  });

  it('adds nothing for an exception without values', () => {
    expect(cond('    - name: e\n      fields: [proc.name]\n')).toBe('(evt.type=open and proc.name=cat)');
  });

  it('appends values to an existing exception and adds new ones', () => {
    const l = load(
      `${RULE('r', 'evt.type=open', '  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[a]]\n')}- rule: r\n  exceptions:\n    - name: e\n      values: [[b]]\n    - name: f\n      fields: proc.pname\n      values: [x]\n  override:\n    exceptions: append\n`,
    );
    expect(only(l).errors).toEqual([]);
    expect(rule(l, 'r').condition).toBe('(evt.type=open) and not (( proc.name = a) or ( proc.name = b)) and not (proc.pname in (x))');
    expect(rule(l, 'r').exceptionFields.sort()).toEqual(['proc.name', 'proc.pname']);
  });

  it('rejects bad exceptions with Falco codes and messages', () => {
    const msg = (ex: string) => {
      const e = errorOf(withEx(ex));
      return [e.code, e.message, e.context.locations.at(-1)!.itemType, e.context.locations.at(-1)!.itemName];
    };
    expect(msg('    - name: ex1\n      fields: [proc.name, fd.name]\n      comps: [=]\n')).toEqual([
      'LOAD_ERR_VALIDATE', 'Fields and comps lists must have equal length', 'exception', 'ex1',
    ]);
    expect(msg('    - name: ex1\n      fields: [proc.name]\n      comps: [no-comp]\n')).toEqual([
      'LOAD_ERR_VALIDATE', "'no-comp' is not a supported comparison operator", 'exception', 'ex1',
    ]);
    expect(msg('    - name: ex1\n      fields: [not.exist]\n')).toEqual([
      'LOAD_ERR_VALIDATE', "'not.exist' is not a supported filter field", 'exception', 'ex1',
    ]);
    expect(msg('    - name: ex1\n      fields: [proc.name, fd.name]\n      values:\n        - [a]\n')).toEqual([
      'LOAD_ERR_VALIDATE', 'Fields and values lists must have equal length', 'exception', 'ex1',
    ]);
    expect(msg('    - name: ex1\n      values: [a]\n')).toEqual(['LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'fields'", 'exception', 'ex1']);
    expect(msg('    - fields: [proc.name]\n')[1]).toBe("Item has no mapping for key 'name'");
    expect(msg('    - name: ex1\n      fields: proc.name\n      comps: =\n')[1]).toMatch(/^When fields is a single value, comps must be one of/);
  });

  it('warns about duplicate exception names', () => {
    const l = withEx('    - name: e\n      fields: [proc.name]\n    - name: e\n      fields: [fd.name]\n');
    expect(codes(l)).toContain('LOAD_EXCEPTION_NAME_NOT_UNIQUE');
  });
});

describe('several files and documents', () => {
  it('reports problems against the later file, keeping the first successful', () => {
    const l = load({ 'a.yaml': RULE('some rule'), 'b.yaml': '- rule: some rule\n  condition: and bar\n  append: true\n' });
    expect(l.results.map((r) => r.successful)).toEqual([true, false]);
    const e = l.results[1]!.errors[0]!;
    expect(e.message).toBe("Undefined macro 'bar' used in filter.");
    // the rule's location is in a.yaml, where it was defined
    expect(e.context.locations[1]!.name).toBe('a.yaml');
  });

  it('reads every document of a multi-document file', () => {
    const l = load(`---\n${RULE('a')}---\n${RULE('b')}`);
    expect(l.compiled!.rules.map((r) => r.name)).toEqual(['a', 'b']);
  });

  it('accepts an empty file and a file of only comments', () => {
    expect(only(load('')).successful).toBe(true);
    expect(only(load('# nothing\n')).successful).toBe(true);
  });
});

describe('JSON shape', () => {
  it('matches falco_load_results: codes, codedesc, 0-based positions, snippet', () => {
    const text = `${RULE('good')}- rule: bad\n  desc: d\n  condition: evt.type=open\n  priority: INFO\n`;
    const [res] = json(load({ 'f.yaml': text }));
    expect(Object.keys(res!)).toEqual(['name', 'successful', 'errors', 'warnings']);
    expect(res).toMatchObject({ name: 'f.yaml', successful: false });
    const err = res!.errors[0]!;
    expect(Object.keys(err).sort()).toEqual(['code', 'codedesc', 'context', 'message']);
    expect(err.codedesc).toBe('Error validating internal structure of YAML file');
    expect(err.context.locations).toEqual([
      { item_type: 'rules content', item_name: '', position: { name: 'f.yaml', line: 0, column: 0, offset: 0 } },
      { item_type: 'rule', item_name: 'bad', position: { name: 'f.yaml', line: 5, column: 2, offset: text.indexOf('rule: bad') } },
    ]);
    expect(err.context.snippet).toBe('- rule: bad\n  ^\n');
  });

  it('gives warnings their long description', () => {
    const [res] = json(load('- foo: 1\n'));
    expect(res!.warnings[0]).toMatchObject({
      code: 'LOAD_UNKNOWN_ITEM',
      codedesc: 'An unknown top-level object is in the rules content. It will be ignored.',
    });
  });
});

describe('human output', () => {
  it('points at file:line:col and quotes the offending text with a caret', () => {
    const l = load({ 'x.yaml': `- macro: m\n  condition: >\n    evt.type = open\n    and proc.name = cat foo\n` });
    const text = formatResult(only(l), l.contents);
    expect(text).toContain('x.yaml: Invalid');
    expect(text).toMatch(/x\.yaml:4:\d+: error LOAD_ERR_COMPILE_CONDITION \(Error compiling condition\): unexpected token after 'cat'/);
    const lines = text.split('\n');
    const src = lines.findIndex((s) => s.includes('4 |     and proc.name = cat foo'));
    expect(src).toBeGreaterThan(0);
    const caret = lines[src + 1]!;
    expect(caret.indexOf('^')).toBe(lines[src]!.indexOf('foo'));
  });
});

describe('recompiling after each file', () => {
  it('sees a later list append in an earlier rule', () => {
    const l = load({
      'a.yaml': `- list: l\n  items: [a]\n${RULE('r', 'proc.name in (l)')}`,
      'b.yaml': '- list: l\n  items: [b]\n  override:\n    items: append\n',
    });
    expect(l.results.map((r) => r.successful)).toEqual([true, true]);
    const items: string[] = [];
    const walk = (e: unknown): void => {
      const x = e as { kind: string; children?: unknown[]; child?: unknown; right?: { kind: string; items?: { value: string }[] } };
      if (x.kind === 'and' || x.kind === 'or') x.children!.forEach(walk);
      else if (x.kind === 'not') walk(x.child);
      else if (x.kind === 'check' && x.right?.kind === 'list') items.push(...x.right.items!.map((i) => i.value));
    };
    walk(rule(l, 'r').expr);
    expect(items).toEqual(['a', 'b']);
  });

  it('reports an earlier rule\'s warnings again for the later file, as Falco does', () => {
    const l = load({ 'a.yaml': RULE('r', 'evt.type=open').replace('output: o %proc.name', 'output: o %evt.dir'), 'b.yaml': '' });
    const dep = (i: number) => l.results[i]!.warnings.filter((w) => w.code === 'LOAD_DEPRECATED_ITEM').map((w) => w.message);
    expect(dep(0)).toEqual(["usage of deprecated field 'evt.dir' has been detected in the rule output"]);
    expect(dep(1)).toEqual(dep(0));
  });

  it('reports an error in an earlier macro changed by a later file', () => {
    const l = load({ 'a.yaml': `- macro: m\n  condition: proc.name=x\n${RULE('r', 'm')}`, 'b.yaml': '- macro: m\n  condition: proc.nobody=x\n' });
    expect(l.results[1]!.errors[0]!.message).toBe('filter_check called with nonexistent field proc.nobody');
  });
});

describe('recompiling: nested lists', () => {
  it('sees a change two lists deep', () => {
    const l = load({
      'a.yaml': `- list: c\n  items: [x]\n- list: b\n  items: [c]\n- list: a\n  items: [b]\n${RULE('r', 'proc.name in (a)')}`,
      'b.yaml': '- list: c\n  items: [y]\n  override:\n    items: append\n',
    });
    expect(l.results.map((r) => r.successful)).toEqual([true, true]);
    expect(JSON.stringify(rule(l, 'r').expr)).toContain('"value":"y"');
  });
});
