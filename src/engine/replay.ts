import { newRuleSetCompiler, type RuleSetCompiler, type RuleSetEvaluator } from '../rules/condition/index.js';
import type { CompiledRule } from '../rules/load/index.js';
import type { LazyBatch } from '../trace/columnar.js';
import { isRecordType, RECORD_TYPES } from '../trace/columns.js';
import type { DropMonitor } from './drops.js';
import { openTrace, type TraceEnding, type TraceFile } from '../trace/reader.js';
import { type BatchView, COLUMN_INDEX, isSet, viewBatch, viewLazyBatch } from './batch-view.js';
import { Cursor } from './cursor.js';
import { newSyscallProvider } from './extract/fields.js';
import { syscallCatalog } from './fields/catalog.js';
import { applyAfter, applyBefore, STATE_ONLY_WITH, STATEFUL_TYPES } from './state/apply.js';
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
  /**
   * `ruleset` (default): per event type, one evaluator for all the rules it can meet (checks and
   * macros they share evaluated once per event, `evt.type` checks decided when compiling);
   * `per-rule`: each rule's own compiled condition, one after the other. Same alerts.
   */
  evaluation?: 'ruleset' | 'per-rule';
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
export type TraceSource = Pick<TraceFile, 'path' | 'size' | 'metadata' | 'batches' | 'ending' | 'position' | 'close'> & Partial<Pick<TraceFile, 'lazyBatches'>>;

/** How replay handles an event type (by dictionary code). */
const RECORD = 1;
/** No rule can match it and it changes no state beyond noting a thread seen for the first time. */
const PLAIN = 2;
/** Rules to run, or state to change: the whole per-event path. */
const FULL = 3;
/** No rule, and a state change only when a column is set (STATE_ONLY_WITH): FULL or PLAIN by row. */
const FULL_IF_SET = 4;

/**
 * The batches as views. Columns of trace files decode on first use, into buffers recycled two
 * batches later: nothing of a batch is kept beyond the next one (the previous event, for
 * evt.deltatime, may be in the previous batch; alerts are handled during their event).
 */
function* batchViews(trace: TraceSource): Generator<BatchView> {
  const lazy = trace.lazyBatches?.() ?? null;
  if (lazy) {
    let previous: LazyBatch | null = null;
    let beforePrevious: LazyBatch | null = null;
    for (const b of lazy) {
      beforePrevious?.release();
      beforePrevious = previous;
      previous = b;
      yield viewLazyBatch(b);
    }
  } else for (const b of trace.batches()) yield viewBatch(b);
}

const MAX_TS = (1n << 63n) - 1n;

/** The rule-set evaluator for the rules of one event type; null (rule by rule) if it cannot be built. */
function evaluatorFor(compiler: RuleSetCompiler, rules: readonly CompiledRule[], type: string): RuleSetEvaluator | null {
  try {
    return compiler.compile(rules.map((r) => r.expr), new Map([['evt.type', type], ['syscall.type', type]]));
  } catch {
    return null;
  }
}

