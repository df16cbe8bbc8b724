import { describe, expect, it } from 'vitest';
import { syscallCatalog } from '../../../src/engine/fields/catalog.js';
import type { ExtractorProvider } from '../../../src/rules/condition/compile.js';
import {
  analyzeCheck,
  compileCondition,
  conditionEventTypes,
  conditionText,
  type Expr,
  forEachNode,
  newRuleSetCompiler,
  parseCondition,
  resolveCondition,
} from '../../../src/rules/condition/index.js';
import { syscallEventTypes } from '../../../src/engine/fields/catalog.js';
import { loadUpstream, objectProvider } from './upstream.js';
import { rng } from '../../helpers/rng.js';
import { FALCO_RULES, upstreamIt } from '../../helpers/upstream.js';

const evaluate = (fn: (c: unknown, first: boolean, out: number[]) => number, cursor: unknown, first: boolean) => {
  const out: number[] = [];
  const n = fn(cursor, first, out);
  return out.slice(0, n);
};

describe('compileRuleSet', () => {
  it('evaluates a check or macro shared by several rules once per event', () => {
    const calls = new Map<string, number>();
    const counting: ExtractorProvider = {
      extractor: (f, arg) => {
        const inner = objectProvider.extractor(f, arg);
        return (c) => {
          calls.set(f.name, (calls.get(f.name) ?? 0) + 1);
          return inner(c);
        };
      },
    };
    const macro = '(evt.type in (open, openat) and evt.is_open_read = true and fd.typechar = f)';
    const rules = [`${macro} and fd.name startswith /etc`, `${macro} and fd.name startswith /root`, `${macro} and proc.name = cat`, 'fd.typechar = f and proc.pid = 1'];
    // As macro resolution leaves it: the shared text parsed once per rule (equal structure, different objects).
    const fn = newRuleSetCompiler(syscallCatalog, counting).compile(rules.map((r) => parseCondition(r)));
    const cursor = { 'evt.type': 'openat', 'evt.is_open_read': true, 'fd.typechar': 'f', 'fd.name': '/etc/passwd', 'proc.name': 'cat', 'proc.pid': 1 };
    expect(evaluate(fn, cursor, false)).toEqual([0, 2, 3]);
    expect(calls.get('evt.is_open_read')).toBe(1);
    expect(calls.get('fd.typechar')).toBe(1);
    expect(calls.get('fd.name')).toBe(2); // two different checks on it
    calls.clear();
    expect(evaluate(fn, cursor, true)).toEqual([0]);
    expect(evaluate(fn, { ...cursor, 'fd.name': '/root/x' }, true)).toEqual([1]);
    expect(evaluate(fn, { ...cursor, 'evt.is_open_read': false }, false)).toEqual([3]);
  });

  it('decides checks on known fields when compiling and drops rules that cannot hold', () => {
    const calls: string[] = [];
    const counting: ExtractorProvider = {
      extractor: (f, arg) => {
        const inner = objectProvider.extractor(f, arg);
        return (c) => {
          calls.push(f.name);
          return inner(c);
        };
      },
    };
    const rules = ['evt.type = openat and proc.name = a', 'evt.type = execve and proc.name = a', 'not evt.type in (connect, accept) or proc.name = b', 'evt.type != openat'];
    const fn = newRuleSetCompiler(syscallCatalog, counting).compile(rules.map((r) => parseCondition(r)), new Map([['evt.type', 'openat']]));
    expect(evaluate(fn, { 'proc.name': 'a' }, false)).toEqual([0, 2]);
    expect(calls).toEqual(['proc.name']);
  });

  upstreamIt('answers as the rules compiled one by one do, on the upstream rules (random events)', FALCO_RULES, () => {
    const up = loadUpstream();
    const macros = new Map<string, Expr>();
    for (const [n, c] of up.macros) macros.set(n, parseCondition(c));
    const env = { macro: (n: string) => macros.get(n), list: (n: string) => up.lists.get(n) };
    const exprs: Expr[] = [];
    for (const r of up.rules) {
      try {
        exprs.push(resolveCondition(parseCondition(r.condition), env));
      } catch {
        // rules that need plugin fields or other sources
      }
    }
    const compilable = exprs.filter((e) => {
      try {
        compileCondition(e, syscallCatalog, objectProvider);
        return true;
      } catch {
        return false;
      }
    });
    expect(compilable.length).toBeGreaterThan(60);

    // Values worth trying per field: the constants the rules compare it with, variants of them, nothing.
    const pools = new Map<string, unknown[]>();
    const add = (key: string, v: unknown) => {
      let p = pools.get(key);
      if (!p) pools.set(key, (p = [undefined]));
      p.push(v);
    };
    const anyOf = new Set<string>();
    for (const e of compilable) {
      forEachNode(e, (n) => {
        if (n.kind !== 'check' || n.left.kind !== 'field') return;
        const info = analyzeCheck(n, syscallCatalog);
        const key = n.left.arg === undefined ? info.left.field.name : `${info.left.field.name}[${info.left.arg}]`;
        if (info.left.anyOf) anyOf.add(key);
        const r = n.right;
        const values = !r ? [] : r.kind === 'list' ? r.items.map((i) => i.value) : r.kind === 'value' ? [r.value] : [];
        const cls = info.left.type;
        for (const v of values) {
          if (/int|uint|fd|pid|errno|mode|flags|uid|gid|port|time/.test(cls) && /^-?\d+$/.test(v)) {
            add(key, Number(v));
            add(key, Number(v) + 1);
          } else if (cls === 'bool') {
            add(key, true);
            add(key, false);
          } else {
            add(key, v);
            add(key, `${v}/x`);
            add(key, `x${v}`);
          }
        }
      });
    }
    // evt.type is the evaluator's known field: every event it sees has that type
    const keys = [...pools.keys()].filter((k) => k !== 'evt.type' && k !== 'syscall.type');
    const r = rng(7);
    const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;

    let matched = 0;
    for (const type of ['openat', 'execve', 'connect', 'unlinkat', 'ptrace', 'setuid', 'write']) {
      const ofType = compilable.filter((e) => {
        const t = conditionEventTypes(e, syscallEventTypes);
        return t.matchesAll || t.has(type);
      });
      const perRule = ofType.map((e) => compileCondition(e, syscallCatalog, objectProvider));
      const set = newRuleSetCompiler(syscallCatalog, objectProvider).compile(ofType, new Map([['evt.type', type], ['syscall.type', type]]));
      for (let i = 0; i < 3000; i++) {
        const cursor: Record<string, unknown> = { 'evt.type': type, 'syscall.type': type };
        for (let k = 0; k < 40; k++) {
          const key = pick(keys);
          cursor[key] = anyOf.has(key) ? [pick(pools.get(key)!), pick(pools.get(key)!)].filter((v) => v !== undefined) : pick(pools.get(key)!);
        }
        const expected = perRule.flatMap((f, j) => (f(cursor) ? [j] : []));
        matched += expected.length;
        expect(evaluate(set, cursor, false), `${type} #${i}`).toEqual(expected);
        expect(evaluate(set, cursor, true)).toEqual(expected.slice(0, 1));
      }
    }
    expect(matched).toBeGreaterThan(1000);
  });
});

