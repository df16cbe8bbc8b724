import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import type { FalcoConfig } from '../config/index.js';
import { alertOf, internalAlert } from '../engine/alert.js';
import { replayTrace, type ReplayStats } from '../engine/replay.js';
import { syscallSource } from '../engine/syscall/source.js';
import { alertFormatFrom, alertLine, openConfiguredSinks, stderrLogger, type OutputMessage, type OutputSink } from '../outputs/index.js';
import { newDropMonitor } from '../engine/drops.js';
import { isInternalEvent } from '../engine/extract/event-args.js';
import { type CompiledRule, checkOutputFormat, formatPriority, loadRulesContent } from '../rules/load/index.js';
import { isConditionError, parseCondition } from '../rules/condition/index.js';
import { syscallCatalog } from '../engine/fields/catalog.js';
import { openAnyTrace } from '../scap/index.js';
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
  /** `-p`: text appended to every rule's output (Falco's "print additional"); with `filter`, the event line's format (sysdig's -p). */
  printAdditional?: string;
  /** Write alerts as JSON lines regardless of the configuration. */
  json: boolean;
  summary: boolean;
  /** `--filter EXPR`: print the events matching a Falco filter, sysdig-style, instead of running rules. */
  filter?: string;
}

/** sysdig's default event line (sysdig 0.29 and current: `-p` not given). */
export const SYSDIG_FORMAT = '*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info';

/** sysdig shows buffers cut to this many characters unless -v (its inspector's max_evt_output_len). */
const SYSDIG_BUFFER_LEN = 80;

/** The options of the engine's sessions: in --filter mode buffers are cut as sysdig shows them. */
function sessionOptions(req: ReplayRequest) {
  return req.filter !== undefined ? { bufferDisplayLimit: SYSDIG_BUFFER_LEN } : {};
}

/**
 * A one-rule ruleset whose condition is the filter and whose output is the `-p` format, or
 * sysdig's event line without one.
 */
/** `-p` checked on its own first: a bad field is the option's fault, not a rule's or the filter's. */
function checkPrintFormat(format: string | undefined): void {
  if (format === undefined) return;
  const problem = checkOutputFormat(format, syscallCatalog);
  if (problem) throw new UserError(`-p: ${problem.message}`);
}

/**
 * A --filter error with the column it is at and the filter under it, a caret below the place
 * (a window of the filter around it when the filter is long), as sysdig users read them.
 */
function filterError(filter: string, column: number | null, message: string): UserError {
  if (column === null) return new UserError(`--filter: ${message}`);
  const from = Math.max(0, column - 60);
  const shown = sanitize(filter.slice(from, column + 60).replace(/\s/g, ' '));
  const lead = from > 0 ? '…' : '';
  return new UserError(`--filter: column ${column + 1}: ${message}\n  ${lead}${shown}${column + 60 < filter.length ? '…' : ''}\n  ${' '.repeat(lead.length + column - from)}^`);
}

/** Where a name a compile error quotes (`nonexistent field nope.x`, `Undefined macro 'm'`) first appears in the filter as a whole word. */
function columnOfName(filter: string, message: string): number | null {
  const m = /(?:nonexistent field |Undefined (?:macro|list) '|unknown field )([^\s']+)/.exec(message);
  if (!m) return null;
  const name = m[1]!;
  const re = new RegExp(`(^|[^\\w.])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.])`);
  const at = re.exec(filter);
  return at ? at.index + at[1]!.length : null;
}

/** A --filter that does not parse: the message with the column it is at. */
function checkFilterSyntax(filter: string): void {
  try {
    parseCondition(filter);
  } catch (e) {
    if (!isConditionError(e)) throw e;
    throw filterError(filter, e.pos.column, e.message);
  }
}

function filterRule(req: ReplayRequest): CompiledRule[] {
  checkFilterSyntax(req.filter!);
  checkPrintFormat(req.printAdditional);
  const loader = loaderFor({ ...req.config, appendOutput: [] }, undefined, syscallSource.newProvider(sessionOptions(req)));
  const format = req.printAdditional ?? SYSDIG_FORMAT;
  const yaml = `- rule: filter\n  desc: --filter\n  condition: ${JSON.stringify(req.filter)}\n  output: ${JSON.stringify(format)}\n  priority: DEBUG\n`;
  const result = loadRulesContent(loader, '--filter', yaml);
  if (!result.successful) {
    const e = result.errors[0];
    const message = e ? e.message : 'invalid filter';
    throw filterError(req.filter!, columnOfName(req.filter!, message), message);
  }
  return loader.compiled?.rules ?? [];
}

