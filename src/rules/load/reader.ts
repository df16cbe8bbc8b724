/**
 * Reads the items of one rules file into the collector (Falco's rule_loader::reader): decodes
 * every property with yaml-cpp's rules, reports structure problems as LOAD_ERR_YAML_VALIDATE,
 * and emits Falco's warnings (deprecated `append`, unknown keys, invalid names, ...).
 * Reading stops at the first error of a file, as in Falco.
 */
import {
  addError,
  addWarning,
  childContext,
  fail,
  fileContext,
  RuleLoadError,
  type Context,
  type ItemType,
  type LoadResult,
} from './result.js';
import { decodeBool, decodeUint, get, keyText, parseYaml, type MapNode, type YNode } from './yaml.js';
import { parsePriority } from './priority.js';
import { implicitEngineVersion, parseSemver } from './version.js';
import {
  appendList,
  appendMacro,
  appendRule,
  defineEngineVersion,
  defineList,
  defineMacro,
  definePluginVersions,
  defineRule,
  enableRule,
  replaceRule,
  type CollectEnv,
  type Collector,
} from './collector.js';
import type { ExceptionEntry, ExceptionInfo, RuleInfo, RuleUpdateInfo, TextSegment } from './types.js';
import { emptyEntry } from './types.js';

export const WARNING_APPEND =
  "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
export const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
export const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

// Falco's words for an identifier, quoted in its message; IDENTIFIER below is the same language
// written so that it cannot backtrack on a long near-miss.
const RGX_IDENTIFIER = '([a-zA-Z]+[a-zA-Z0-9_]*)';
const RGX_BARESTR = '([^()"\'[:space:]=,]+)';
const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const BARESTR = /^[^()"'\s=,]+$/;

export const SYSCALL_SOURCE = 'syscall';

function invalid(message: string, ctx: Context): never {
  fail('LOAD_ERR_YAML_VALIDATE', message, ctx);
}

/** yaml-cpp's `as<std::string>()`: a scalar's text, `null` for null, a conversion error otherwise. */
function asString(node: YNode, ctx: Context): string {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'null') return 'null';
  // yaml-cpp throws TypedBadConversion, which Falco reports as a generic validation error.
  const m = node.mark;
  fail('LOAD_ERR_VALIDATE', `yaml-cpp: error at line ${m.line + 1}, column ${m.column + 1}: bad conversion`, ctx);
}

type Decoder<T> = (text: string) => T | undefined;
const asText: Decoder<string> = (t) => t;
const asBool: Decoder<boolean> = decodeBool;
const asUint: Decoder<number> = (t) => decodeUint(t);
const asUint64: Decoder<number> = (t) => decodeUint(t, Number.MAX_SAFE_INTEGER);

/**
 * Falco's decode_val family: `optional` lets the key be missing, `canBeEmpty` lets it be null
 * or an empty string (then undefined is returned).
 */
function decodeVal<T>(
  item: YNode,
  key: string,
  decode: Decoder<T>,
  ctx: Context,
  optional = false,
  canBeEmpty = false,
): T | undefined {
  const val = get(item, key);
  if (val === undefined) {
    if (optional) return undefined;
    invalid(`Item has no mapping for key '${key}'`, ctx);
  }
  if (val.kind === 'null') {
    if (canBeEmpty) return undefined;
    invalid(`Mapping for key '${key}' is empty`, ctx);
  }
  const valCtx = childContext(ctx, val.mark, 'value for', key);
  if (val.kind !== 'scalar') invalid('Value is not a scalar value', valCtx);
  if (val.value === '') {
    if (canBeEmpty) return undefined;
    invalid('Value must be non-empty', valCtx);
  }
  const out = decode(val.value);
  if (out === undefined) invalid("Can't decode YAML scalar value", valCtx);
  return out;
}

function required<T>(item: YNode, key: string, decode: Decoder<T>, ctx: Context): T {
  return decodeVal(item, key, decode, ctx) as T;
}

