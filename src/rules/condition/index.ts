/**
 * Public API of the condition language. See README.md in this folder for semantics.
 */
export type {
  Pos,
  Expr,
  AndExpr,
  OrExpr,
  NotExpr,
  MacroRef,
  CheckExpr,
  FieldRef,
  TransformExpr,
  Operand,
  ValueExpr,
  ListExpr,
  ListItem,
  Operator,
  BinaryOperator,
  TransformerName,
} from './ast.js';
export { ALL_OPERATORS, LIST_OPERATORS, NUMERIC_OPERATORS, STRING_OPERATORS, TRANSFORMERS, baseField, exprDepth } from './ast.js';
export { ConditionError, isConditionError, type ConditionProblem, type ConditionCode } from './errors.js';
export { parseCondition } from './parser.js';
export { referencedNames, resolveCondition, type ReferencedNames, type ResolveEnv } from './resolve.js';
export { forEachNode, mapLeaves } from './walk.js';
export { checkCondition, analyzeCheck, type OperandInfo } from './check.js';
export { conditionEventTypes, NO_EVTTYPE_MESSAGE, type EventTypeSet } from './evttypes.js';
export { compileCondition, type ExtractorProvider, type CompiledCondition, type CompileOptions } from './compile.js';
export { conditionText } from './print.js';
export { newRuleSetCompiler, type RuleSetCompiler, type RuleSetEvaluator } from './ruleset.js';
export { valuePredicate, type Pred } from './predicates.js';
export { globMatcher, pmatchMatcher, regexMatcher } from './matchers.js';
