import { appendFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import type { FalcoConfig } from '../config/index.js';
import { newSyscallProvider, syscallProvider } from '../engine/extract/fields.js';
import { replayTrace, type ReplayStats } from '../engine/replay.js';
import { alertFormatFrom, alertJson, alertText } from '../outputs/alerts.js';
import { type CompiledRule, formatPriority, loadRulesContent } from '../rules/load/index.js';
import { UserError } from '../util/errors.js';
import { formatCount } from '../util/format.js';
import { sanitize, sanitizeMultiline } from '../util/terminal.js';
import { byteProgress } from './progress.js';
import { loaderFor, loadRulesForRun } from './rules-env.js';

/**
 * What `tsfalco replay` does: load and select the rules as Falco would, replay each trace
 * through the engine, print alerts in Falco's formats, and a summary on stderr.
 */

export interface ReplayRequest {
  traces: string[];
  rulesFiles: string[];
  config: FalcoConfig;
  disableSubstrings: string[];
  enableTags: string[];
  disableTags: string[];
  /** `-p`: text appended to every rule's output (Falco's "print additional"). */
  printAdditional?: string;
  /** Write alerts as JSON lines regardless of the configuration. */
  json: boolean;
  summary: boolean;
  /** `--filter EXPR`: print the events matching a Falco filter, sysdig-style, instead of running rules. */
  filter?: string;
}

/** sysdig's default event line. */
export const SYSDIG_FORMAT = '%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args';

/** A one-rule ruleset whose condition is the filter and whose output is sysdig's event line. */
function filterRule(req: ReplayRequest): CompiledRule[] {
  const loader = loaderFor({ ...req.config, appendOutput: [] }, undefined, syscallProvider);
  const yaml = `- rule: filter\n  desc: --filter\n  condition: ${JSON.stringify(req.filter)}\n  output: ${JSON.stringify(SYSDIG_FORMAT)}\n  priority: DEBUG\n`;
  const result = loadRulesContent(loader, '--filter', yaml);
  if (!result.successful) {
    const e = result.errors[0];
    throw new UserError(`--filter: ${e ? e.message : 'invalid filter'}`);
  }
  return loader.compiled?.rules ?? [];
}

const here = dirname(fileURLToPath(import.meta.url));

/** The bundled default ruleset (rules/tsfalco_rules.yaml at the package root). */
export function defaultRulesFile(): string | undefined {
  for (const rel of ['../../../rules/tsfalco_rules.yaml', '../../rules/tsfalco_rules.yaml']) {
    const path = join(here, rel);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function loadRules(req: ReplayRequest): CompiledRule[] {
  const configured = req.rulesFiles.length > 0 || req.config.rulesFiles.some((p) => existsSync(p));
  const builtin = configured ? undefined : defaultRulesFile();
  const { rules, warnings } = loadRulesForRun({
    config: req.config,
    rulesFiles: builtin ? [builtin] : req.rulesFiles,
    provider: newSyscallProvider(),
    disableSubstrings: req.disableSubstrings,
    disableTags: req.disableTags,
    enableTags: req.enableTags,
    printAdditional: req.printAdditional,
  });
  if (warnings && process.env.TSFALCO_RULE_WARNINGS) process.stderr.write(sanitizeMultiline(warnings));
  return rules;
}

function summaryTable(stats: ReplayStats[], byPriority: Map<string, number>): string {
  const events = stats.reduce((n, s) => n + s.events, 0);
  const ms = stats.reduce((n, s) => n + s.elapsedMs, 0);
  const alerts = stats.reduce((n, s) => n + s.alerts, 0);
  const byRule = new Map<string, number>();
  for (const s of stats) for (const [rule, n] of s.alertsByRule) byRule.set(rule, (byRule.get(rule) ?? 0) + n);
  const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
  const rules = new Table({ head: ['rule', 'alerts'], chars, style: { head: [], border: [] } });
  for (const [rule, n] of [...byRule].sort((a, b) => b[1] - a[1])) rules.push([sanitize(rule), formatCount(n)]);
  const prios = new Table({ head: ['priority', 'alerts'], chars, style: { head: [], border: [] } });
  for (const [p, n] of byPriority) prios.push([p, formatCount(n)]);
  const rate = ms > 0 ? Math.round(events / (ms / 1000)) : 0;
  let out = `Events: ${formatCount(events)} in ${(ms / 1000).toFixed(2)}s (${formatCount(rate)} events/s), alerts: ${formatCount(alerts)}\n`;
  if (alerts > 0) out += `${rules.toString()}\n${prios.toString()}\n`;
  return out;
}

export function runReplay(req: ReplayRequest): { alerts: number; complete: boolean } {
  const filtering = req.filter !== undefined;
  const rules = filtering ? filterRule(req) : loadRules(req);
  const json = req.json || req.config.jsonOutput;
  const fileOut = req.config.fileOutput.enabled ? req.config.fileOutput.filename : undefined;
  const toStdout = req.config.stdoutOutput.enabled;
  const byPriority = new Map<string, number>();
  const all: ReplayStats[] = [];
  let complete = true;
  for (const trace of req.traces) {
    const hostname = process.env.FALCO_HOSTNAME;
    let format: ReturnType<typeof alertFormatFrom> | undefined;
    const progress = byteProgress(trace, existsSync(trace) ? statSync(trace).size : 0);
    const stats = replayTrace(trace, {
      rules,
      ruleMatching: filtering ? 'first' : req.config.ruleMatching,
      hostname,
      onProgress: progress.update,
      onAlert(alert) {
        format ??= alertFormatFrom({ ...req.config, jsonOutput: json }, alert.cursor.state.hostname);
        if (filtering) {
          process.stdout.write(sanitize(alert.rule.formatter!.format(alert.cursor)) + '\n');
          return;
        }
        const line = json ? alertJson(alert, format) : alertText(alert, format);
        const safe = json ? line : sanitize(line);
        if (toStdout) process.stdout.write(safe + '\n');
        if (fileOut) appendFileSync(fileOut, safe + '\n');
        const p = formatPriority(alert.rule.priority);
        byPriority.set(p, (byPriority.get(p) ?? 0) + 1);
      },
    });
    progress.stop();
    all.push(stats);
    if (!stats.ending.complete) {
      complete = false;
      process.stderr.write(`tsfalco: ${sanitize(trace)}: incomplete trace: replayed up to byte ${stats.ending.stoppedAt} (${stats.ending.detail})\n`);
    }
  }
  if (req.summary && !filtering) process.stderr.write(summaryTable(all, byPriority));
  return { alerts: all.reduce((n, s) => n + s.alerts, 0), complete };
}