const DROP_RULE = 'Falco internal: syscall event drop';

const here = dirname(fileURLToPath(import.meta.url));

/** The bundled default ruleset (rules/tsfalco_rules.yaml at the package root). */
export function defaultRulesFile(): string | undefined {
  for (const rel of ['../../../rules/tsfalco_rules.yaml', '../../rules/tsfalco_rules.yaml']) {
    const path = join(here, rel);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function loggerFor(config: FalcoConfig) {
  return stderrLogger({ enabled: config.logStderr, level: config.logLevel, iso8601: config.timeFormatIso8601 });
}

function loadRules(req: ReplayRequest): CompiledRule[] {
  const configured = req.rulesFiles.length > 0 || req.config.rulesFiles.some((p) => existsSync(p));
  const builtin = configured ? undefined : defaultRulesFile();
  const logger = loggerFor(req.config);
  for (const f of builtin ? [builtin] : req.rulesFiles.length ? req.rulesFiles : req.config.rulesFiles.filter((p) => existsSync(p))) {
    logger.log('info', `Loading rules from: ${sanitize(f)}`);
  }
  checkPrintFormat(req.printAdditional);
  const { rules, warnings } = loadRulesForRun({
    config: req.config,
    rulesFiles: builtin ? [builtin] : req.rulesFiles,
    provider: syscallSource.newProvider(),
    disableSubstrings: req.disableSubstrings,
    disableTags: req.disableTags,
    enableTags: req.enableTags,
    printAdditional: req.printAdditional,
  });
  if (warnings && process.env.TSFALCO_RULE_WARNINGS) process.stderr.write(sanitizeMultiline(warnings));
  return rules;
}

function summaryTable(results: TraceResult[], byPriority: Map<string, number>): string {
  const stats = results.map((r) => r.stats);
  const events = stats.reduce((n, s) => n + s.events, 0);
  // Wall time of the replays (rules loaded): from the first start to the last end, so that
  // traces replayed side by side by several workers count once.
  const ms = results.length ? Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt)) : 0;
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

/** What one trace's replay produced: its output lines (when buffered), statistics and alerts by priority. */
export interface TraceResult {
  stats: ReplayStats;
  byPriority: [string, number][];
  /** When the replay started and ended (ms since the epoch, comparable across worker threads). */
  startedAt: number;
  endedAt: number;
}

/** Rules for a request: the --filter pseudo-rule, or the loaded and selected rules. */
export function rulesFor(req: ReplayRequest): CompiledRule[] {
  return req.filter !== undefined ? filterRule(req) : loadRules(req);
}

/**
 * Replays one trace, handing every output message (alert or --filter event line) to `emit`;
 * `flush` after every batch (buffered outputs hold an alert no longer than one batch).
 */
export function replayOneTrace(req: ReplayRequest, rules: CompiledRule[], trace: string, emit: (message: OutputMessage) => void, showProgress: boolean, flush: () => void = () => {}): TraceResult {
  const filtering = req.filter !== undefined;
  const format = alertFormatFrom({ ...req.config, jsonOutput: req.json || req.config.jsonOutput });
  const byPriority = new Map<string, number>();
  const logger = loggerFor(req.config);
  const dropConfig = req.config.syscallEventDrops;
  const drops = filtering || dropConfig.actions.length === 0 ? undefined : newDropMonitor(dropConfig, {
    log: (message) => logger.log('error', message),
    alert(message, ts, fields) {
      const alert = internalAlert(DROP_RULE, message, ts, syscallSource.name, process.env.FALCO_HOSTNAME ?? '', fields);
      emit({ line: alertLine(alert, format), alert });
      byPriority.set('Debug', (byPriority.get('Debug') ?? 0) + 1);
    },
  });
  const progress = showProgress ? byteProgress(trace, existsSync(trace) ? statSync(trace).size : 0) : { update() {}, stop() {} };
  const startedAt = performance.timeOrigin + performance.now();
  // A .scap capture is read directly (told apart from a .arrow trace by its first bytes).
  const stats = replayTrace(openAnyTrace(trace), {
    rules,
    ruleMatching: filtering ? 'first' : req.config.ruleMatching,
    hostname: process.env.FALCO_HOSTNAME,
    onProgress(read, size) {
      flush();
      progress.update(read, size);
    },
    drops,
    session: sessionOptions(req),
    onAlert(match) {
      if (filtering) {
        // sysdig leaves out its internal events (procinfo, container…: not syscalls) and, when the
        // format does not start with `*`, the events missing one of its fields.
        if (isInternalEvent(match.cursor)) return;
        const line = match.rule.formatter!.formatComplete(match.cursor);
        if (line !== undefined) emit({ line: sanitize(line) });
        return;
      }
      const alert = alertOf(match);
      // JSON escapes what a terminal would act on; text is sanitised.
      emit({ line: format.json ? alertLine(alert, format) : sanitize(alertLine(alert, format)), alert });
      const p = formatPriority(alert.priority);
      byPriority.set(p, (byPriority.get(p) ?? 0) + 1);
    },
  });
  flush();
  const endedAt = performance.timeOrigin + performance.now();
  progress.stop();
  // Falco prints the drop monitoring report at the end of every replay; here it belongs to the summary.
  if (drops && req.summary) process.stderr.write(drops.report());
  return { stats, byPriority: [...byPriority], startedAt, endedAt };
}

const workerScript = join(here, 'replay-worker.js');

/**
 * Several traces on several cores: each worker thread loads the rules once and replays the
 * traces given to it; lines are buffered per trace and printed in the traces' order, so the
 * output is the same as with one worker.
 */
async function replayInWorkers(req: ReplayRequest, workers: number, emit: (message: OutputMessage) => void): Promise<TraceResult[]> {
  const results: (TraceResult & { lines: OutputMessage[] })[] = new Array(req.traces.length);
  let next = 0;
  const flushInOrder = () => {
    while (next < results.length && results[next]) {
      for (const line of results[next].lines) emit(line);
      results[next].lines = [];
      next++;
    }
  };
  const count = Math.min(workers, req.traces.length);
  await Promise.all(
    Array.from({ length: count }, (_, w) => {
      const indices = req.traces.map((_t, i) => i).filter((i) => i % count === w);
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(workerScript, { workerData: { req, indices } });
        worker.on('message', (msg: { index: number; result: TraceResult; lines: OutputMessage[] } | { error: string; userError: boolean }) => {
          if ('error' in msg) {
            reject(msg.userError ? new UserError(msg.error) : new Error(msg.error));
            return;
          }
          results[msg.index] = { ...msg.result, lines: msg.lines };
          flushInOrder();
        });
        worker.on('error', reject);
        worker.on('exit', () => resolve());
      });
    }),
  );
  return results;
}

