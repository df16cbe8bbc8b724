import type { Pos } from './ast.js';

/** Falco's load-result codes that condition handling can produce. */
export type ConditionCode =
  | 'LOAD_ERR_COMPILE_CONDITION' // syntax errors, unknown fields, bad operators/values
  | 'LOAD_ERR_VALIDATE' // undefined macro, macro reference loop
  | 'LOAD_UNKNOWN_FILTER' // (warning class) used by the loader for skip-if-unknown-filter
  | 'LOAD_COMPILE_CONDITION' // warnings from compiling a condition
  | 'LOAD_UNSAFE_NA_CHECK'
  | 'LOAD_NO_EVTTYPE'
  | 'LOAD_ERR_COMPILE_OUTPUT';

/** One error or warning about a condition (or output), with its place in the text. */
export interface ConditionProblem {
  code: ConditionCode;
  message: string;
  pos: Pos;
  /**
   * True for errors Falco classifies as "unknown field / event type / formatting token"
   * (its err_is_unknown_type_or_field): with skip-if-unknown-filter these become
   * LOAD_UNKNOWN_FILTER warnings instead of errors.
   */
  unknown?: boolean;
}

/** Thrown by parseCondition / resolveCondition; never anything else. */
export class ConditionError extends Error {
  readonly pos: Pos;
  readonly code: ConditionCode;
  constructor(message: string, pos: Pos, code: ConditionCode = 'LOAD_ERR_COMPILE_CONDITION') {
    super(message);
    this.name = 'ConditionError';
    this.pos = pos;
    this.code = code;
  }
}

export function isConditionError(e: unknown): e is ConditionError {
  return e instanceof ConditionError;
}
