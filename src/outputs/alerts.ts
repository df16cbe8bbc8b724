import type { FalcoConfig } from '../config/index.js';
import type { Alert } from '../engine/alert.js';
import { renderIso8601, renderTime } from '../engine/extract/render.js';
import { formatPriority } from '../rules/load/index.js';
import { toJson } from '../util/json.js';

/**
 * Falco's alert formats, over the neutral `Alert`. Text: `<time>: <Priority> <output>`, the time
 * as `%evt.time` or, with `time_format_iso_8601`, `%evt.time.iso8601`. JSON (one object per line,
 * what falcosidekick reads): hostname, output, priority, rule, source, tags, time (RFC 3339, ns,
 * `Z`) and output_fields (typed values; the prefix's time field as integer nanoseconds), with the
 * `json_include_*` switches.
 */

export interface AlertFormat {
  json: boolean;
  iso8601: boolean;
  includeOutput: boolean;
  includeTags: boolean;
  includeOutputFields: boolean;
}

export function alertFormatFrom(config: FalcoConfig): AlertFormat {
  return {
    json: config.jsonOutput,
    iso8601: config.timeFormatIso8601,
    includeOutput: config.jsonIncludeOutputProperty,
    includeTags: config.jsonIncludeTagsProperty,
    includeOutputFields: config.jsonIncludeOutputFieldsProperty,
  };
}

/** RFC 3339 with nanoseconds and `Z`, as Falco's JSON `time`. */
function rfc3339(ns: bigint): string {
  return renderIso8601(ns).replace('+0000', 'Z');
}

export function alertText(alert: Alert, f: AlertFormat): string {
  const time = f.iso8601 ? renderIso8601(alert.time) : renderTime(alert.time);
  return `${time}: ${formatPriority(alert.priority)} ${alert.output}`;
}

export function alertJson(alert: Alert, f: AlertFormat): string {
  const doc: Record<string, unknown> = { hostname: alert.hostname };
  if (f.includeOutput) doc.output = alertText(alert, f);
  doc.priority = formatPriority(alert.priority);
  doc.rule = alert.rule;
  doc.source = alert.source;
  if (f.includeTags && !alert.internal) doc.tags = alert.tags;
  doc.time = rfc3339(alert.time);
  if (f.includeOutputFields) {
    // The prefix's time first, as Falco writes it (not in its own alerts).
    doc.output_fields = alert.internal ? alert.outputFields : { [f.iso8601 ? 'evt.time.iso8601' : 'evt.time']: Number(alert.time), ...alert.outputFields };
  }
  // evt.time as an integer can exceed 2^53; write it exactly.
  return toJson(doc).replace(/"evt\.time(\.iso8601)?":(\d+(\.\d+)?(e\+\d+)?)/, (_m, iso) => `"evt.time${iso ?? ''}":${alert.time}`);
}

/** The line an alert is written as, in the configured format. */
export function alertLine(alert: Alert, f: AlertFormat): string {
  return f.json ? alertJson(alert, f) : alertText(alert, f);
}
