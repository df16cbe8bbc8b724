/**
 * Compiles everything collected so far (Falco's rule_loader::compiler): expands lists, parses
 * and resolves every macro, then builds each rule's condition (with exceptions), resolves it,
 * checks it and its output against the source's field catalog, and derives its event types.
 * The first error stops compilation; afterwards unused macros and lists are reported.
 */
import {
  isConditionError,
  parseCondition,
  referencedNames,
  resolveCondition,
  forEachNode,
  type ConditionError,
  type Expr,
  type ResolveEnv,
} from '../condition/index.js';
import {
  addError,
  addWarning,
  conditionContext,
  fail,
  RuleLoadError,
  type Context,
  type ErrorCode,
  type LoadResult,
  type WarningCode,
} from './result.js';
import type { Collector } from './collector.js';
import type { MacroInfo, RuleInfo, TextSegment } from './types.js';
import { buildExceptionCondition } from './exceptions.js';
import { compileCondition, type CompiledCondition } from '../condition/index.js';
import { compileOutput, OutputError, type CompiledOutput } from '../output/index.js';
import { checkOutputFormat, checkRuleCondition, ruleEventTypes } from './checks.js';
import type { LoaderSource } from './sources.js';
import { MarkIndex, valueOffsetToSource } from './yaml.js';
import type { Mark } from './yaml.js';
import type { Priority } from './priority.js';

/** An `append_output` entry's extra text for matching rules' outputs. */
export interface ExtraOutputFormat {
  format: string;
  /** '' matches every source. */
  source: string;
  /** A rule matches when it has all of these tags. */
  tags: readonly string[];
  /** '' matches every rule. */
  rule: string;
}

/** An `append_output` extra field: a key added to JSON `output_fields` of matching rules. */
export interface ExtraOutputField extends ExtraOutputFormat {
  key: string;
  /** Raw fields are `%field` with the field's raw value (extra_fields entries given as a bare name). */
  raw: boolean;
}

export interface CompiledRule {
  /** Position in load order (of the rule's first definition). */
  id: number;
  name: string;
  source: string;
  desc: string;
  priority: Priority;
  tags: string[];
  /** The rule's own `enabled` flag; selection (config, -D/-t/-T) is applied separately. */
  enabled: boolean;
  capture: boolean;
  captureDuration: number;
  /** The full condition text, exceptions included, as Falco builds it. */
  condition: string;
  /** The condition's tree with macros and lists substituted. */
  expr: Expr;
  /** The output format with `append_output` extra text applied. */
  output: string;
  extraOutputFields: Record<string, { format: string; raw: boolean }>;
  exceptionFields: string[];
  /** Event types the condition can match (syscall source); empty set means "statically none". */
  eventTypes: Set<string> | undefined;
  /** The condition as one JavaScript function over an event cursor (when the source has a provider). */
  match?: CompiledCondition;
  /** The output formatter, and one per extra output field (when the source has a provider). */
  formatter?: CompiledOutput;
  extraFormatters?: Record<string, CompiledOutput>;
  info: RuleInfo;
}

export interface CompiledList {
  name: string;
  items: string[];
  used: boolean;
}

export interface CompiledMacro {
  name: string;
  expr: Expr;
  used: boolean;
}

export interface CompileOutput {
  lists: CompiledList[];
  macros: CompiledMacro[];
  rules: CompiledRule[];
}

/**
 * What one loader keeps between compilations. Falco compiles everything collected so far after
 * each file; parses are memoised by text (trees are immutable) and a rule whose inputs did not
 * change since the previous compilation is reused, with the warnings it produced then.
 */
export interface CompileCache {
  parsed: Map<string, Expr>;
  rules: Map<string, { key: string; rule: CompiledRule; warnings: LoadResult['warnings']; macros: string[]; lists: string[] }>;
  /** Interned dependency signatures; ids must mean the same thing across compilations. */
  versionIds: Map<string, number>;
}

export function newCompileCache(): CompileCache {
  return { parsed: new Map(), rules: new Map(), versionIds: new Map() };
}

export interface CompileEnv {
  sources: ReadonlyMap<string, LoaderSource>;
  result: LoadResult;
  /** File texts by name, for mapping condition positions back into files. */
  contents: ReadonlyMap<string, string>;
  extraOutputFormats: readonly ExtraOutputFormat[];
  extraOutputFields: readonly ExtraOutputField[];
  cache?: CompileCache;
}