describe('conditionText', () => {
  upstreamIt('prints every upstream rule condition (macros and lists substituted) as text that parses back to the same tree', FALCO_RULES, () => {
    const up = loadUpstream();
    const macros = new Map<string, Expr>();
    for (const [n, c] of up.macros) macros.set(n, parseCondition(c));
    const env = { macro: (n: string) => macros.get(n), list: (n: string) => up.lists.get(n) };
    const strip = (e: unknown): unknown =>
      JSON.parse(JSON.stringify(e, (k, v) => (k === 'pos' || k === 'opPos' || k === 'quoted' || k === 'fromList' ? undefined : v)));
    let n = 0;
    for (const r of up.rules) {
      let e: Expr;
      try {
        e = resolveCondition(parseCondition(r.condition), env);
      } catch {
        continue;
      }
      const text = conditionText(e);
      expect(strip(parseCondition(text)), r.rule).toEqual(strip(e));
      n++;
    }
    expect(n).toBeGreaterThan(60);
    const odd = parseCondition('proc.name in ("a b", "x,y", "q\\"uote", and, "(p)") and fd.name = "tab\\there" or not k8s.pod.label["my key"] exists and tolower(proc.name) = bash or proc.args contains "a\\ " or proc.args endswith \\ or proc.args = "x\\\\\\"y"');
    expect(strip(parseCondition(conditionText(odd)))).toEqual(strip(odd));
  });
});
