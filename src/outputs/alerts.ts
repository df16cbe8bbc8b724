import type { FalcoConfig } from '../config/index.js';
import type { Alert } from '../engine/replay.js';
import { renderIso8601, renderTime } from '../engine/extract/render.js';
import { formatPriority } from '../rules/load/index.js';
import { toJson } from '../util/json.js';

/**
 * Falco's alert formats. Text: `<time>: <Priority> <output>`, the time as `%evt.time` or, with
 * `time_format_iso_8601`, `%evt.time.iso8601`. JSON (one object per line, what falcosidekick
 * reads): hostname, output, priority, rule, source, tags, time (RFC 3339, ns, `Z`) and
 * output_fields (typed values; the prefix's time field as integer nanoseconds), with the
 * `json_include_*` switches.
 */

export interface AlertFormat {
  json: boolean;
  iso8601: boolean;
  includeOutput: boolean;
  includeTags: boolean;
  includeOutputFields: boolean;
  hostname: string;
}

export function alertFormatFrom(config: FalcoConfig, hostname: string): AlertFormat {
  return {
    json: config.jsonOutput,
    iso8601: config.timeFormatIso8601,
    includeOutput: config.jsonIncludeOutputProperty,
    includeTags: config.jsonIncludeTagsProperty,
    includeOutputFields: config.jsonIncludeOutputFieldsProperty,
    hostname,
  };
}

/** RFC 3339 with nanoseconds and `Z`, as Falco's JSON `time`. */
function rfc3339(ns: bigint): string {
  return renderIso8601(ns).replace('+0000', 'Z');
}

const NUMERIC = /^-?\d+$/;

/** The output line without the time and priority prefix. */
function outputBody(alert: Alert): string {
  return alert.rule.formatter ? alert.rule.formatter.format(alert.cursor) : alert.rule.output;
}

export function alertText(alert: Alert, f: AlertFormat): string {
  const time = f.iso8601 ? renderIso8601(alert.ts) : renderTime(alert.ts);
  return `${time}: ${formatPriority(alert.rule.priority)} ${outputBody(alert)}`;
}

export function alertJson(alert: Alert, f: AlertFormat): string {
  const rule = alert.rule;
  const doc: Record<string, unknown> = { hostname: f.hostname };
  if (f.includeOutput) doc.output = alertText(alert, f);
  doc.priority = formatPriority(rule.priority);
  doc.rule = rule.name;
  doc.source = rule.source;
  if (f.includeTags) doc.tags = rule.tags;
  doc.time = rfc3339(alert.ts);
  if (f.includeOutputFields) {
    const fields: Record<string, unknown> = {};
    fields[f.iso8601 ? 'evt.time.iso8601' : 'evt.time'] = Number(alert.ts);
    const values = rule.formatter?.values(alert.cursor) ?? {};
    for (const token of rule.formatter?.fields ?? []) {
      const v = values[token.key];
      if (v === undefined) continue;
      const numeric = /int|uint|port|pid|fd|reltime|abstime|gid|uid/.test(token.token.field.type) && NUMERIC.test(v);
      fields[token.key] = v === '<NA>' ? null : numeric ? Number(v) : v;
    }
    for (const [key, extra] of Object.entries(rule.extraFormatters ?? {})) fields[key] = extra.format(alert.cursor);
    doc.output_fields = fields;
  }
  // evt.time as an integer can exceed 2^53; write it exactly.
  return toJson(doc, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)).replace(/"evt\.time(\.iso8601)?":(\d+(\.\d+)?(e\+\d+)?)/, (_m, iso) => `"evt.time${iso ?? ''}":${alert.ts}`);
}

/** Falco's own alerts (e.g. syscall event drops): priority Debug, no rule of the ruleset. */
export function internalAlertText(message: string, ts: bigint, f: AlertFormat): string {
  return `${f.iso8601 ? renderIso8601(ts) : renderTime(ts)}: Debug ${message}`;
}

export function internalAlertJson(rule: string, message: string, ts: bigint, fields: Record<string, number>, f: AlertFormat): string {
  const doc: Record<string, unknown> = { hostname: f.hostname };
  if (f.includeOutput) doc.output = internalAlertText(message, ts, f);
  doc.priority = 'Debug';
  doc.rule = rule;
  doc.source = 'syscall';
  doc.time = rfc3339(ts);
  if (f.includeOutputFields) doc.output_fields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  return toJson(doc);
}
