import { beforeAll, expect, it } from 'vitest';
import {
  checkCondition,
  compileCondition,
  conditionEventTypes,
  parseCondition,
  resolveCondition,
  type Expr,
  type ResolveEnv,
} from '../../../src/rules/condition/index.js';
import { checkOutput } from '../../../src/rules/output/index.js';
import { syscallCatalog, syscallEventTypes } from '../../../src/engine/fields/catalog.js';
import { loadUpstream, objectProvider, type Upstream } from './upstream.js';
import { FALCO_RULES, upstreamSuite } from '../../helpers/upstream.js';

upstreamSuite('upstream rules: the whole condition pipeline', FALCO_RULES, () => {
  // Read in the hook, not while the tests are collected: a skipped suite is collected too.
  let up: Upstream;
  const used = { macros: new Set<string>(), lists: new Set<string>() };
  let env: ResolveEnv;
  beforeAll(() => {
    up = loadUpstream();
    const macros = new Map<string, Expr>();
    for (const [n, c] of up.macros) macros.set(n, parseCondition(c));
    env = { macro: (n) => macros.get(n), list: (n) => up.lists.get(n), used };
  });

  it('resolves, checks, derives event types and compiles all 93 rules without errors', () => {
    let compiled = 0;
    for (const r of up.rules) {
      const e = resolveCondition(parseCondition(r.condition), env);
      const { errors } = checkCondition(e, syscallCatalog);
      expect(errors, r.rule).toEqual([]);
      const types = conditionEventTypes(e, syscallEventTypes);
      // upstream rules all restrict event types (Falco loads them without LOAD_NO_EVTTYPE)
      expect(types.tooMany, r.rule).toBe(false);
      expect(types.size, r.rule).toBeGreaterThan(0);
      const fn = compileCondition(e, syscallCatalog, objectProvider);
      expect(typeof fn({})).toBe('boolean');
      expect(checkOutput(r.output, syscallCatalog), r.rule).toBeUndefined();
      compiled++;
    }
    expect(compiled).toBe(93);
    expect(used.macros.size).toBeGreaterThan(50);
  });

  it('evaluates a real rule as Falco would: Terminal shell in container', () => {
    const rule = up.rules.find((r) => r.rule === 'Terminal shell in container')!;
    const fn = compileCondition(resolveCondition(parseCondition(rule.condition), env), syscallCatalog, objectProvider);
    const event = {
      'evt.type': 'execve',
      'evt.dir': '<',
      'evt.arg.flags': '',
      'proc.name': 'bash',
      'proc.tty': 34816,
      'container.id': 'abc123def456',
      'container.image.repository': 'nginx',
      'proc.pname': 'runc',
      'proc.exepath': '/bin/bash',
      'proc.cmdline': 'bash',
    };
    const r1 = fn(event);
    const r2 = fn({ ...event, 'proc.tty': 0 });
    expect(r1).toBe(true);
    expect(r2).toBe(false);
  });
});
