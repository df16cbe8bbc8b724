import type { CompiledRule } from '../rules/load/index.js';
import type { LazyBatch } from '../trace/columnar.js';
import { DEFAULT_SOURCE } from '../trace/columns.js';
import { openTrace, type TraceEnding, type TraceFile } from '../trace/reader.js';
import type { RuleMatch } from './alert.js';
import { type BatchView, viewBatch, viewLazyBatch } from './batch-view.js';
import type { DropMonitor } from './drops.js';
import { newRuleset } from './ruleset.js';
import type { ReplayCounters, SessionOptions, SourceDefinition, SourceReplay } from './source.js';
import { BUILTIN_SOURCES, sourceRegistry } from './sources.js';

/**
 * Replay: read a trace batch by batch and hand each run of rows of one event source to that
 * source's replay (its state, its fields, its ruleset indexed by event type). A trace may hold
 * several sources; rows whose `source` is null are `syscall` rows (all rows of 1.0 traces).
 * The engine itself knows no source: they come from the registry (sources.ts).
 */

export type { RuleMatch } from './alert.js';

export interface ReplayOptions {
  /** Rules to run, in load order (already selected and filtered by priority), of any source. */
  rules: readonly CompiledRule[];
  /** `first`: an event fires only the first matching rule (Falco's default); `all`: every one. */
  ruleMatching: 'first' | 'all';
  /** Called for every rule that matches; the cursor is valid only during the call. */
  onAlert(match: RuleMatch): void;
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
  /** The event sources to replay (default: the built-in ones). Rows of other sources are skipped. */
  sources?: readonly SourceDefinition[];
  /** Options of every source's session (the buffer display limit of `--filter`). */
  session?: SessionOptions;
}

export interface ReplayStats extends ReplayCounters {
  path: string;
  elapsedMs: number;
  ending: TraceEnding;
  /** True when a drop action (`exit`) stopped the replay early. */
  stoppedByDrops: boolean;
  /** Rows of sources the replay does not know (skipped), by source name. */
  unknownSources: Map<string, number>;
}

/** What replay reads: a trace file, or anything that yields trace batches the same way (a .scap reader). */
export type TraceSource = Pick<TraceFile, 'path' | 'size' | 'metadata' | 'batches' | 'ending' | 'position' | 'close'> & Partial<Pick<TraceFile, 'lazyBatches'>>;

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

/** A row's source code in a batch: -1 for null (`syscall`). */
function sourceCode(codes: Int32Array, valid: Uint8Array | null, row: number): number {
  return valid === null || (valid.length > row >> 3 && (valid[row >> 3] & (1 << (row & 7))) !== 0) ? codes[row] : -1;
}

export function replayTrace(input: string | TraceSource, options: ReplayOptions): ReplayStats {
  const trace = typeof input === 'string' ? openTrace(input) : input;
  const started = performance.now();
  const registry = sourceRegistry(options.sources ?? BUILTIN_SOURCES);
  const stats: ReplayStats = {
    path: trace.path,
    events: 0,
    records: 0,
    alerts: 0,
    alertsByRule: new Map(),
    elapsedMs: 0,
    ending: { complete: false, batches: 0 },
    firstTs: null,
    lastTs: null,
    stoppedByDrops: false,
    unknownSources: new Map(),
  };
  // Each source's replay, made when its first row is met; null for a source not in the registry.
  const bySourceName = new Map<string, SourceReplay | null>();
  const replayOf = (name: string): SourceReplay | null => {
    let r = bySourceName.get(name);
    if (r !== undefined) return r;
    const def = registry.get(name);
    if (!def) r = null;
    else {
      const session = def.newSession(options.session);
      const ruleset = newRuleset(name, options.rules, {
        matching: options.ruleMatching,
        compiler: options.evaluation === 'per-rule' ? null : session.compiler(),
        typeFields: def.typeFields,
      });
      r = session.replay({
        metadata: trace.metadata,
        ruleset,
        counters: stats,
        onMatch: options.onAlert,
        ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
        ...(name === DEFAULT_SOURCE && options.drops ? { drops: options.drops } : {}),
      });
    }
    bySourceName.set(name, r);
    return r;
  };
  // By dictionary code of the source column (codes are global to the file); [-1 + 1]: null rows.
  const byCode: (SourceReplay | null | undefined)[] = [];
  let sourceNames: { get(view: BatchView, code: number): string } | null = null;
  const replayForCode = (view: BatchView, code: number): SourceReplay | null => {
    let r = byCode[code + 1];
    if (r === undefined) {
      sourceNames ??= { get: (v, c) => (v.source.dict as { get(c: number): string }).get(c) };
      const name = code < 0 ? DEFAULT_SOURCE : sourceNames.get(view, code);
      r = replayOf(name);
      byCode[code + 1] = r;
    }
    return r;
  };
  const skip = (view: BatchView, code: number, rows: number) => {
    const name = code < 0 ? DEFAULT_SOURCE : (view.source.dict as { get(c: number): string }).get(code);
    stats.unknownSources.set(name, (stats.unknownSources.get(name) ?? 0) + rows);
  };

  try {
    batches: for (const view of batchViews(trace)) {
      const n = view.numRows;
      if (view.source.allNull()) {
        // Only syscall rows (the capture's batches, every 1.0 trace): one run.
        const replay = replayForCode(view, -1);
        if (replay === null) skip(view, -1, n);
        else if (!replay.run(view, 0, n)) {
          stats.stoppedByDrops = true;
          break batches;
        }
        options.onProgress?.(trace.position(), trace.size);
        continue;
      }
      // Runs of rows of one source.
      const codes = view.source.values as Int32Array;
      const valid = view.source.valid;
      let from = 0;
      while (from < n) {
        const code = sourceCode(codes, valid, from);
        let to = from + 1;
        while (to < n && sourceCode(codes, valid, to) === code) to++;
        const replay = replayForCode(view, code);
        if (replay === null) skip(view, code, to - from);
        else if (!replay.run(view, from, to)) {
          stats.stoppedByDrops = true;
          break batches;
        }
        from = to;
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