export async function runReplay(req: ReplayRequest, workers = 1): Promise<{ alerts: number; complete: boolean }> {
  // Opened first, so that a path it cannot append to is reported before anything runs.
  const sinks = openConfiguredSinks(req.config, { alerts: req.filter === undefined });
  let closed = false;
  try {
    const result = await replayTo(req, workers, sinks);
    closed = true;
    await sinks.close();
    return result;
  } finally {
    // After a failure: what was written stays written (the sinks' buffers are flushed).
    if (!closed) await sinks.close().catch(() => {});
  }
}

async function replayTo(req: ReplayRequest, workers: number, sinks: OutputSink): Promise<{ alerts: number; complete: boolean }> {
  const emit = (message: OutputMessage) => sinks.write(message);
  let results: TraceResult[];
  if (workers > 1 && req.traces.length > 1) {
    results = await replayInWorkers(req, workers, (m) => {
      emit(m);
    });
    sinks.flush();
  } else {
    const rules = rulesFor(req);
    results = req.traces.map((trace) => replayOneTrace(req, rules, trace, emit, true, () => sinks.flush()));
  }
  // Everything written before the summary and the messages on stderr.
  sinks.flush();
  let complete = true;
  const byPriority = new Map<string, number>();
  for (const { stats, byPriority: prios } of results) {
    for (const [p, n] of prios) byPriority.set(p, (byPriority.get(p) ?? 0) + n);
    if (stats.stoppedByDrops) complete = false;
    else if (!stats.ending.complete) {
      complete = false;
      process.stderr.write(`tsfalco: ${sanitize(stats.path)}: incomplete trace: replayed up to byte ${stats.ending.stoppedAt} (${stats.ending.detail})\n`);
    }
  }
  const all = results.map((r) => r.stats);
  if (req.summary && req.filter === undefined) process.stderr.write(summaryTable(results, byPriority));
  return { alerts: all.reduce((n, s) => n + s.alerts, 0), complete };
}