function parseCached(cache: CompileCache | undefined, text: string): Expr {
  if (!cache) return parseCondition(text);
  let e = cache.parsed.get(text);
  if (!e) {
    e = parseCondition(text);
    cache.parsed.set(text, e);
  }
  return e;
}

/**
 * Versions of lists and macros within one compilation: a small interned number that changes
 * when the item or anything it depends on (lists it expands, macros and lists it uses) changes.
 */
class DepVersions {
  private readonly lists = new Map<string, number>();
  private readonly macros = new Map<string, number>();
  constructor(
    private readonly col: Collector,
    private readonly parsedMacros: ReadonlyMap<string, Expr>,
    private readonly ids: Map<string, number>,
  ) {}
  private intern(sig: string): number {
    let id = this.ids.get(sig);
    if (id === undefined) this.ids.set(sig, (id = this.ids.size));
    return id;
  }
  list(name: string): number {
    let v = this.lists.get(name);
    if (v !== undefined) return v;
    const l = this.col.lists.byName.get(name);
    if (!l) return -1;
    this.lists.set(name, -2); // cycle guard
    // Items naming other lists are expanded when conditions are resolved: they count too.
    const refs = l.items.filter((i) => this.col.lists.byName.has(i)).map((i) => `${i}=${this.list(i)}`);
    v = this.intern(`L${name}|${l.visibility}|${l.items.length}|${refs.join(',')}`);
    this.lists.set(name, v);
    return v;
  }
  macro(name: string): number {
    const known = this.macros.get(name);
    if (known !== undefined) return known;
    // Depth first without recursion (chains of thousands of macros): a macro's version is
    // computed once those of the macros it uses are; -2 marks one in progress (a cycle).
    const stack = [name];
    while (stack.length) {
      const n = stack[stack.length - 1]!;
      const m = this.col.macros.byName.get(n);
      const expr = this.parsedMacros.get(n);
      if (!m || !expr) {
        this.macros.set(n, -1);
        stack.pop();
        continue;
      }
      if (this.macros.get(n) === undefined) {
        this.macros.set(n, -2);
        const pending = [...referencedNames(expr).macros].filter((r) => !this.macros.has(r));
        if (pending.length) {
          stack.push(...pending);
          continue;
        }
      }
      stack.pop();
      if (this.macros.get(n) !== -2) continue;
      this.macros.set(n, this.intern(`M${n}|${m.visibility}|${this.names(expr)}`));
    }
    return this.macros.get(name)!;
  }
  /** The versions of everything an expression refers to directly. */
  names(expr: Expr): string {
    const refs = referencedNames(expr);
    const ms = [...refs.macros].sort().map((n) => `${n}=${this.macro(n)}`);
    const ls = [...refs.lists].filter((n) => this.col.lists.byName.has(n)).sort().map((n) => `${n}=${this.list(n)}`);
    return ms.join(',') + ';' + ls.join(',');
  }
}

const CONTAINER_INFO = '%container.info';
const DEPRECATED_OUTPUT_FIELDS = ['evt.dir', 'evt.latency', 'evt.latency.s', 'evt.latency.ns', 'evt.latency.human', 'evt.wait_latency'];

/** A harmless leaf standing in for a visible macro when only a macro's own references matter. */
const PLACEHOLDER: Expr = {
  kind: 'check',
  left: { kind: 'field', name: 'evt.num', pos: { offset: 0, line: 0, column: 0 } },
  op: 'exists',
  pos: { offset: 0, line: 0, column: 0 },
  opPos: { offset: 0, line: 0, column: 0 },
};

class FileMarks {
  private readonly cache = new Map<string, MarkIndex>();
  constructor(private readonly contents: ReadonlyMap<string, string>) {}
  /** The file position of offset `off` of a text assembled from `segments` (shifted by `shift`). */
  locate(segments: readonly TextSegment[], off: number, shift = 0): { name: string; mark: Mark } | undefined {
    const o = off - shift;
    let seg: TextSegment | undefined;
    for (const s of segments) if (s.at <= o) seg = s;
    if (!seg) return undefined;
    const text = this.contents.get(seg.file);
    if (text === undefined) return undefined;
    let idx = this.cache.get(seg.file);
    if (!idx) this.cache.set(seg.file, (idx = new MarkIndex(text)));
    return { name: seg.file, mark: idx.mark(valueOffsetToSource(text, seg.node, o - seg.at)) };
  }
}

