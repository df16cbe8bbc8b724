/**
 * Load results as Falco reports them: per-file success, errors and warnings with Falco's codes,
 * code descriptions, messages and contexts (a chain of locations, outermost first).
 */
import type { Mark } from './yaml.js';

export type ErrorCode =
  | 'LOAD_ERR_FILE_READ'
  | 'LOAD_ERR_YAML_PARSE'
  | 'LOAD_ERR_YAML_VALIDATE'
  | 'LOAD_ERR_COMPILE_CONDITION'
  | 'LOAD_ERR_COMPILE_OUTPUT'
  | 'LOAD_ERR_VALIDATE'
  | 'LOAD_ERR_EXTENSION';

export type WarningCode =
  | 'LOAD_UNKNOWN_SOURCE'
  | 'LOAD_UNSAFE_NA_CHECK'
  | 'LOAD_NO_EVTTYPE'
  | 'LOAD_UNKNOWN_FILTER'
  | 'LOAD_UNUSED_MACRO'
  | 'LOAD_UNUSED_LIST'
  | 'LOAD_UNKNOWN_ITEM'
  | 'LOAD_DEPRECATED_ITEM'
  | 'LOAD_WARNING_EXTENSION'
  | 'LOAD_APPEND_NO_VALUES'
  | 'LOAD_EXCEPTION_NAME_NOT_UNIQUE'
  | 'LOAD_INVALID_MACRO_NAME'
  | 'LOAD_INVALID_LIST_NAME'
  | 'LOAD_COMPILE_CONDITION'
  | 'LOAD_UNKNOWN_KEY';

/**
 * Falco prints, as an error's `codedesc`, the short error string (its error_desc() returns the
 * short table), so we do too: tools that compare our JSON with Falco's see the same text.
 */
export const ERROR_DESCS: Record<ErrorCode, string> = {
  LOAD_ERR_FILE_READ: 'File read error',
  LOAD_ERR_YAML_PARSE: 'YAML parse error',
  LOAD_ERR_YAML_VALIDATE: 'Error validating internal structure of YAML file',
  LOAD_ERR_COMPILE_CONDITION: 'Error compiling condition',
  LOAD_ERR_COMPILE_OUTPUT: 'Error compiling output',
  LOAD_ERR_VALIDATE: 'Error validating rule/macro/list/exception objects',
  LOAD_ERR_EXTENSION: 'Error in extension item',
};

/** Short warning names (Falco's warning_str), used in the human summary. */
export const WARNING_NAMES: Record<WarningCode, string> = {
  LOAD_UNKNOWN_SOURCE: 'Unknown event source',
  LOAD_UNSAFE_NA_CHECK: 'Unsafe <NA> comparison in condition',
  LOAD_NO_EVTTYPE: 'Condition has no event-type restriction',
  LOAD_UNKNOWN_FILTER: 'Unknown field or event-type in condition or output',
  LOAD_UNUSED_MACRO: 'Unused macro',
  LOAD_UNUSED_LIST: 'Unused list',
  LOAD_UNKNOWN_ITEM: 'Unknown rules file item',
  LOAD_DEPRECATED_ITEM: 'Used deprecated item',
  LOAD_WARNING_EXTENSION: 'Warning in extension item',
  LOAD_APPEND_NO_VALUES: 'Overriding/appending with no values',
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: 'Multiple exceptions defined with the same name',
  LOAD_INVALID_MACRO_NAME: 'Invalid macro name',
  LOAD_INVALID_LIST_NAME: 'Invalid list name',
  LOAD_COMPILE_CONDITION: 'Warning in rule condition',
  LOAD_UNKNOWN_KEY: 'Unknown key in item definition',
};

