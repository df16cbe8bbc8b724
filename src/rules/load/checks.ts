/**
 * The loader's only door to the condition language's semantic passes (checking against a field
 * catalog, event types, output formats), so the rest of the loader does not depend on their
 * exact shapes.
 */
import type { Expr, ConditionProblem } from '../condition/index.js';
import type { FieldCatalog } from '../catalog.js';

export interface CheckOutcome {
  errors: ConditionProblem[];
  warnings: ConditionProblem[];
}

// TODO(loader): wire checkCondition / conditionEventTypes / the output module when they land
// (see /work/notes/loader-needs.md). Until then a condition is only parsed and resolved.
export function checkRuleCondition(_expr: Expr, _catalog: FieldCatalog): CheckOutcome {
  return { errors: [], warnings: [] };
}

/** Event types a condition can match; `tooMany` when Falco would warn (more than 100). */
export function ruleEventTypes(_expr: Expr, _all: readonly string[]): { types: Set<string>; tooMany: boolean } {
  return { types: new Set(), tooMany: false };
}

/** The first problem of an output format (`invalid formatting token x`), if any. */
export function checkOutputFormat(_format: string, _catalog: FieldCatalog): ConditionProblem | undefined {
  return undefined;
}