function conditionFail(
  e: ConditionError,
  code: ErrorCode,
  text: string,
  parent: Context,
  where: { marks: FileMarks; segments: readonly TextSegment[]; shift?: number },
): never {
  const fileMark = where.marks.locate(where.segments, e.pos.offset, where.shift);
  throw new RuleLoadError(code, e.message, conditionContext(parent, text, e.pos, fileMark));
}

/** Falco's one-level list expansion: an item naming an earlier list is replaced by its items. */
function compileLists(col: Collector): CompiledList[] {
  const out: CompiledList[] = [];
  const usedNames: string[] = [];
  for (const list of col.lists.list) {
    const items: string[] = [];
    for (const item of list.items) {
      const ref = col.lists.byName.get(item);
      if (ref && ref.index < list.visibility) {
        usedNames.push(ref.name);
        for (const v of ref.items) items.push(v);
      } else items.push(item);
    }
    out.push({ name: list.name, items, used: false });
  }
  const byName = new Map(out.map((l) => [l.name, l]));
  for (const n of usedNames) byName.get(n)!.used = true;
  return out;
}

function listEnv(lists: ReadonlyMap<string, CompiledList>, used: Set<string>): Pick<ResolveEnv, 'list'> {
  return {
    list: (name) => {
      const l = lists.get(name);
      if (l) used.add(name);
      return l?.items;
    },
  };
}

function compileMacros(
  cache: CompileCache | undefined,
  col: Collector,
  lists: ReadonlyMap<string, CompiledList>,
  marks: FileMarks,
  usedLists: Set<string>,
  usedMacros: Set<string>,
): Map<string, Expr> {
  const parsed = new Map<string, Expr>();
  for (const m of col.macros.list) {
    try {
      parsed.set(m.name, parseCached(cache, m.cond));
    } catch (e) {
      if (!isConditionError(e)) throw e;
      conditionFail(e, 'LOAD_ERR_COMPILE_CONDITION', m.cond, m.condCtx, { marks, segments: m.condSegments });
    }
  }
  // Each macro may use only macros defined before it (by first definition), as in Falco. Visible
  // macros are replaced by a placeholder: only this macro's own references and lists matter here,
  // and chains of thousands of macros stay linear.
  for (const m of col.macros.list) {
    const expr = parsed.get(m.name)!;
    const env: ResolveEnv = {
      ...listEnv(lists, usedLists),
      macro: (name) => {
        const ref = col.macros.byName.get(name);
        return ref && ref.index < m.visibility ? PLACEHOLDER : undefined;
      },
    };
    resolveOrFail(expr, env, m.cond, m.ctx, { marks, segments: m.condSegments });
    forEachNode(expr, (e) => {
      if (e.kind === 'macro') usedMacros.add(e.name);
    });
  }
  return parsed;
}

function resolveOrFail(
  expr: Expr,
  env: ResolveEnv,
  text: string,
  parent: Context,
  where: { marks: FileMarks; segments: readonly TextSegment[]; shift?: number },
): Expr {
  try {
    return resolveCondition(expr, env);
  } catch (e) {
    if (!isConditionError(e)) throw e;
    const code: ErrorCode = e.code === 'LOAD_ERR_VALIDATE' ? 'LOAD_ERR_VALIDATE' : 'LOAD_ERR_COMPILE_CONDITION';
    conditionFail(e, code, text, parent, where);
  }
}

function matchesExtra(r: RuleInfo, e: ExtraOutputFormat): boolean {
  if (e.source !== '' && r.source !== e.source) return false;
  if (!e.tags.every((t) => r.tags.includes(t))) return false;
  return e.rule === '' || r.name === e.rule;
}

function warnDeprecatedOutputFields(res: LoadResult, fmt: string, ctx: Context): void {
  for (const f of DEPRECATED_OUTPUT_FIELDS) {
    if (fmt.includes(f)) {
      addWarning(res, 'LOAD_DEPRECATED_ITEM', `usage of deprecated field '${f}' has been detected in the rule output`, ctx);
      res.warnings[res.warnings.length - 1]!.deprecatedField = f;
    }
  }
}

