/** Public API of rule loading. See README.md in this folder. */
export {
  newRulesLoader,
  loadRulesContent,
  loadRulesFiles,
  loadResultsJson,
  checkPluginRequirements,
  type LoaderOptions,
  type RulesLoader,
  type ProvidedPlugin,
} from './loader.js';
export type {
  CompileOutput,
  CompiledRule,
  CompiledList,
  CompiledMacro,
  ExtraOutputFormat,
  ExtraOutputField,
} from './compile.js';
export {
  resultToJson,
  snippet,
  ERROR_DESCS,
  WARNING_DESCS,
  WARNING_NAMES,
  type LoadResult,
  type LoadError,
  type LoadWarning,
  type ErrorCode,
  type WarningCode,
  type Context,
  type Location,
  type ItemType,
  type JsonLoadResult,
  type JsonEntry,
} from './result.js';
export { formatResult, filePlace } from './human.js';
export { checkOutputFormat } from './checks.js';
export { selectRules, matchesWildcard, SelectionError, type SelectableRule, type SelectionOptions } from './selection.js';
export { appendOutputExtras, suggestedFieldFormat } from './append-output.js';
export { parsePriority, formatPriority, PRIORITY_DEBUG, PRIORITY_NAMES, type Priority } from './priority.js';
export { ENGINE_VERSION, parseSemver, formatSemver } from './version.js';
export { isCatalogField, type LoaderSource } from './sources.js';
export { buildExceptionCondition, quoteItem } from './exceptions.js';
export { parseYaml, type YNode, type Mark } from './yaml.js';
export { describeRules, formatRulesTable, wrapText } from './describe.js';
