import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { loaderFor, loadRuleFiles } from '../../src/cli/rules-env.js';
import { loadFalcoConfig } from '../../src/config/index.js';
import { newSyscallProvider } from '../../src/engine/extract/fields.js';
import { syscallCatalog } from '../../src/engine/fields/catalog.js';
import { replayTrace } from '../../src/engine/replay.js';
import { newRuleSetCompiler } from '../../src/rules/condition/index.js';
import { tempDir } from '../helpers/cli.js';
import { writeIncident } from '../helpers/synthetic-incident.js';
import { FALCO_RULES, upstreamIt, upstreamPath } from '../helpers/upstream.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

const ROOT = join(import.meta.dirname, '../..');
const UPSTREAM = FALCO_RULES.map(upstreamPath);
const DEFAULT = join(ROOT, 'rules/tsfalco_rules.yaml');

function rulesOf(files: string[]) {
  const loader = loadRuleFiles(loaderFor(loadFalcoConfig({}), undefined, newSyscallProvider()), files, true);
  return loader.compiled!.rules.filter((r) => r.enabled);
}

function alerts(trace: string, files: string[], ruleMatching: 'first' | 'all', evaluation: 'ruleset' | 'per-rule'): string[] {
  const out: string[] = [];
  replayTrace(trace, {
    rules: rulesOf(files),
    ruleMatching,
    evaluation,
    onAlert: (a) => out.push(`${a.cursor.big('num')} ${a.rule.name}: ${a.rule.formatter!.format(a.cursor)}`),
  });
  return out;
}

/**
 * Replay evaluates the rules of each event type with one rule-set evaluator (shared checks and
 * macros once per event, evt.type checks decided in advance); it must raise exactly the alerts
 * that evaluating each rule's own condition raises.
 */
describe('rule-set evaluation in replay', () => {
  upstreamIt('builds an evaluator for every event type of the upstream and default rules (no fallback)', FALCO_RULES, () => {
    const rules = rulesOf([...UPSTREAM, DEFAULT]);
    const compiler = newRuleSetCompiler(syscallCatalog, newSyscallProvider());
    const types = new Set(rules.flatMap((r) => [...(r.eventTypes ?? [])]));
    expect(types.size).toBeGreaterThan(30);
    for (const type of types) {
      const list = rules.filter((r) => r.eventTypes?.has(type));
      expect(() => compiler.compile(list.map((r) => r.expr), new Map([['evt.type', type]])), type).not.toThrow();
    }
  });

  const traces = [join(ROOT, 'fixtures/demo.arrow'), writeIncident(tmp.dir)];
  const sets = [
    { name: 'default rules', files: [DEFAULT], needs: [] },
    { name: 'upstream rules', files: UPSTREAM, needs: FALCO_RULES },
    { name: 'upstream and default rules', files: [...UPSTREAM, DEFAULT], needs: FALCO_RULES },
  ];
  for (const { name, files, needs } of sets) {
    for (const matching of ['all', 'first'] as const) {
      upstreamIt(`${name}, rule_matching ${matching}`, needs, () => {
        let total = 0;
        for (const trace of traces) {
          const perRule = alerts(trace, files, matching, 'per-rule');
          expect(alerts(trace, files, matching, 'ruleset'), trace).toEqual(perRule);
          total += perRule.length;
        }
        expect(total).toBeGreaterThan(0);
      });
    }
  }
});
