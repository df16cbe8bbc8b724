import { expect, it } from 'vitest';
import {
  checkCondition,
  compileCondition,
  ConditionError,
  conditionEventTypes,
  parseCondition,
  resolveCondition,
  type Expr,
} from '../../../src/rules/condition/index.js';
import { syscallCatalog, syscallEventTypes } from '../../../src/engine/fields/catalog.js';
import { loadUpstream, objectProvider } from './upstream.js';
import { rng } from '../../helpers/rng.js';
import { FALCO_RULES, upstreamSuite } from '../../helpers/upstream.js';

const INSERTS = [' ', '(', ')', ',', '"', "'", '\\', '[', ']', '=', '!=', ' and ', ' or ', ' not ', ' in ', ' exists ', ' glob ', ' pmatch ', ' regex ', 'val(', 'tolower(', '\n', '%', '0x', '-', '.', '*', '?', '\u00e9', '\u0000'];

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * (s.length + 1));
    const j = Math.min(s.length, i + 1 + Math.floor(r() * 8));
    switch (Math.floor(r() * 6)) {
      case 0: // delete a span
        s = s.slice(0, i) + s.slice(j);
        break;
      case 1: // duplicate a span
        s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
        break;
      case 2: {
        // swap two spans
        const a = s.slice(i, j);
        const p = Math.floor(r() * (s.length + 1));
        s = s.slice(0, i) + s.slice(j);
        s = s.slice(0, p) + a + s.slice(p);
        break;
      }
      case 3: // insert an operator or special character
        s = s.slice(0, i) + INSERTS[Math.floor(r() * INSERTS.length)] + s.slice(i);
        break;
      case 4: // random printable character
        s = s.slice(0, i) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(i);
        break;
      default: // truncate
        s = s.slice(0, j);
    }
  }
  return s;
}

upstreamSuite('fuzz: mutated upstream conditions', FALCO_RULES, () => {
  it('only ever throws ConditionError, and each input finishes quickly (10,000+ inputs)', () => {
    const up = loadUpstream();
    const seeds = [...up.macros.values(), ...up.rules.map((x) => x.condition)];
    const macros = new Map<string, Expr>();
    for (const [n, c] of up.macros) macros.set(n, parseCondition(c));
    const env = { macro: (n: string) => macros.get(n), list: (n: string) => up.lists.get(n) };
    const r = rng(20261122);
    let parsed = 0;
    let rejected = 0;
    let slowest = 0;
    let compiled = 0;
    for (let i = 0; i < 10_500; i++) {
      const input = mutate(seeds[Math.floor(r() * seeds.length)]!, r);
      const t0 = performance.now();
      try {
        const e = resolveCondition(parseCondition(input), env);
        parsed++;
        checkCondition(e, syscallCatalog);
        try {
          conditionEventTypes(e, syscallEventTypes);
          compileCondition(e, syscallCatalog, objectProvider)({ 'proc.name': 'x', 'evt.type': 'open' });
          compiled++;
        } catch (err) {
          if (!(err instanceof ConditionError)) throw err;
        }
      } catch (err) {
        if (!(err instanceof ConditionError)) {
          throw new Error(`non-ConditionError for input ${JSON.stringify(input)}: ${String(err)}`);
        }
        expect(typeof err.message).toBe('string');
        expect(err.pos.offset).toBeGreaterThanOrEqual(0);
        expect(err.pos.offset).toBeLessThanOrEqual(input.length);
        rejected++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    expect(parsed + rejected).toBe(10_500);
    expect(parsed).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
    expect(compiled).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(2000);
  });
});