export function replayTrace(input: string | TraceSource, options: ReplayOptions): ReplayStats {
  const trace = typeof input === 'string' ? openTrace(input) : input;
  const path = trace.path;
  const started = performance.now();
  const state = newReplayState(options.hostname ?? trace.metadata.host, trace.metadata.bootTimeNs ?? 0n);
  const cursor = new Cursor(state);
  const rules = options.rules.filter((r) => r.match && r.source === 'syscall');
  const first = options.ruleMatching === 'first';
  // By dictionary code of the event type: how to handle it (0: not seen yet), its name, its rules.
  const kindByCode: number[] = [];
  const typeByCode: string[] = [];
  const rulesByCode: (readonly CompiledRule[])[] = [];
  const conditionByCode: number[] = [];
  const evaluatorByCode: (RuleSetEvaluator | null)[] = [];
  const compiler = options.evaluation === 'per-rule' ? null : newRuleSetCompiler(syscallCatalog, newSyscallProvider());
  const matches: number[] = [];
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
  const threads = state.threads;

  const classify = (view: BatchView, code: number): number => {
    const type = cursor.strings.type.get(view.type, code);
    typeByCode[code] = type;
    let kind: number;
    if (isRecordType(type)) {
      kind = RECORD;
      rulesByCode[code] = [];
    } else {
      const list = rules.filter((r) => matchesType(r, type));
      rulesByCode[code] = list;
      evaluatorByCode[code] = compiler && list.length > 0 ? evaluatorFor(compiler, list, type) : null;
      const onlyWith = STATE_ONLY_WITH[type];
      if (list.length === 0 && onlyWith !== undefined) {
        kind = FULL_IF_SET;
        conditionByCode[code] = COLUMN_INDEX[onlyWith];
      } else kind = list.length > 0 || STATEFUL_TYPES.has(type) ? FULL : PLAIN;
    }
    kindByCode[code] = kind;
    return kind;
  };

  // The drop monitor needs a call only for events after its deadline; compared as two int32
  // halves of the timestamp, so that no BigInt is made per event.
  let deadlineHi = 0x7fffffff;
  let deadlineLo = 0xffffffff;
  const setDeadline = () => {
    const d = drops ? drops.deadline() : MAX_TS;
    deadlineHi = Number(BigInt.asIntN(32, d >> 32n));
    deadlineLo = Number(BigInt.asUintN(32, d));
  };
  setDeadline();

  // The previous event (for evt.deltatime): its batch and row.
  let prevView: BatchView | null = null;
  let prevRow = -1;
  // The thread of the last plain event, known to be in the state (-2: none).
  let knownTid = -2;

  try {
    batches: for (const view of batchViews(trace)) {
      const n = view.numRows;
      const codes = view.type.values as Int32Array;
      const tsCol = view.ts.values as BigInt64Array;
      const ts32 = new Int32Array(tsCol.buffer, tsCol.byteOffset, tsCol.length * 2);
      const tidCol = view.tid;
      let tids: Int32Array | null = null;
      let tidValid: Uint8Array | null = null;
      let batchFirst = -1;
      let batchLast = -1;
      for (let row = 0; row < n; row++) {
        const code = codes[row];
        let kind = kindByCode[code];
        if (kind === undefined) kind = classify(view, code);
        if (kind === RECORD) {
          stats.records++;
          cursor.at(view, row);
          const type = typeByCode[code];
          applyBefore(state, cursor, type, true);
          knownTid = -2;
          if (drops && type === RECORD_TYPES.captureStats) drops.onStats(cursor.num('cpu') ?? -1, cursor.big('n_events') ?? 0n, cursor.big('n_drops') ?? 0n);
          continue;
        }
        stats.events++;
        if (batchFirst < 0) {
          batchFirst = row;
          if (cursor.firstTs < 0n) cursor.firstTs = tsCol[row];
        }
        batchLast = row;
        const hi = ts32[2 * row + 1];
        if (hi > deadlineHi || (hi === deadlineHi && ts32[2 * row] >>> 0 > deadlineLo)) {
          if (!drops!.onEvent(tsCol[row])) {
            stats.stoppedByDrops = true;
            if (stats.firstTs === null) stats.firstTs = tsCol[batchFirst];
            stats.lastTs = tsCol[row];
            break batches;
          }
          setDeadline();
        }
        if (kind === FULL_IF_SET) kind = isSet(view.cols[conditionByCode[code]], row) ? FULL : PLAIN;
        if (kind === PLAIN) {
          // Only a thread seen for the first time changes the state (it is registered).
          if (tids === null) {
            tids = tidCol.values as Int32Array;
            tidValid = tidCol.valid;
          }
          const tid = tidValid === null || (tidValid[row >> 3] & (1 << (row & 7))) !== 0 ? tids[row] : -1;
          if (tid !== knownTid) {
            if (!threads.has(tid)) {
              cursor.at(view, row);
              applyBefore(state, cursor, typeByCode[code], false);
            }
            knownTid = tid;
          }
          prevView = view;
          prevRow = row;
          continue;
        }
        cursor.at(view, row);
        cursor.setPrevious(prevView, prevRow);
        const type = typeByCode[code];
        applyBefore(state, cursor, type, false);
        cursor.invalidate();
        const candidates = rulesByCode[code];
        const evaluator = evaluatorByCode[code];
        if (evaluator) {
          const n = evaluator(cursor, first, matches);
          for (let i = 0; i < n; i++) {
            const rule = candidates[matches[i]];
            stats.alerts++;
            stats.alertsByRule.set(rule.name, (stats.alertsByRule.get(rule.name) ?? 0) + 1);
            options.onAlert({ rule, cursor, ts: tsCol[row] });
          }
        } else {
          for (let i = 0; i < candidates.length; i++) {
            const rule = candidates[i];
            if (rule.match!(cursor)) {
              stats.alerts++;
              stats.alertsByRule.set(rule.name, (stats.alertsByRule.get(rule.name) ?? 0) + 1);
              options.onAlert({ rule, cursor, ts: tsCol[row] });
              if (first) break;
            }
          }
        }
        applyAfter(state, cursor, type);
        knownTid = -2;
        prevView = view;
        prevRow = row;
      }
      if (batchFirst >= 0) {
        if (stats.firstTs === null) stats.firstTs = tsCol[batchFirst];
        stats.lastTs = tsCol[batchLast];
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