/** `items:` and `tags:` — a sequence of scalars. */
function decodeSeq(item: YNode, key: string, ctx: Context, optional: boolean): string[] | undefined {
  const val = get(item, key);
  if (val === undefined) {
    if (optional) return undefined;
    invalid(`Item has no mapping for key '${key}'`, ctx);
  }
  const valCtx = childContext(ctx, val.mark, 'value for', key);
  if (val.kind !== 'seq') invalid('Value is not a sequence', valCtx);
  const out: string[] = [];
  for (const v of val.items) {
    if (v.kind !== 'scalar') invalid('sequence value is not scalar', childContext(valCtx, v.mark, 'list item'));
    out.push(v.value);
  }
  return out;
}

function decodeTags(item: YNode, ctx: Context): string[] | undefined {
  const tags = decodeSeq(item, 'tags', ctx, true);
  return tags === undefined ? undefined : [...new Set(tags)].sort();
}

function decodeOverrides(
  item: MapNode,
  appendable: ReadonlySet<string>,
  replaceable: ReadonlySet<string>,
  ctx: Context,
): { append: Set<string>; replace: Set<string> } {
  const out = { append: new Set<string>(), replace: new Set<string>() };
  const val = get(item, 'override');
  if (val === undefined) return out;
  const overrideCtx = childContext(ctx, item.mark, 'overrides');
  if (val.kind === 'seq' && val.items.length > 0) {
    fail('LOAD_ERR_VALIDATE', 'invalid node; this may result from using a map iterator as a sequence iterator, or vice-versa', ctx);
  }
  if (val.kind !== 'map') return out;
  for (const { key: k, value: v } of val.entries) {
    const key = asString(k, ctx);
    const operation = asString(v, ctx);
    if (operation === 'append') {
      if (!appendable.has(key)) {
        invalid(`Key '${key}' cannot be appended to, use 'replace' instead`, childContext(overrideCtx, k.mark, 'overrides', key));
      }
      out.append.add(key);
    } else if (operation === 'replace') {
      if (!replaceable.has(key)) invalid(`Key '${key}' cannot be replaced`, childContext(overrideCtx, k.mark, 'overrides', key));
      out.replace.add(key);
    } else {
      let msg = `Invalid override operation for key '${key}': '${operation}'. Allowed values are: `;
      if (appendable.has(key)) msg += 'append ';
      if (replaceable.has(key)) msg += 'replace ';
      invalid(msg, childContext(overrideCtx, v.mark, 'value for', key));
    }
  }
  return out;
}

function decodeExceptionEntry(
  node: YNode | undefined,
  key: string | undefined,
  ctx: Context,
  optional: boolean,
  depth = 0,
): ExceptionEntry {
  const out = emptyEntry();
  if (node === undefined) {
    if (optional) return out;
    invalid(`Item has no mapping for key '${key ?? ''}'`, ctx);
  }
  const valCtx = childContext(ctx, node.mark, 'value for', key ?? '');
  if (node.kind === 'scalar') {
    if (node.value === '') invalid('Value must be non-empty', valCtx);
    out.item = node.value;
  } else if (node.kind === 'seq') {
    out.isList = true;
    for (const v of node.items) {
      out.items.push(decodeExceptionEntry(v, undefined, childContext(valCtx, v.mark, 'exception'), false, depth + 1));
    }
  }
  return out;
}

