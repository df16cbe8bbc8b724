import type { RuleSetCompiler, RuleSetEvaluator } from '../rules/condition/index.js';
import type { CompiledRule } from '../rules/load/index.js';

/**
 * The rules of one event source, indexed by event type (Falco's `evttype_index_ruleset`): an
 * event meets only the rules whose event-type set can contain its type. The index is built on
 * first use of each type. Per type, the rules are evaluated together by one evaluator (checks
 * and macros they share evaluated once per event, the type's own checks decided when
 * compiling) or, without a compiler or when one cannot be built, rule by rule.
 */
export interface RulesetEntry {
  /** The rules that can match events of the type, in load order. */
  readonly rules: readonly CompiledRule[];
  /** All of them at once; null: rule by rule (`rule.match`). */
  readonly evaluator: RuleSetEvaluator | null;
}

export interface Ruleset {
  readonly source: string;
  /** Every rule of the source, in load order. */
  readonly rules: readonly CompiledRule[];
  /** `first`: an event fires only the first matching rule (Falco's default); `all`: every one. */
  readonly matching: 'first' | 'all';
  /** The rules for events of `type`. */
  forType(type: string): RulesetEntry;
  /** Fills `out` with the indices (into `entry.rules`) of the rules the event matches; returns how many. */
  evaluate(entry: RulesetEntry, cursor: unknown, out: number[]): number;
}

export interface RulesetOptions {
  matching: 'first' | 'all';
  /** Compiles the rules of one type into one evaluator; null: rule by rule. */
  compiler: RuleSetCompiler | null;
  /** Fields whose value is the event type (`evt.type`…): known when compiling for one type. */
  typeFields: readonly string[];
}

function matchesType(rule: CompiledRule, type: string): boolean {
  const types = rule.eventTypes as (Set<string> & { matchesAll?: boolean }) | undefined;
  return types === undefined || types.matchesAll === true || types.has(type);
}

const EMPTY: RulesetEntry = { rules: [], evaluator: null };

/** A ruleset over the rules of `source` among `rules` (others are left out). */
export function newRuleset(source: string, rules: readonly CompiledRule[], options: RulesetOptions): Ruleset {
  const own = rules.filter((r) => r.match && r.source === source);
  const byType = new Map<string, RulesetEntry>();
  const first = options.matching === 'first';
  const compiler = options.compiler;

  const build = (type: string): RulesetEntry => {
    const list = own.filter((r) => matchesType(r, type));
    if (list.length === 0) return EMPTY;
    let evaluator: RuleSetEvaluator | null = null;
    if (compiler) {
      try {
        evaluator = compiler.compile(list.map((r) => r.expr), new Map(options.typeFields.map((f) => [f, type])));
      } catch {
        evaluator = null; // rule by rule: each rule's own compiled condition
      }
    }
    return { rules: list, evaluator };
  };

  return {
    source,
    rules: own,
    matching: options.matching,
    forType(type) {
      let entry = byType.get(type);
      if (!entry) byType.set(type, (entry = build(type)));
      return entry;
    },
    evaluate(entry, cursor, out) {
      if (entry.evaluator) return entry.evaluator(cursor, first, out);
      let n = 0;
      const list = entry.rules;
      for (let i = 0; i < list.length; i++) {
        if (list[i].match!(cursor)) {
          out[n++] = i;
          if (first) break;
        }
      }
      return n;
    },
  };
}