function compileRule(
  env: CompileEnv,
  r: RuleInfo,
  source: LoaderSource,
  macros: ReadonlyMap<string, Expr>,
  lists: ReadonlyMap<string, CompiledList>,
  marks: FileMarks,
  usedLists: Set<string>,
  usedMacros: Set<string>,
  deps: DepVersions,
): CompiledRule | undefined {
  const res = env.result;
  const cache = env.cache;
  let condition = r.cond;
  let exceptionFields: string[] = [];
  if (r.exceptions.length) {
    const built = buildExceptionCondition(condition, r.exceptions);
    condition = built.condition;
    exceptionFields = [...built.fields];
  }

  let output = r.output;
  for (const extra of env.extraOutputFormats) if (matchesExtra(r, extra)) output = output + ' ' + extra.format;
  if (output.includes(CONTAINER_INFO)) {
    addWarning(
      res,
      'LOAD_DEPRECATED_ITEM',
      '%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.',
      r.ctx,
    );
    output = output.split(CONTAINER_INFO).join('');
  }
  const extraOutputFields: Record<string, { format: string; raw: boolean }> = {};
  for (const extra of env.extraOutputFields) {
    if (matchesExtra(r, extra)) extraOutputFields[extra.key] = { format: extra.format, raw: extra.raw };
  }

  const warningsStart = res.warnings.length;
  let early: Expr | undefined;
  try {
    early = parseCached(cache, condition);
  } catch (e) {
    if (!isConditionError(e)) throw e; // reported below, after the output checks, as Falco orders them
  }
  // Same inputs as at the previous compilation: reuse it, replaying its warnings.
  const key = cache && early
    ? [source.name, condition, output, JSON.stringify(extraOutputFields), r.skipIfUnknownFilter, r.warnEvttypes, deps.names(early)].join('\u0000')
    : '';
  const prev = cache?.rules.get(r.name);
  if (prev && prev.key === key) {
    for (const w of prev.warnings) res.warnings.push(w);
    for (const m of prev.macros) usedMacros.add(m);
    for (const l of prev.lists) usedLists.add(l);
    return { ...prev.rule, id: r.index, desc: r.desc, priority: r.priority, tags: [...r.tags], enabled: r.enabled, capture: r.capture, captureDuration: r.captureDuration, info: r };
  }
  const outErr = checkOutputFormat(output, source.catalog);
  if (outErr) {
    if (outErr.unknown && r.skipIfUnknownFilter) {
      addWarning(res, 'LOAD_UNKNOWN_FILTER', outErr.message, r.outputCtx);
      return undefined;
    }
    fail('LOAD_ERR_COMPILE_OUTPUT', outErr.message, r.outputCtx);
  }
  warnDeprecatedOutputFields(res, output, r.outputCtx);
  for (const ef of Object.values(extraOutputFields)) {
    const e = checkOutputFormat(ef.format, source.catalog);
    if (e) fail('LOAD_ERR_COMPILE_OUTPUT', e.message, r.outputCtx);
    warnDeprecatedOutputFields(res, ef.format, r.outputCtx);
  }

  const where = { marks, segments: r.condSegments, shift: r.exceptions.length ? 1 : 0 };
  let parsed: Expr;
  try {
    parsed = parseCached(cache, condition);
  } catch (e) {
    if (!isConditionError(e)) throw e;
    conditionFail(e, 'LOAD_ERR_COMPILE_CONDITION', condition, r.condCtx, where);
  }

  const used = new Set<string>();
  const ruleLists = new Set<string>();
  const expr = resolveOrFail(
    parsed,
    { ...listEnv(lists, ruleLists), macro: (name) => macros.get(name), used: { macros: used, lists: ruleLists } },
    condition,
    r.ctx,
    where,
  );
  for (const m of used) usedMacros.add(m);
  for (const l of ruleLists) usedLists.add(l);
  const remember = (rule: CompiledRule | undefined) => {
    if (cache && rule) {
      cache.rules.set(r.name, { key, rule, warnings: res.warnings.slice(warningsStart), macros: [...used], lists: [...ruleLists] });
    }
    return rule;
  };

  const checked = checkRuleCondition(expr, source.catalog);
  for (const w of checked.warnings) {
    const code: WarningCode = w.code === 'LOAD_UNSAFE_NA_CHECK' ? 'LOAD_UNSAFE_NA_CHECK' : 'LOAD_COMPILE_CONDITION';
    addWarning(res, code, w.message, conditionContext(r.condCtx, condition, w.pos, marks.locate(where.segments, w.pos.offset, where.shift)));
  }
  const err = checked.errors[0];
  if (err) {
    const ctx = conditionContext(r.condCtx, condition, err.pos, marks.locate(where.segments, err.pos.offset, where.shift));
    if (err.unknown && r.skipIfUnknownFilter) {
      addWarning(res, 'LOAD_UNKNOWN_FILTER', err.message, ctx);
      return undefined;
    }
    throw new RuleLoadError('LOAD_ERR_COMPILE_CONDITION', err.message, ctx);
  }

  let eventTypes: Set<string> | undefined;
  const ev = ruleEventTypes(expr, source.catalog.eventTypes ?? source.eventTypes);
  if (ev) {
    eventTypes = ev.types;
    if (ev.tooMany && r.warnEvttypes) {
      addWarning(res, 'LOAD_NO_EVTTYPE', 'Rule matches too many evt.type values. This has a significant performance penalty.', r.ctx);
    }
  }

  let match: CompiledCondition | undefined;
  let formatter: CompiledOutput | undefined;
  let extraFormatters: Record<string, CompiledOutput> | undefined;
  if (source.provider) {
    try {
      match = compileCondition(expr, source.catalog, source.provider);
    } catch (e) {
      if (!isConditionError(e)) throw e;
      conditionFail(e, 'LOAD_ERR_COMPILE_CONDITION', condition, r.condCtx, where);
    }
    try {
      formatter = compileOutput(output, source.catalog, source.provider);
      extraFormatters = {};
      for (const [k, ef] of Object.entries(extraOutputFields)) extraFormatters[k] = compileOutput(ef.format, source.catalog, source.provider);
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      fail('LOAD_ERR_COMPILE_OUTPUT', e.message, r.outputCtx);
    }
  }

  return remember({
    ...(match ? { match } : {}),
    ...(formatter ? { formatter, extraFormatters } : {}),
    id: r.index,
    name: r.name,
    source: r.source,
    desc: r.desc,
    priority: r.priority,
    tags: [...r.tags],
    enabled: r.enabled,
    capture: r.capture,
    captureDuration: r.captureDuration,
    condition,
    expr,
    output,
    extraOutputFields,
    exceptionFields,
    eventTypes,
    info: r,
  });
}

