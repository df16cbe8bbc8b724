/**
 * Collects the items of all loaded files in order (Falco's rule_loader::collector): defines,
 * appends to and replaces lists, macros and rules, and checks exceptions against the rule's
 * source. Errors here are LOAD_ERR_VALIDATE.
 */
import { fail, addWarning, type Context, type LoadResult } from './result.js';
import type {
  EngineVersionInfo,
  Indexed,
  ListInfo,
  MacroInfo,
  PluginVersionInfo,
  RuleInfo,
  RuleUpdateInfo,
} from './types.js';
import { entryIsValid, newIndexed } from './types.js';
import { ENGINE_VERSION, compareSemver, formatSemver, isCompatible, parseSemver, type Semver } from './version.js';
import { validateException } from './exceptions.js';
import type { FieldValidator } from './exceptions.js';

export const ERROR_NO_PREVIOUS_MACRO =
  "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
export const ERROR_NO_PREVIOUS_LIST =
  "List uses 'append' or 'override.items: append' but no list by that name already exists";
export const ERROR_NO_PREVIOUS_RULE_APPEND =
  "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
export const ERROR_NO_PREVIOUS_RULE_REPLACE =
  "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";

export interface Collector {
  lists: Indexed<ListInfo>;
  macros: Indexed<MacroInfo>;
  rules: Indexed<RuleInfo>;
  requiredEngineVersion: EngineVersionInfo | undefined;
  requiredPluginVersions: PluginVersionInfo[];
  /** Next load-order id. */
  nextIndex: number;
}

export function newCollector(): Collector {
  return {
    lists: newIndexed(),
    macros: newIndexed(),
    rules: newIndexed(),
    requiredEngineVersion: undefined,
    requiredPluginVersions: [],
    nextIndex: 0,
  };
}

/** What the collector needs to know about the engine: which sources exist, with their fields. */
export interface CollectEnv {
  /** Known sources, each with its check of exception fields. */
  sources: ReadonlyMap<string, { isValidField: FieldValidator }>;
  result: LoadResult;
}

function defineInfo<T extends { name: string; index: number; visibility: number }>(table: Indexed<T>, info: T, id: number): void {
  const prev = table.byName.get(info.name);
  if (prev) {
    info.index = prev.index;
    info.visibility = id;
    table.list[table.list.indexOf(prev)] = info;
    table.byName.set(info.name, info);
  } else {
    info.index = id;
    info.visibility = id;
    table.list.push(info);
    table.byName.set(info.name, info);
  }
}

export function defineEngineVersion(col: Collector, version: Semver, ctx: Context): void {
  if (!isCompatible(ENGINE_VERSION, version)) {
    fail(
      'LOAD_ERR_VALIDATE',
      `Rules require engine version ${formatSemver(version)}, but engine version is ${formatSemver(ENGINE_VERSION)}`,
      ctx,
    );
  }
  if (!col.requiredEngineVersion || compareSemver(col.requiredEngineVersion.version, version) < 0) {
    col.requiredEngineVersion = { version, ctx };
  }
}

export function definePluginVersions(col: Collector, info: PluginVersionInfo): void {
  const names = new Set<string>();
  for (const req of info.alternatives) {
    if (!parseSemver(req.version)) {
      fail('LOAD_ERR_VALIDATE', `Invalid required version '${req.version}' for plugin '${req.name}'`, info.ctx);
    }
    if (names.has(req.name)) {
      fail('LOAD_ERR_VALIDATE', `Defined multiple alternative version requirements for plugin '${req.name}'`, info.ctx);
    }
    names.add(req.name);
  }
  col.requiredPluginVersions.push(info);
}

export function defineList(col: Collector, info: ListInfo): void {
  defineInfo(col.lists, info, col.nextIndex++);
}

export function appendList(col: Collector, info: ListInfo): void {
  const prev = col.lists.byName.get(info.name);
  if (!prev) fail('LOAD_ERR_VALIDATE', ERROR_NO_PREVIOUS_LIST, info.ctx);
  for (const item of info.items) prev.items.push(item);
  prev.visibility = col.nextIndex++;
}

export function defineMacro(col: Collector, info: MacroInfo): void {
  defineInfo(col.macros, info, col.nextIndex++);
}

export function appendMacro(col: Collector, info: MacroInfo): void {
  const prev = col.macros.byName.get(info.name);
  if (!prev) fail('LOAD_ERR_VALIDATE', ERROR_NO_PREVIOUS_MACRO, info.ctx);
  prev.cond += ' ';
  for (const s of info.condSegments) prev.condSegments.push({ ...s, at: s.at + prev.cond.length });
  prev.cond += info.cond;
  prev.visibility = col.nextIndex++;
}

function findPrevRule(col: Collector, name: string, source: string, ctx: Context): RuleInfo | undefined {
  const prev = col.rules.byName.get(name);
  if (prev && prev.source !== '' && source !== '' && prev.source !== source) {
    fail('LOAD_ERR_VALIDATE', 'Rule has been re-defined with a different source', ctx);
  }
  return prev;
}

export function defineRule(col: Collector, env: CollectEnv, info: RuleInfo): void {
  findPrevRule(col, info.name, info.source, info.ctx);
  const source = env.sources.get(info.source);
  if (!source) {
    info.unknownSource = true;
    addWarning(env.result, 'LOAD_UNKNOWN_SOURCE', `Unknown source ${info.source}, skipping`, info.ctx);
  }
  for (const ex of info.exceptions) {
    if (!entryIsValid(ex.fields)) {
      fail('LOAD_ERR_VALIDATE', 'Rule exception item must have fields property with a list of fields', ex.ctx);
    }
    validateException(source?.isValidField, ex);
  }
  defineInfo(col.rules, info, col.nextIndex++);
}

