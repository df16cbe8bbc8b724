import { join } from 'node:path';
import { loaderFor, loadRuleFiles } from '../../src/cli/rules-env.js';
import { loadFalcoConfig } from '../../src/config/index.js';
import { syscallProvider } from '../../src/engine/extract/fields.js';
import { replayTrace } from '../../src/engine/replay.js';
import { loadRulesContent } from '../../src/rules/load/index.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { createTraceWriter } from '../../src/trace/writer.js';

let counter = 0;

/** Writes events (ts and num filled in when absent) to a new trace in `dir`. */
export function writeEvents(dir: string, events: Partial<TraceEvent>[]): string {
  const path = join(dir, `t${++counter}.arrow`);
  const w = createTraceWriter(path, { source: 'test', host: 'testhost' }, { batchRows: 7 });
  let n = 0n;
  for (const e of events) {
    n++;
    w.append({ ts: 1_700_000_000_000_000_000n + n * 1000n, num: n, ...e } as TraceEvent);
  }
  w.close();
  return path;
}

/**
 * Replays `trace` with one rule whose condition is `condition` and returns, for each event it
 * matched, the values of `fields` as the rule's JSON output would carry them.
 */
export function fieldValues(trace: string, condition: string, fields: string[]): Record<string, string>[] {
  const output = fields.map((f) => `%${f}`).join(' ');
  const yaml = `- rule: probe\n  desc: test probe\n  condition: ${condition}\n  output: "${output}"\n  priority: WARNING\n`;
  // As Falco's tests run it: no suggested container fields appended to outputs.
  const config = loadFalcoConfig({ options: ['append_output.suggested_output=false'] });
  const loader = loaderFor(config, undefined, syscallProvider);
  const res = loadRulesContent(loader, 'probe.yaml', yaml);
  if (!res.successful) throw new Error(JSON.stringify(res.errors));
  const rule = loader.compiled!.rules[0];
  const out: Record<string, string>[] = [];
  replayTrace(trace, {
    rules: [rule],
    ruleMatching: 'all',
    onAlert: (a) => out.push(rule.formatter!.values(a.cursor)),
  });
  return out;
}

/** Alerts by rule name when replaying with rules files. */
export function alertsByRule(trace: string, rulesFiles: string[]): Map<string, number> {
  const config = loadFalcoConfig({});
  const loader = loadRuleFiles(loaderFor(config, undefined, syscallProvider), rulesFiles, true);
  const rules = loader.compiled!.rules.filter((r) => r.enabled);
  return replayTrace(trace, { rules, ruleMatching: 'all', onAlert: () => {} }).alertsByRule;
}
