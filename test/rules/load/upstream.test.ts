/** The three upstream Falco rule files load unchanged: no errors, all 93 rules compiled to JS. */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadRulesFiles, loadResultsJson } from '../../../src/rules/load/loader.js';
import { loaderSources } from '../../../src/cli/rules-env.js';
import { FALCO_RULES, upstreamPath, upstreamSuite } from '../../helpers/upstream.js';

const FILES = FALCO_RULES.map(upstreamPath);

upstreamSuite('upstream rules', FALCO_RULES, () => {
  it('load in order into one engine with 0 errors and 93 compiled rules', () => {
    const loader = loadRulesFiles(
      FILES.map((f) => ({ name: f, text: readFileSync(f, 'utf8') })),
      { sources: loaderSources() },
    );
    for (const r of loader.results) expect(r.errors, `${r.name}: ${r.errors[0]?.message}`).toEqual([]);
    expect(loader.results.map((r) => r.successful)).toEqual([true, true, true]);
    const rules = loader.compiled!.rules;
    expect(rules).toHaveLength(93);
    for (const r of rules) {
      expect(typeof r.match).toBe('function');
      expect(typeof r.formatter?.format).toBe('function');
      // every upstream rule restricts its event types
      expect(r.eventTypes!.size).toBeGreaterThan(0);
    }
    // a compiled condition is callable over a cursor (here: one that has no values)
    expect(typeof rules[0]!.match!({})).toBe('boolean');
    const json = loadResultsJson(loader);
    expect(json.falco_load_results.map((r) => r.successful)).toEqual([true, true, true]);
  });

  it('the required engine and plugin versions are recorded', () => {
    const loader = loadRulesFiles([{ name: FILES[0]!, text: readFileSync(FILES[0]!, 'utf8') }], { sources: loaderSources() });
    expect(loader.collector.requiredEngineVersion?.version).toEqual({ major: 0, minor: 57, patch: 0 });
    expect(loader.collector.requiredPluginVersions[0]!.alternatives[0]).toEqual({ name: 'container', version: '0.4.0' });
  });
});
