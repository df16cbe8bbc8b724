/**
 * The loader's only door to the condition language's semantic passes (checking against a field
 * catalog, event types, output formats), so the rest of the loader does not depend on their
 * exact shapes.
 */
import { checkCondition, conditionEventTypes, isConditionError, type ConditionProblem, type Expr } from '../condition/index.js';
import { checkOutput } from '../output/index.js';
import type { EventTypeTable, FieldCatalog } from '../catalog.js';

export interface CheckOutcome {
  errors: ConditionProblem[];
  warnings: ConditionProblem[];
}

/** Unknown fields, operators not valid for a type, bad values or arguments; plus warnings. */
export function checkRuleCondition(expr: Expr, catalog: FieldCatalog): CheckOutcome {
  return checkCondition(expr, catalog);
}

/**
 * Event types a condition can match; `tooMany` when Falco would warn LOAD_NO_EVTTYPE (more than
 * 100 event codes). Undefined when the source has no event types.
 */
export function ruleEventTypes(
  expr: Expr,
  all: EventTypeTable | readonly string[] | undefined,
): { types: Set<string>; tooMany: boolean } | undefined {
  if (!all || (Array.isArray(all) && all.length === 0)) return undefined;
  try {
    const set = conditionEventTypes(expr, all as EventTypeTable);
    // A condition that does not restrict evt.type also matches types the table does not list
    // (generic `<unknown>` events, syscalls named after a newer table): replay reads `matchesAll`.
    return { types: Object.assign(new Set(set), { matchesAll: set.matchesAll }), tooMany: set.tooMany };
  } catch (e) {
    if (isConditionError(e)) return undefined; // reported by checkRuleCondition already
    throw e;
  }
}

/** The first problem of an output format (`invalid formatting token x`), if any. */
export function checkOutputFormat(format: string, catalog: FieldCatalog): ConditionProblem | undefined {
  const e = checkOutput(format, catalog);
  if (!e) return undefined;
  return { code: 'LOAD_ERR_COMPILE_OUTPUT', message: e.message, pos: { offset: e.offset, line: 0, column: e.offset }, unknown: e.unknown };
}