function hasAnyValue(u: RuleUpdateInfo): boolean {
  return (
    u.cond !== undefined ||
    u.output !== undefined ||
    u.desc !== undefined ||
    u.tags !== undefined ||
    u.exceptions !== undefined ||
    u.priority !== undefined ||
    u.enabled !== undefined ||
    u.capture !== undefined ||
    u.captureDuration !== undefined ||
    u.warnEvttypes !== undefined ||
    u.skipIfUnknownFilter !== undefined
  );
}

function sourceValidator(env: CollectEnv, prev: RuleInfo, ctx: Context): FieldValidator | undefined {
  if (prev.unknownSource) return undefined;
  const s = env.sources.get(prev.source);
  if (!s) fail('LOAD_ERR_VALIDATE', `Unknown source ${prev.source}`, ctx);
  return s.isValidField;
}

function mergeTags(into: string[], more: readonly string[]): string[] {
  return [...new Set([...into, ...more])].sort();
}

export function appendRule(col: Collector, env: CollectEnv, info: RuleUpdateInfo): void {
  const prev = findPrevRule(col, info.name, info.source, info.ctx);
  if (!prev) fail('LOAD_ERR_VALIDATE', ERROR_NO_PREVIOUS_RULE_APPEND, info.ctx);
  if (!hasAnyValue(info)) fail('LOAD_ERR_VALIDATE', 'Appended rule must have exceptions or condition property', info.ctx);
  const isValidField = sourceValidator(env, prev, info.ctx);

  if (info.cond !== undefined && info.cond !== '') {
    prev.cond += ' ';
    for (const s of info.condSegments ?? []) prev.condSegments.push({ ...s, at: s.at + prev.cond.length });
    prev.cond += info.cond;
  }
  if (info.output !== undefined && info.output !== '') prev.output += ' ' + info.output;
  if (info.desc !== undefined && info.desc !== '') prev.desc += ' ' + info.desc;
  if (info.tags !== undefined) prev.tags = mergeTags(prev.tags, info.tags);
  for (const ex of info.exceptions ?? []) {
    const prevEx = prev.exceptions.find((e) => e.name === ex.name);
    if (!prevEx) {
      if (!entryIsValid(ex.fields)) {
        fail('LOAD_ERR_VALIDATE', 'Rule exception must have fields property with a list of fields', ex.ctx);
      }
      if (ex.values.length === 0) {
        fail('LOAD_ERR_VALIDATE', 'Rule exception must have values property with a list of values', ex.ctx);
      }
      validateException(isValidField, ex);
      prev.exceptions.push(ex);
    } else {
      if (entryIsValid(ex.fields)) {
        fail('LOAD_ERR_VALIDATE', 'Can not append exception fields to existing exception, only values', ex.ctx);
      }
      if (entryIsValid(ex.comps)) {
        fail('LOAD_ERR_VALIDATE', 'Can not append exception comps to existing exception, only values', ex.ctx);
      }
      for (const v of ex.values) prevEx.values.push(v);
    }
  }
  prev.visibility = col.nextIndex++;
}

export function replaceRule(col: Collector, env: CollectEnv, info: RuleUpdateInfo): void {
  const prev = findPrevRule(col, info.name, info.source, info.ctx);
  if (!prev) fail('LOAD_ERR_VALIDATE', ERROR_NO_PREVIOUS_RULE_REPLACE, info.ctx);
  if (!hasAnyValue(info)) fail('LOAD_ERR_VALIDATE', 'The rule must have at least one field that can be replaced', info.ctx);
  const isValidField = sourceValidator(env, prev, info.ctx);
  // Falco does not re-check replaced exceptions; we do, so that their default comps are set.
  for (const ex of info.exceptions ?? []) {
    if (!entryIsValid(ex.fields)) {
      fail('LOAD_ERR_VALIDATE', 'Rule exception item must have fields property with a list of fields', ex.ctx);
    }
    validateException(isValidField, ex);
  }

  if (info.cond !== undefined) {
    prev.cond = info.cond;
    prev.condSegments = info.condSegments ?? [];
  }
  if (info.output !== undefined) prev.output = info.output;
  if (info.desc !== undefined) prev.desc = info.desc;
  if (info.tags !== undefined) prev.tags = [...info.tags];
  if (info.exceptions !== undefined) prev.exceptions = info.exceptions;
  if (info.priority !== undefined) prev.priority = info.priority;
  if (info.capture !== undefined) prev.capture = info.capture;
  if (info.captureDuration !== undefined) prev.captureDuration = info.captureDuration;
  if (info.enabled !== undefined) prev.enabled = info.enabled;
  if (info.warnEvttypes !== undefined) prev.warnEvttypes = info.warnEvttypes;
  if (info.skipIfUnknownFilter !== undefined) prev.skipIfUnknownFilter = info.skipIfUnknownFilter;
  prev.visibility = col.nextIndex++;
}

/** The deprecated standalone `enabled:` item: switches an existing rule on or off. */
export function enableRule(col: Collector, name: string, enabled: boolean, ctx: Context): void {
  const prev = col.rules.byName.get(name);
  if (!prev) fail('LOAD_ERR_VALIDATE', "Rule has 'enabled' key but no rule by that name already exists", ctx);
  prev.enabled = enabled;
}