/**
 * Compiles the collector's content into `env.result`. Returns the output, or undefined after an
 * error (which is then in `env.result`).
 */
export function compileCollected(col: Collector, env: CompileEnv): CompileOutput | undefined {
  const marks = new FileMarks(env.contents);
  const usedLists = new Set<string>();
  const usedMacros = new Set<string>();
  let out: CompileOutput;
  try {
    const lists = compileLists(col);
    const listMap = new Map(lists.map((l) => [l.name, l]));
    const macroExprs = compileMacros(env.cache, col, listMap, marks, usedLists, usedMacros);
    const deps = new DepVersions(col, macroExprs, env.cache?.versionIds ?? new Map());
    const rules: CompiledRule[] = [];
    for (const r of col.rules.list) {
      if (r.unknownSource) continue;
      const source = env.sources.get(r.source);
      if (!source) fail('LOAD_ERR_VALIDATE', `Unknown source at compile-time${r.source}`, r.ctx);
      const compiled = compileRule(env, r, source, macroExprs, listMap, marks, usedLists, usedMacros, deps);
      if (compiled) rules.push(compiled);
    }
    for (const l of lists) if (usedLists.has(l.name)) l.used = true;
    out = {
      lists,
      macros: col.macros.list.map((m: MacroInfo) => ({ name: m.name, expr: macroExprs.get(m.name)!, used: usedMacros.has(m.name) })),
      rules,
    };
  } catch (e) {
    if (e instanceof RuleLoadError) {
      addError(env.result, e.code, e.message, e.context);
      return undefined;
    }
    throw e;
  }
  for (const m of out.macros) {
    if (!m.used) addWarning(env.result, 'LOAD_UNUSED_MACRO', 'Macro not referred to by any other rule/macro', col.macros.byName.get(m.name)!.ctx);
  }
  for (const l of out.lists) {
    if (!l.used) addWarning(env.result, 'LOAD_UNUSED_LIST', 'List not referred to by any other rule/macro', col.lists.byName.get(l.name)!.ctx);
  }
  return out;
}