function readExceptions(res: LoadResult, item: YNode, parent: Context, append: boolean): ExceptionInfo[] | undefined {
  const exs = get(item, 'exceptions');
  if (exs === undefined) return undefined;
  const out: ExceptionInfo[] = [];
  if (exs.kind === 'null') return out;
  const exesCtx = childContext(parent, exs.mark, 'exceptions');
  if (exs.kind !== 'seq') invalid('Rule exceptions must be a sequence', exesCtx);
  for (const ex of exs.items) {
    const tmp = childContext(exesCtx, ex.mark, 'exception');
    if (ex.kind !== 'map') invalid('Rule exception must be a mapping', tmp);
    const name = required(ex, 'name', asText, tmp);
    const exCtx = childContext(parent, ex.mark, 'exception', name);
    if (out.some((e) => e.name === name)) {
      addWarning(res, 'LOAD_EXCEPTION_NAME_NOT_UNIQUE', `Multiple definitions of exception '${name}' in the same rule`, exCtx);
    }
    const info: ExceptionInfo = {
      name,
      fields: decodeExceptionEntry(get(ex, 'fields'), 'fields', exCtx, append),
      comps: decodeExceptionEntry(get(ex, 'comps'), 'comps', exCtx, true),
      values: [],
      ctx: exCtx,
    };
    const vals = get(ex, 'values');
    if (vals !== undefined) {
      const valsCtx = childContext(exCtx, vals.mark, 'exception values');
      if (vals.kind !== 'seq') invalid('Rule exception values must be a sequence', valsCtx);
      for (const v of vals.items) {
        info.values.push(decodeExceptionEntry(v, undefined, childContext(valsCtx, v.mark, 'exception value'), false));
      }
    } else if (append) {
      addWarning(res, 'LOAD_APPEND_NO_VALUES', 'Overriding/appending exception with no values', exCtx);
    }
    out.push(info);
  }
  return out;
}

function warnUnknownKeys(res: LoadResult, item: MapNode, expected: ReadonlySet<string>, ctx: Context): void {
  for (const { key } of item.entries) {
    const k = asString(key, ctx);
    if (!expected.has(k)) addWarning(res, 'LOAD_UNKNOWN_KEY', `Unknown key '${k}'. The key will be ignored.`, ctx);
  }
}

function segmentsOf(item: YNode, key: string, file: string): TextSegment[] {
  const node = get(item, key);
  return node && node.kind === 'scalar' ? [{ at: 0, file, node }] : [];
}

/** Falco's trim(): strips leading and trailing whitespace. */
function trim(s: string): string {
  return s.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');
}

const LIST_KEYS = new Set(['list', 'items', 'append', 'override']);
const MACRO_KEYS = new Set(['macro', 'condition', 'append', 'override']);
const RULE_KEYS = new Set([
  'rule', 'condition', 'output', 'desc', 'priority', 'source', 'enabled', 'capture', 'capture_duration',
  'warn_evttypes', 'skip-if-unknown-filter', 'tags', 'exceptions', 'override', 'append',
]);
const RULE_APPENDABLE = new Set(['condition', 'output', 'desc', 'tags', 'exceptions']);
const RULE_REPLACEABLE = new Set([
  'condition', 'output', 'desc', 'priority', 'capture', 'capture_duration', 'tags', 'exceptions', 'enabled',
  'warn_evttypes', 'skip-if-unknown-filter',
]);

interface ReadEnv extends CollectEnv {
  col: Collector;
  file: string;
}

function readRequiredEngineVersion(env: ReadEnv, item: MapNode, parent: Context): void {
  const ctx = childContext(parent, item.mark, 'required_engine_version');
  let version;
  let minor: number | undefined;
  try {
    minor = required(item, 'required_engine_version', asUint, ctx);
  } catch (e) {
    if (!(e instanceof RuleLoadError)) throw e;
  }
  if (minor !== undefined) {
    version = implicitEngineVersion(minor);
  } else {
    const text = required(item, 'required_engine_version', asText, ctx);
    version = parseSemver(text);
    if (!version) {
      invalid(`Unable to parse engine version '${text}' as a semver string. Expected "x.y.z" semver format.`, ctx);
    }
  }
  defineEngineVersion(env.col, version, ctx);
  warnUnknownKeys(env.result, item, new Set(['required_engine_version']), ctx);
}