/** Warning `codedesc`: Falco's long warning descriptions. */
export const WARNING_DESCS: Record<WarningCode, string> = {
  LOAD_UNKNOWN_SOURCE:
    'A rule has a unknown event source. This can occur when reading rules content without having a corresponding plugin loaded, etc. The rule will be silently ignored.',
  LOAD_UNSAFE_NA_CHECK:
    "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
  LOAD_NO_EVTTYPE:
    'A rule condition matches too many evt.type values. This has a significant performance penalty. Make the condition more specific by adding an evt.type field or further restricting the number of evt.type values in the condition.',
  LOAD_UNKNOWN_FILTER:
    'A rule condition or output refers to a field or evt.type that does not exist. This is normally an error, but if a rule has a skip-if-unknown-filter property, the error is downgraded to a warning.',
  LOAD_UNUSED_MACRO: 'A macro is defined in the rules content but is not used by any other macro or rule.',
  LOAD_UNUSED_LIST: 'A list is defined in the rules content but is not used by any other list, macro, or rule.',
  LOAD_UNKNOWN_ITEM: 'An unknown top-level object is in the rules content. It will be ignored.',
  LOAD_DEPRECATED_ITEM: 'A deprecated item is employed by lists, macros, or rules.',
  LOAD_WARNING_EXTENSION: 'An extension item has a warning',
  LOAD_APPEND_NO_VALUES: 'A rule exception is overriding/appending with no values',
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: 'A rule is defining multiple exceptions with the same name',
  LOAD_INVALID_MACRO_NAME: 'A macro is defined with an invalid name',
  LOAD_INVALID_LIST_NAME: 'A list is defined with an invalid name',
  LOAD_COMPILE_CONDITION: 'A rule condition or output have been parsed with a warning',
  LOAD_UNKNOWN_KEY:
    'An item in the rules content contains an unrecognized key. The key will be ignored. This may indicate a typo or a property placed on the wrong item type.',
};

export type ItemType =
  | 'value for'
  | 'exceptions'
  | 'exception'
  | 'exception values'
  | 'exception value'
  | 'rules content'
  | 'rules content item'
  | 'required_engine_version'
  | 'required plugin versions'
  | 'required plugin versions entry'
  | 'required plugin versions alternative'
  | 'list'
  | 'list item'
  | 'macro'
  | 'macro condition'
  | 'rule'
  | 'rule condition'
  | 'condition expression'
  | 'rule output'
  | 'rule output expression'
  | 'rule priority'
  | 'overrides'
  | 'extension item';

export interface Location {
  itemType: ItemType;
  itemName: string;
  /** File name, or for a condition expression Falco's label: the quoted start of the condition. */
  name: string;
  mark: Mark;
}

/**
 * Where something happened: the chain of locations, outermost (the file) first. `alt` holds the
 * text a condition-expression location points into, since its `name` is not a file.
 * `fileMark` is our own addition for human output: the real place in the file, when known.
 */
export interface Context {
  locations: Location[];
  alt?: string;
  /** Offset within `alt` that the snippet points at. */
  altOffset?: number;
  fileMark?: { name: string; mark: Mark };
}

export const ZERO_MARK: Mark = { offset: 0, line: 0, column: 0 };

export function fileContext(name: string): Context {
  return { locations: [{ itemType: 'rules content', itemName: '', name, mark: ZERO_MARK }] };
}

/** A child context: the parent's locations plus one more, in the same file. */
export function childContext(parent: Context, mark: Mark, itemType: ItemType, itemName = ''): Context {
  const name = parent.locations[0]!.name;
  return { locations: [...parent.locations, { itemType, itemName, name, mark }] };
}

/**
 * A context inside a condition (or output) string, as Falco builds it: the location is named by
 * the first 20 characters of the text, and its position is the parser's (1-based) line/column
 * added to the parent's last position. `fileMark` keeps the true file position for humans.
 */
export function conditionContext(
  parent: Context,
  text: string,
  pos: { offset: number; line: number; column: number },
  fileMark?: { name: string; mark: Mark },
): Context {
  let label = '"' + (text.length > 20 ? text.slice(0, 17) + '..."' : text + '"');
  label = label.replace(/[\r\n]/g, ' ');
  const last = parent.locations[parent.locations.length - 1]!.mark;
  const mark: Mark = {
    offset: pos.offset + last.offset,
    line: pos.line + 1 + last.line,
    column: pos.column + 1 + last.column,
  };
  return {
    locations: [...parent.locations, { itemType: 'condition expression', itemName: '', name: label, mark }],
    alt: text,
    // Snippets of a condition point at the parser position within the condition text.
    altOffset: pos.offset,
    ...(fileMark ? { fileMark } : {}),
  };
}

export interface LoadMessage {
  code: string;
  message: string;
  context: Context;
}
export interface LoadError extends LoadMessage {
  code: ErrorCode;
}
export interface LoadWarning extends LoadMessage {
  code: WarningCode;
  /** For LOAD_DEPRECATED_ITEM about a deprecated field: its name (Falco's `deprecated_field`). */
  deprecatedField?: string;
}

