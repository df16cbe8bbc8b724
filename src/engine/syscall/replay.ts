import { isRecordType, RECORD_TYPES } from '../../trace/columns.js';
import { type BatchView, COLUMN_INDEX, isSet } from '../batch-view.js';
import { Cursor } from '../cursor.js';
import type { RulesetEntry } from '../ruleset.js';
import type { ReplayContext, SourceReplay } from '../source.js';
import { applyAfter, applyBefore, STATE_ONLY_WITH, STATEFUL_TYPES } from '../state/apply.js';
import { newReplayState } from '../state/types.js';

/**
 * The syscall source's replay: the state machine kept up to date and the rules that can match
 * each event's type run. Event types are classified once per dictionary code of the trace (its
 * kind, its name, its ruleset entry), so the per-event path reads a few typed arrays and no
 * strings. Nothing is allocated per event.
 */

/** How replay handles an event type (by dictionary code). */
const RECORD = 1;
/** No rule can match it and it changes no state beyond noting a thread seen for the first time. */
const PLAIN = 2;
/** Rules to run, or state to change: the whole per-event path. */
const FULL = 3;
/** No rule, and a state change only when a column is set (STATE_ONLY_WITH): FULL or PLAIN by row. */
const FULL_IF_SET = 4;

const MAX_TS = (1n << 63n) - 1n;

export function replaySyscalls(context: ReplayContext): SourceReplay {
  const { ruleset, counters, drops } = context;
  const state = newReplayState(context.hostname ?? context.metadata.host, context.metadata.bootTimeNs ?? 0n);
  const cursor = new Cursor(state);
  const threads = state.threads;
  // By dictionary code of the event type: how to handle it (0: not seen yet), its name, its rules.
  const kindByCode: number[] = [];
  const typeByCode: string[] = [];
  const entryByCode: RulesetEntry[] = [];
  const conditionByCode: number[] = [];
  const matches: number[] = [];

  const classify = (view: BatchView, code: number): number => {
    const type = cursor.strings.type.get(view.type, code);
    typeByCode[code] = type;
    let kind: number;
    if (isRecordType(type)) {
      kind = RECORD;
    } else {
      const entry = ruleset.forType(type);
      entryByCode[code] = entry;
      const onlyWith = STATE_ONLY_WITH[type];
      if (entry.rules.length === 0 && onlyWith !== undefined) {
        kind = FULL_IF_SET;
        conditionByCode[code] = COLUMN_INDEX[onlyWith];
      } else kind = entry.rules.length > 0 || STATEFUL_TYPES.has(type) ? FULL : PLAIN;
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

  const run = (view: BatchView, from: number, to: number): boolean => {
    const codes = view.type.values as Int32Array;
    const tsCol = view.ts.values as BigInt64Array;
    const ts32 = new Int32Array(tsCol.buffer, tsCol.byteOffset, tsCol.length * 2);
    const tidCol = view.tid;
    let tids: Int32Array | null = null;
    let tidValid: Uint8Array | null = null;
    let batchFirst = -1;
    let batchLast = -1;
    let stopped = false;
    for (let row = from; row < to; row++) {
      const code = codes[row];
      let kind = kindByCode[code];
      if (kind === undefined) kind = classify(view, code);
      if (kind === RECORD) {
        counters.records++;
        cursor.at(view, row);
        const type = typeByCode[code];
        applyBefore(state, cursor, type, true);
        knownTid = -2;
        if (drops && type === RECORD_TYPES.captureStats) drops.onStats(cursor.num('cpu') ?? -1, cursor.big('n_events') ?? 0n, cursor.big('n_drops') ?? 0n);
        continue;
      }
      counters.events++;
      if (batchFirst < 0) {
        batchFirst = row;
        if (cursor.firstTs < 0n) cursor.firstTs = tsCol[row];
      }
      batchLast = row;
      const hi = ts32[2 * row + 1];
      if (hi > deadlineHi || (hi === deadlineHi && ts32[2 * row] >>> 0 > deadlineLo)) {
        if (!drops!.onEvent(tsCol[row])) {
          stopped = true;
          break;
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
      const entry = entryByCode[code];
      if (entry.rules.length > 0) {
        const n = ruleset.evaluate(entry, cursor, matches);
        for (let i = 0; i < n; i++) {
          const rule = entry.rules[matches[i]];
          counters.alerts++;
          counters.alertsByRule.set(rule.name, (counters.alertsByRule.get(rule.name) ?? 0) + 1);
          context.onMatch({ rule, cursor, ts: tsCol[row], source: 'syscall', hostname: state.hostname });
        }
      }
      applyAfter(state, cursor, type);
      knownTid = -2;
      prevView = view;
      prevRow = row;
    }
    if (batchFirst >= 0) {
      if (counters.firstTs === null) counters.firstTs = tsCol[batchFirst];
      counters.lastTs = tsCol[batchLast];
    }
    return !stopped;
  };

  return { run };
}