function readRequiredPluginVersions(env: ReadEnv, item: MapNode, parent: Context): void {
  const reqs = get(item, 'required_plugin_versions')!;
  const ctx = childContext(parent, reqs.mark, 'required plugin versions');
  if (reqs.kind !== 'seq') invalid('Value of required_plugin_versions must be a sequence', ctx);
  for (const plugin of reqs.items) {
    const tmp = childContext(ctx, plugin.mark, 'required plugin versions entry');
    if (plugin.kind !== 'map') invalid('Plugin version must be a mapping', tmp);
    const name = required(plugin, 'name', asText, tmp);
    const pctx = childContext(ctx, plugin.mark, 'required plugin versions entry', name);
    const version = required(plugin, 'version', asText, pctx);
    const alternatives = [{ name, version }];
    const alts = get(plugin, 'alternatives');
    if (alts !== undefined) {
      if (alts.kind !== 'seq') invalid('Value of plugin version alternatives must be a sequence', pctx);
      for (const req of alts.items) {
        const atmp = childContext(pctx, req.mark, 'required plugin versions alternative');
        if (req.kind !== 'map') invalid('Plugin version alternative must be a mapping', atmp);
        const aname = required(req, 'name', asText, atmp);
        const actx = childContext(pctx, req.mark, 'required plugin versions alternative', aname);
        alternatives.push({ name: aname, version: required(req, 'version', asText, actx) });
      }
    }
    definePluginVersions(env.col, { alternatives, ctx: pctx });
  }
  warnUnknownKeys(env.result, item, new Set(['required_plugin_versions']), childContext(parent, item.mark, 'required plugin versions'));
}

