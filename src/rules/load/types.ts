/** The items a rules file defines, as collected before compilation (Falco's *_info structs). */
import type { Context } from './result.js';
import type { ScalarNode } from './yaml.js';
import type { Priority } from './priority.js';
import type { Semver } from './version.js';

/** Where a piece of condition/output text came from, so errors can point into the file. */
export interface TextSegment {
  /** Offset of this piece in the assembled text. */
  at: number;
  file: string;
  node: ScalarNode;
}

export interface ListInfo {
  name: string;
  items: string[];
  ctx: Context;
  /** Load order of its first definition; a list may only use lists with a smaller index. */
  index: number;
  /** Load order of its latest definition/append. */
  visibility: number;
}

export interface MacroInfo {
  name: string;
  cond: string;
  ctx: Context;
  condCtx: Context;
  condSegments: TextSegment[];
  index: number;
  visibility: number;
}

/**
 * An exception's fields, comps or a value: a single string or a list (of strings or, for values,
 * of nested lists). `isList` with no items, or a single empty string, is "not given".
 */
export interface ExceptionEntry {
  isList: boolean;
  item: string;
  items: ExceptionEntry[];
}

export function entryIsValid(e: ExceptionEntry): boolean {
  return e.isList ? e.items.length > 0 : e.item.length > 0;
}

export function emptyEntry(): ExceptionEntry {
  return { isList: false, item: '', items: [] };
}

export interface ExceptionInfo {
  name: string;
  fields: ExceptionEntry;
  comps: ExceptionEntry;
  values: ExceptionEntry[];
  ctx: Context;
}

export interface RuleInfo {
  name: string;
  cond: string;
  condCtx: Context;
  condSegments: TextSegment[];
  output: string;
  outputCtx: Context;
  desc: string;
  priority: Priority;
  source: string;
  /** Sorted and unique, like Falco's std::set. */
  tags: string[];
  enabled: boolean;
  capture: boolean;
  captureDuration: number;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  exceptions: ExceptionInfo[];
  unknownSource: boolean;
  ctx: Context;
  index: number;
  visibility: number;
}

/** An append or selective replace of an existing rule: only the given properties are set. */
export interface RuleUpdateInfo {
  name: string;
  ctx: Context;
  source: string;
  cond?: string;
  condSegments?: TextSegment[];
  output?: string;
  desc?: string;
  tags?: string[];
  exceptions?: ExceptionInfo[];
  priority?: Priority;
  capture?: boolean;
  captureDuration?: number;
  enabled?: boolean;
  warnEvttypes?: boolean;
  skipIfUnknownFilter?: boolean;
}

export interface EngineVersionInfo {
  version: Semver;
  ctx: Context;
}

export interface PluginRequirement {
  name: string;
  version: string;
}

/** One `required_plugin_versions` entry: a plugin and its accepted alternatives. */
export interface PluginVersionInfo {
  alternatives: PluginRequirement[];
  ctx: Context;
}

/** A named, ordered table: later definitions replace earlier ones in place (Falco's indexed_vector). */
export interface Indexed<T extends { name: string }> {
  list: T[];
  byName: Map<string, T>;
}

export function newIndexed<T extends { name: string }>(): Indexed<T> {
  return { list: [], byName: new Map() };
}
