import type { CompiledRule } from '../rules/load/index.js';
import { isRecordType, RECORD_TYPES } from '../trace/columns.js';
import type { DropMonitor } from './drops.js';
import { openTrace, type TraceEnding, type TraceFile } from '../trace/reader.js';
import { viewBatch } from './batch-view.js';
import { Cursor } from './cursor.js';
import { applyAfter, applyBefore } from './state/apply.js';
import { newReplayState } from './state/types.js';

/**
 * Replay: read a trace batch by batch, keep the state machine up to date, and run the rules
 * that can match each event's type. Rules are indexed by the dictionary code of the event type,
 * so an event meets only the rules whose event-type set contains it; the code → rules lookup is
 * built once per distinct type in the file.
 */

export interface Alert {
  rule: CompiledRule;
  /** The cursor, positioned on the event, valid only during the callback. */
  cursor: Cursor;
  ts: bigint;
}

export interface ReplayOptions {
  /** Rules to run, in load order (already selected and filtered by priority). */
  rules: readonly CompiledRule[];
  /** `first`: an event fires only the first matching rule (Falco's default); `all`: every one. */
  ruleMatching: 'first' | 'all';
  onAlert(alert: Alert): void;
  /** Called after each batch with bytes read and file size. */
  onProgress?(bytesRead: number, fileSize: number): void;
  /** Overrides the host name from the trace (FALCO_HOSTNAME). */
  hostname?: string;
  /** Falco's syscall event drop monitoring (capture_stats records, simulate_drops). */
  drops?: DropMonitor;
}

export interface ReplayStats {
  path: string;
  events: number;
  records: number;
  alerts: number;
  alertsByRule: Map<string, number>;
  elapsedMs: number;
  ending: TraceEnding;
  firstTs: bigint | null;
  lastTs: bigint | null;
  /** True when a drop action (`exit`) stopped the replay early. */
  stoppedByDrops: boolean;
}

function matchesType(rule: CompiledRule, type: string): boolean {
  const types = rule.eventTypes as (Set<string> & { matchesAll?: boolean }) | undefined;
  return types === undefined || types.matchesAll === true || types.has(type);
}

/** What replay reads: a trace file, or anything that yields trace batches the same way (a .scap reader). */
export type TraceSource = Pick<TraceFile, 'path' | 'size' | 'metadata' | 'batches' | 'ending' | 'position' | 'close'>;

export function replayTrace(input: string | TraceSource, options: ReplayOptions): ReplayStats {
  const trace = typeof input === 'string' ? openTrace(input) : input;
  const path = trace.path;
  const started = performance.now();
  const state = newReplayState(options.hostname ?? trace.metadata.host);
  const cursor = new Cursor(state);
  const rules = options.rules.filter((r) => r.match && r.source === 'syscall');
  const first = options.ruleMatching === 'first';
  // rulesByCode[code]: the rules an event of that type meets; `null` marks a record type.
  const rulesByCode: (readonly CompiledRule[] | null | undefined)[] = [];
  const stats: ReplayStats = {
    path,
    events: 0,
    records: 0,
    alerts: 0,
    alertsByRule: new Map(),
    elapsedMs: 0,
    ending: { complete: false, batches: 0 },
    firstTs: null,
    lastTs: null,
    stoppedByDrops: false,
  };
  const drops = options.drops;

  const rulesFor = (code: number, type: string) => {
    let list = rulesByCode[code];
    if (list === undefined) {
      list = isRecordType(type) ? null : rules.filter((r) => matchesType(r, type));
      rulesByCode[code] = list;
    }
    return list;
  };

  try {
    batches: for (const batch of trace.batches()) {
      const view = viewBatch(batch);
      const codes = view.type.values as Int32Array;
      const ts = view.ts.values as BigInt64Array;
      for (let row = 0; row < view.numRows; row++) {
        cursor.at(view, row);
        const code = codes[row];
        const type = cursor.strings.type.get(view.type, code);
        const candidates = rulesFor(code, type);
        if (candidates === null) {
          stats.records++;
          applyBefore(state, cursor, type, true);
          if (drops && type === RECORD_TYPES.captureStats) drops.onStats(cursor.num('cpu') ?? -1, cursor.big('n_events') ?? 0n, cursor.big('n_drops') ?? 0n);
          continue;
        }
        stats.events++;
        const t = ts[row];
        if (cursor.firstTs < 0n) {
          cursor.firstTs = t;
          stats.firstTs = t;
        }
        stats.lastTs = t;
        if (drops && !drops.onEvent(t)) {
          stats.stoppedByDrops = true;
          break batches;
        }
        applyBefore(state, cursor, type, false);
        cursor.invalidate();
        for (const rule of candidates) {
          if (rule.match!(cursor)) {
            stats.alerts++;
            stats.alertsByRule.set(rule.name, (stats.alertsByRule.get(rule.name) ?? 0) + 1);
            options.onAlert({ rule, cursor, ts: t });
            if (first) break;
          }
        }
        applyAfter(state, cursor, type);
        cursor.prevTs = t;
      }
      options.onProgress?.(trace.position(), trace.size);
    }
    stats.ending = trace.ending();
  } finally {
    stats.elapsedMs = performance.now() - started;
    trace.close();
  }
  return stats;
}
