import { type CompiledRule, PRIORITY_DEBUG, type Priority } from '../rules/load/index.js';
import type { Cursor } from './cursor.js';

/**
 * What a rule firing leaves behind: plain data, no cursor, no engine. Outputs, SQL tables and
 * response actions hold alerts without the engine that made them. Falco's JSON alert carries the
 * same facts (rule, priority, source, tags, time, hostname, output, output_fields).
 */
export interface Alert {
  readonly rule: string;
  readonly priority: Priority;
  /** The event source of the rule and of the event (`syscall`, …). */
  readonly source: string;
  readonly tags: readonly string[];
  /** Nanoseconds since the epoch: the event's time. */
  readonly time: bigint;
  readonly hostname: string;
  /** The rule's output with its fields filled in, without Falco's `<time>: <Priority>` prefix. */
  readonly output: string;
  /**
   * The output's fields as Falco's JSON `output_fields` carries them: numbers for numeric
   * fields, null for `<NA>`, then the extra fields of `append_output`. The event time is not
   * here: its key depends on the output format (`evt.time` or `evt.time.iso8601`).
   */
  readonly outputFields: Readonly<Record<string, string | number | null>>;
  /** Falco's own alert (syscall event drops…): written without tags or the event time among its fields, as Falco does. */
  readonly internal?: boolean;
}

/** A rule that matched an event: valid only during the replay's callback (the cursor moves on). */
export interface RuleMatch {
  rule: CompiledRule;
  /** The cursor, positioned on the event (the current row, whatever the source). */
  cursor: Cursor;
  ts: bigint;
  /** The event source the event belongs to. */
  source: string;
  /** The host the event happened on (the trace's, or FALCO_HOSTNAME). */
  hostname: string;
}

const NUMERIC = /^-?\d+$/;
const NUMERIC_TYPE = /int|uint|port|pid|fd|reltime|abstime|gid|uid/;

/** The neutral alert of a match, made while its cursor is still on the event. */
export function alertOf(match: RuleMatch): Alert {
  const { rule, cursor } = match;
  const formatter = rule.formatter;
  const outputFields: Record<string, string | number | null> = {};
  if (formatter) {
    const values = formatter.values(cursor);
    for (const token of formatter.fields) {
      const v = values[token.key];
      if (v === undefined) continue;
      const numeric = NUMERIC_TYPE.test(token.token.field.type) && NUMERIC.test(v);
      outputFields[token.key] = v === '<NA>' ? null : numeric ? Number(v) : v;
    }
  }
  for (const [key, extra] of Object.entries(rule.extraFormatters ?? {})) outputFields[key] = extra.format(cursor);
  return {
    rule: rule.name,
    priority: rule.priority,
    source: match.source,
    tags: rule.tags,
    time: match.ts,
    hostname: match.hostname,
    output: formatter ? formatter.format(cursor) : rule.output,
    outputFields,
  };
}

/** Falco's own alerts (e.g. syscall event drops): priority Debug, no rule of the ruleset. */
export function internalAlert(rule: string, message: string, time: bigint, source: string, hostname: string, fields: Record<string, number>): Alert {
  const outputFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  return { rule, priority: PRIORITY_DEBUG, source, tags: [], time, hostname, output: message, outputFields, internal: true };
}