function readList(env: ReadEnv, item: MapNode, parent: Context): void {
  const name = required(item, 'list', asText, childContext(parent, item.mark, 'list'));
  const ctx = childContext(parent, item.mark, 'list', name);
  if (!BARESTR.test(name)) {
    addWarning(env.result, 'LOAD_INVALID_LIST_NAME', `List has an invalid name. List names should match a regular expression: ${RGX_BARESTR}`, ctx);
  }
  const items = decodeSeq(item, 'items', ctx, false)!;
  let append = decodeVal(item, 'append', asBool, ctx, true) ?? false;
  if (append) addWarning(env.result, 'LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx);
  const overrides = decodeOverrides(item, new Set(['items']), new Set(['items']), ctx);
  if (append && (overrides.append.size || overrides.replace.size)) invalid(ERROR_OVERRIDE_APPEND, ctx);
  append ||= overrides.append.has('items');
  const info = { name, items, ctx, index: 0, visibility: 0 };
  if (append) appendList(env.col, info);
  else defineList(env.col, info);
  warnUnknownKeys(env.result, item, LIST_KEYS, ctx);
}

function readMacro(env: ReadEnv, item: MapNode, parent: Context): void {
  const name = required(item, 'macro', asText, childContext(parent, item.mark, 'macro'));
  const ctx = childContext(parent, item.mark, 'macro', name);
  if (!IDENTIFIER.test(name)) {
    addWarning(env.result, 'LOAD_INVALID_MACRO_NAME', `Macro has an invalid name. Macro names should match a regular expression: ${RGX_IDENTIFIER}`, ctx);
  }
  const cond = required(item, 'condition', asText, ctx);
  const condCtx = childContext(ctx, get(item, 'condition')!.mark, 'macro condition');
  let append = decodeVal(item, 'append', asBool, ctx, true) ?? false;
  if (append) addWarning(env.result, 'LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx);
  const overrides = decodeOverrides(item, new Set(['condition']), new Set(['condition']), ctx);
  if (append && (overrides.append.size || overrides.replace.size)) invalid(ERROR_OVERRIDE_APPEND, ctx);
  append ||= overrides.append.has('condition');
  const info = { name, cond, ctx, condCtx, condSegments: segmentsOf(item, 'condition', env.file), index: 0, visibility: 0 };
  if (append) appendMacro(env.col, info);
  else defineMacro(env.col, info);
  warnUnknownKeys(env.result, item, MACRO_KEYS, ctx);
}

function readRuleOverrides(
  env: ReadEnv,
  item: MapNode,
  ctx: Context,
  name: string,
  source: string,
  overrides: { append: Set<string>; replace: Set<string> },
): void {
  const expected = new Set<string>();
  for (const key of [...RULE_APPENDABLE, ...RULE_REPLACEABLE]) if (get(item, key) !== undefined) expected.add(key);
  const wants = (set: Set<string>, kind: string, key: string): boolean => {
    if (!set.has(key)) return false;
    if (!expected.has(key)) invalid(`An ${kind} override for '${key}' was specified but '${key}' is not defined`, ctx);
    expected.delete(key);
    return true;
  };
  const update = (set: Set<string>, kind: 'append' | 'replace'): RuleUpdateInfo => {
    const u: RuleUpdateInfo = { name, ctx, source: '' };
    if (wants(set, kind, 'condition')) {
      u.source = source;
      u.cond = required(item, 'condition', asText, ctx);
      u.condSegments = segmentsOf(item, 'condition', env.file);
    }
    if (wants(set, kind, 'exceptions')) u.exceptions = readExceptions(env.result, item, ctx, kind === 'append') ?? [];
    if (wants(set, kind, 'output')) u.output = required(item, 'output', asText, ctx);
    if (wants(set, kind, 'desc')) u.desc = required(item, 'desc', asText, ctx);
    if (wants(set, kind, 'tags')) u.tags = decodeTags(item, ctx) ?? [];
    if (kind === 'replace') {
      if (wants(set, kind, 'priority')) {
        const text = required(item, 'priority', asText, ctx);
        const p = parsePriority(text);
        if (p === undefined) invalid('Invalid priority', childContext(ctx, get(item, 'priority')!.mark, 'rule priority'));
        u.priority = p;
      }
      if (wants(set, kind, 'capture')) u.capture = required(item, 'capture', asBool, ctx);
      if (wants(set, kind, 'capture_duration')) u.captureDuration = required(item, 'capture_duration', asUint64, ctx);
      if (wants(set, kind, 'enabled')) u.enabled = required(item, 'enabled', asBool, ctx);
      if (wants(set, kind, 'warn_evttypes')) u.warnEvttypes = required(item, 'warn_evttypes', asBool, ctx);
      if (wants(set, kind, 'skip-if-unknown-filter')) {
        u.skipIfUnknownFilter = required(item, 'skip-if-unknown-filter', asBool, ctx);
      }
    }
    return u;
  };
  if (overrides.append.size) appendRule(env.col, env, update(overrides.append, 'append'));
  if (overrides.replace.size) replaceRule(env.col, env, update(overrides.replace, 'replace'));
  const left = [...expected].sort()[0];
  if (left !== undefined) {
    invalid(
      `Unexpected key '${left}': no corresponding entry under 'override' is defined.`,
      childContext(ctx, get(item, left)!.mark, 'overrides', left),
    );
  }
}

function readRule(env: ReadEnv, item: MapNode, parent: Context): void {
  const name = required(item, 'rule', asText, childContext(parent, item.mark, 'rule'));
  const ctx = childContext(parent, item.mark, 'rule', name);
  const source = decodeVal(item, 'source', asText, ctx, true, true) ?? '';
  const hasAppend = decodeVal(item, 'append', asBool, ctx, true) ?? false;
  if (hasAppend) addWarning(env.result, 'LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx);
  const overrides = decodeOverrides(item, RULE_APPENDABLE, RULE_REPLACEABLE, ctx);
  const hasOverrides = overrides.append.size > 0 || overrides.replace.size > 0;
  if (hasAppend && hasOverrides) invalid(ERROR_OVERRIDE_APPEND, ctx);

  if (hasOverrides) {
    readRuleOverrides(env, item, ctx, name, source, overrides);
  } else if (hasAppend) {
    const u: RuleUpdateInfo = { name, ctx, source };
    if (get(item, 'condition') !== undefined) {
      u.cond = required(item, 'condition', asText, ctx);
      u.condSegments = segmentsOf(item, 'condition', env.file);
    }
    if (get(item, 'exceptions') !== undefined) u.exceptions = readExceptions(env.result, item, ctx, true) ?? [];
    appendRule(env.col, env, u);
  } else if (
    get(item, 'condition') === undefined &&
    get(item, 'output') === undefined &&
    get(item, 'desc') === undefined &&
    get(item, 'priority') === undefined
  ) {
    const enabled = required(item, 'enabled', asBool, ctx);
    addWarning(env.result, 'LOAD_DEPRECATED_ITEM', WARNING_ENABLED, ctx);
    enableRule(env.col, name, enabled, ctx);
  } else {
    const cond = required(item, 'condition', asText, ctx);
    const condCtx = childContext(ctx, get(item, 'condition')!.mark, 'rule condition');
    const output = required(item, 'output', asText, ctx);
    const outputCtx = childContext(ctx, get(item, 'output')!.mark, 'rule output');
    const desc = required(item, 'desc', asText, ctx);
    const priorityText = required(item, 'priority', asText, ctx);
    const priority = parsePriority(priorityText);
    if (priority === undefined) invalid('Invalid priority', childContext(ctx, get(item, 'priority')!.mark, 'rule priority'));
    const info: RuleInfo = {
      name,
      cond,
      condCtx,
      condSegments: segmentsOf(item, 'condition', env.file),
      output: trim(output),
      outputCtx,
      desc,
      priority,
      source: decodeVal(item, 'source', asText, ctx, true) ?? SYSCALL_SOURCE,
      enabled: decodeVal(item, 'enabled', asBool, ctx, true) ?? true,
      capture: decodeVal(item, 'capture', asBool, ctx, true) ?? false,
      captureDuration: decodeVal(item, 'capture_duration', asUint64, ctx, true) ?? 0,
      warnEvttypes: decodeVal(item, 'warn_evttypes', asBool, ctx, true) ?? true,
      skipIfUnknownFilter: decodeVal(item, 'skip-if-unknown-filter', asBool, ctx, true) ?? false,
      tags: decodeTags(item, ctx) ?? [],
      exceptions: readExceptions(env.result, item, ctx, false) ?? [],
      unknownSource: false,
      ctx,
      index: 0,
      visibility: 0,
    };
    defineRule(env.col, env, info);
  }
  warnUnknownKeys(env.result, item, RULE_KEYS, ctx);
}

function readItem(env: ReadEnv, item: YNode, parent: Context): void {
  if (item.kind !== 'map') {
    invalid('Unexpected element type. Each element should be a yaml associative array.', childContext(parent, item.mark, 'rules content item'));
  }
  if (get(item, 'required_engine_version') !== undefined) readRequiredEngineVersion(env, item, parent);
  else if (get(item, 'required_plugin_versions') !== undefined) readRequiredPluginVersions(env, item, parent);
  else if (get(item, 'list') !== undefined) readList(env, item, parent);
  else if (get(item, 'macro') !== undefined) readMacro(env, item, parent);
  else if (get(item, 'rule') !== undefined) readRule(env, item, parent);
  else addWarning(env.result, 'LOAD_UNKNOWN_ITEM', 'Unknown top level item', childContext(parent, item.mark, 'rules content item'));
}

/**
 * Reads one file's text into the collector. Returns false when the file had an error (then it
 * must not be compiled); errors and warnings go to `env.result`.
 */
export function readRulesContent(col: Collector, env: CollectEnv, name: string, text: string): boolean {
  const ctx = fileContext(name);
  const parsed = parseYaml(text);
  if (!parsed.ok) {
    addError(env.result, 'LOAD_ERR_YAML_PARSE', parsed.error.message, childContext(ctx, parsed.error.mark, 'value for'));
    return false;
  }
  const renv: ReadEnv = { ...env, col, file: name };
  for (const doc of parsed.docs) {
    if (doc === undefined || doc.kind === 'null') continue;
    try {
      if (doc.kind !== 'map' && doc.kind !== 'seq') invalid('Rules content is not yaml', ctx);
      if (doc.kind !== 'seq') invalid('Rules content is not yaml array of objects', ctx);
      for (const item of doc.items) if (item.kind !== 'null') readItem(renv, item, ctx);
    } catch (e) {
      if (e instanceof RuleLoadError) {
        addError(env.result, e.code, e.message, e.context);
        return false;
      }
      throw e;
    }
  }
  return true;
}

export type { ItemType };