/** The outcome of loading one file (Falco's rule_loader::result). */
export interface LoadResult {
  name: string;
  successful: boolean;
  errors: LoadError[];
  warnings: LoadWarning[];
}

export function newResult(name: string): LoadResult {
  return { name, successful: true, errors: [], warnings: [] };
}

export function addError(res: LoadResult, code: ErrorCode, message: string, context: Context): void {
  res.successful = false;
  res.errors.push({ code, message, context });
}

export function addWarning(res: LoadResult, code: WarningCode, message: string, context: Context): void {
  res.warnings.push({ code, message, context });
}

/** Thrown inside the loader to stop reading a file at its first error, as Falco does. */
export class RuleLoadError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly context: Context) {
    super(message);
    this.name = 'RuleLoadError';
  }
}

export function fail(code: ErrorCode, message: string, context: Context): never {
  throw new RuleLoadError(code, message, context);
}

// ---- JSON -------------------------------------------------------------------------------------

export interface JsonLocation {
  item_type: string;
  item_name: string;
  position: { name: string; line: number; column: number; offset: number };
}
export interface JsonEntry {
  code: string;
  codedesc: string;
  message: string;
  context: { locations: JsonLocation[]; snippet: string };
  deprecated_field?: string;
}
export interface JsonLoadResult {
  name: string;
  successful: boolean;
  errors: JsonEntry[];
  warnings: JsonEntry[];
}

const SNIPPET_WIDTH = 160;

/**
 * The source line around a position (at most 160 characters, `...` where cut), a newline, then
 * a line with `^` under the position and a newline — Falco's snippet format.
 */
export function snippet(content: string | undefined, offset: number, fileName: string): string {
  if (content === undefined) return `<No context for file + ${fileName}>\n`;
  if (content.length === 0) return '<No context available>\n';
  const half = SNIPPET_WIDTH / 2;
  // A mark can sit past the end of the text (a dangling `tags:`); step back onto content.
  let pos = offset;
  while (pos > 0 && (pos >= content.length || content[pos] === '\n')) pos--;
  let from = pos;
  while (from > 0 && content[from] !== '\n' && pos - from < half) from--;
  let to = pos;
  while (to < content.length - 1 && content[to] !== '\n' && to - pos < half) to++;
  if (from < content.length && content[from] === '\n') from++;
  if (to < content.length && content[to] === '\n') to--;
  let line = to >= from ? content.slice(from, to + 1) : '';
  if (line.length === 0) return '<No context available>\n';
  if (pos - from >= half) line = '...' + line.slice(3);
  if (to - pos >= half) line = line.slice(0, -3) + '...';
  let out = line + '\n';
  if (pos - from <= line.length) out += ' '.repeat(Math.max(0, pos - from)) + '^\n';
  return out;
}

function contextSnippet(ctx: Context, contents: ReadonlyMap<string, string>): string {
  const last = ctx.locations[ctx.locations.length - 1]!;
  const alt = ctx.alt;
  if (alt !== undefined) return snippet(alt, ctx.altOffset ?? 0, last.name);
  return snippet(contents.get(last.name), last.mark.offset, last.name);
}

function entryJson(code: string, codedesc: string, m: LoadMessage, contents: ReadonlyMap<string, string>): JsonEntry {
  return {
    context: {
      locations: m.context.locations.map((l) => ({
        item_type: l.itemType,
        item_name: l.itemName,
        position: { name: l.name, line: l.mark.line, column: l.mark.column, offset: l.mark.offset },
      })),
      snippet: contextSnippet(m.context, contents),
    },
    code,
    codedesc,
    message: m.message,
  };
}

/** One element of `falco_load_results`. `contents` maps file names to their text, for snippets. */
export function resultToJson(res: LoadResult, contents: ReadonlyMap<string, string>): JsonLoadResult {
  return {
    name: res.name,
    successful: res.successful,
    errors: res.errors.map((e) => entryJson(e.code, ERROR_DESCS[e.code], e, contents)),
    warnings: res.warnings.map((w) => {
      const j = entryJson(w.code, WARNING_DESCS[w.code], w, contents);
      if (w.deprecatedField !== undefined) j.deprecated_field = w.deprecatedField;
      return j;
    }),
  };
}
