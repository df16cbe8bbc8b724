import type { ExtractorProvider, RuleSetCompiler } from '../rules/condition/index.js';
import type { FieldCatalog } from '../rules/catalog.js';
import type { ColumnName } from '../trace/columns.js';
import type { TraceMetadata } from '../trace/schema.js';
import type { RuleMatch } from './alert.js';
import type { BatchView } from './batch-view.js';
import type { DropMonitor } from './drops.js';
import type { Ruleset } from './ruleset.js';

/**
 * An event source as the engine knows it (Falco's `falco_source`: one bundle per source): its
 * name, its fields, its event types, the trace columns it owns, and how its events are replayed.
 * `syscall` is the first (src/engine/syscall/source.ts); the registry (sources.ts) lists them.
 *
 * A replay opens one session per source per trace: the session's provider keeps per-trace
 * caches (values per event, answers per dictionary code), so it is never shared between traces.
 */
export interface SourceDefinition {
  readonly name: string;
  /** Its fields, and its event types when it has a fixed set (`catalog.eventTypes`). */
  readonly catalog: FieldCatalog;
  /** Trace columns its events use beyond the core (ts, num, source, type). */
  readonly columns: readonly ColumnName[];
  /** Fields whose value is the event type (decided when the rules of one type are compiled). */
  readonly typeFields: readonly string[];
  /** Fields suggested for `append_output.suggested_output` (the container plugin's, for syscall). */
  readonly suggestedFields: readonly string[];
  /** A fresh extractor provider: for loading rules (conditions and outputs compiled against it). */
  newProvider(options?: SessionOptions): ExtractorProvider;
  /** A session: what replaying this source's events of one trace needs. */
  newSession(options?: SessionOptions): SourceSession;
}

export interface SessionOptions {
  /** Buffers shown at most this many characters (sysdig's default in `--filter` mode: 80). */
  bufferDisplayLimit?: number;
}

export interface SourceSession {
  /** The extractors the session's rules are evaluated with. */
  readonly provider: ExtractorProvider;
  /** Compiles the rules of one event type into one evaluator, over `provider`. */
  compiler(): RuleSetCompiler;
  /** Starts replaying the source's events of one trace. */
  replay(context: ReplayContext): SourceReplay;
}

/** What a source's replay gets from the engine. */
export interface ReplayContext {
  readonly metadata: TraceMetadata;
  /** Overrides the trace's host name (FALCO_HOSTNAME). */
  readonly hostname?: string;
  readonly ruleset: Ruleset;
  readonly counters: ReplayCounters;
  /** Falco's syscall event drop monitoring (syscall only). */
  readonly drops?: DropMonitor;
  onMatch(match: RuleMatch): void;
}

/** Counts every source's replay adds to. */
export interface ReplayCounters {
  events: number;
  records: number;
  alerts: number;
  alertsByRule: Map<string, number>;
  firstTs: bigint | null;
  lastTs: bigint | null;
}

export interface SourceReplay {
  /**
   * Replays rows [from, to) of a batch, all of them events of this source, in order. Returns
   * false to stop the replay (a drop action said `exit`).
   */
  run(view: BatchView, from: number, to: number): boolean;
}
