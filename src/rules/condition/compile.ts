/**
 * compileCondition: one JavaScript function per condition.
 *
 * Each comparison becomes a leaf closure `(cursor) => boolean` built from an extractor (from
 * the engine's ExtractorProvider) and a pure value predicate; the and/or/not structure becomes
 * generated JS source (`new Function`) calling the leaves, so V8 sees one straight-line
 * boolean expression with short-circuiting. Long and/or chains are grouped and very deep trees
 * are split into nested generated functions, so neither V8's parser nor evaluation recurses
 * thousands of levels.
 */
import type { FieldCatalog, FieldInfo } from '../catalog.js';
import type { CheckExpr, Expr } from './ast.js';
import { analyzeCheck, CheckFailure, type OperandInfo } from './check.js';
import { ConditionError } from './errors.js';
import { dynamicCompare, transformer, valuePredicate, type Pred } from './predicates.js';
import { typeClass } from './types.js';
import { parseConst } from './values.js';

/** What the engine supplies: value extraction for a field (and argument) over its cursor. */
export interface ExtractorProvider {
  /**
   * An extractor for `field` with argument `arg` (bracket `[x]` or dotted `.x`). It returns a
   * string, number, bigint, boolean, Uint8Array (byte buffers), an array for list fields and
   * for `matchAnyWithoutArg` fields called without argument, or null/undefined when absent.
   */
  extractor(field: FieldInfo, arg: string | undefined): (cursor: unknown) => unknown;
  /**
   * Optional hook: the engine may decide `pred(extract(cursor))` its own way, e.g. by
   * evaluating the pure `pred` once per dictionary entry of a dictionary-encoded column and
   * then looking up the memoised answer by the row's dictionary index. `pred` is pure and
   * deterministic (same value -> same answer) and includes transformers and list/any-of
   * semantics; it is only offered for comparisons with constant right-hand sides.
   * Return undefined to use the default `pred(extractor(cursor))`.
   */
  predicate?(
    field: FieldInfo,
    arg: string | undefined,
    pred: (value: unknown) => boolean,
    check: CheckExpr,
  ): ((cursor: unknown) => boolean) | undefined;
}

export type CompiledCondition = ((cursor: unknown) => boolean) & {
  /** Number of comparison leaves. */
  readonly leafCount: number;
  /** The generated source of the outer function (for debugging and tests). */
  readonly source: string;
};

export interface CompileOptions {
  /** Nodes deeper than this are moved into their own generated function. Default 64. */
  splitDepth?: number;
  /**
   * 'codegen' (default): one generated function. 'closures': nested closures, no `new Function`
   * (kept for measurement and for hosts that forbid code generation; recursion at evaluation
   * time follows the tree depth, so very deep trees need codegen).
   */
  mode?: 'codegen' | 'closures';
}

/**
 * A compiled comparison: a closure, or (for the common string/number comparisons) an inline
 * JS snippet over its extractor `E`, constant `K` and generic fallback predicate `G`, so that
 * every comparison gets its own call sites in the generated code (monomorphic, inlinable).
 */
export type Leaf =
  | { fn: (cursor: unknown) => boolean }
  | { inline: string; E: (cursor: unknown) => unknown; K: unknown; G: Pred };

/**
 * What generated code refers to: leaf closures (L) and the extractors, constants and fallback
 * predicates of inline leaves (E, K, G), by index (`L3(c)`, `E5(c)`).
 */
export interface LeafTables {
  L: Array<(c: unknown) => boolean>;
  E: Array<(c: unknown) => unknown>;
  K: unknown[];
  G: Pred[];
}

export const newLeafTables = (): LeafTables => ({ L: [], E: [], K: [], G: [] });

/** Stores a leaf's parts in the tables and returns the source text that evaluates it. */
export function emitLeaf(leaf: Leaf, t: LeafTables): string {
  if ('fn' in leaf) {
    t.L.push(leaf.fn);
    return `L${t.L.length - 1}(c)`;
  }
  const i = t.E.length;
  t.E.push(leaf.E);
  t.K.push(leaf.K);
  t.G.push(leaf.G);
  return leaf.inline.replace(/#/g, String(i));
}

const STRING_INLINE: Record<string, (k: string) => string> = {
  '=': (k) => `v === ${k}`,
  '==': (k) => `v === ${k}`,
  '!=': (k) => `v !== ${k}`,
  in: (k) => `${k}.has(v)`,
  intersects: (k) => `${k}.has(v)`,
  startswith: (k) => `v.startsWith(${k})`,
  endswith: (k) => `v.endsWith(${k})`,
  contains: (k) => `v.includes(${k})`,
};
const NUMERIC_INLINE: Record<string, string> = { '=': '==', '==': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

function checkedOf(c: CheckExpr, catalog: FieldCatalog) {
  try {
    return analyzeCheck(c, catalog);
  } catch (e) {
    if (e instanceof CheckFailure) throw new ConditionError(e.message, e.pos);
    throw e;
  }
}

function constantsOf(c: CheckExpr): string[] {
  const r = c.right;
  return !r ? [] : r.kind === 'list' ? r.items.map((i) => i.value) : r.kind === 'value' ? [r.value] : [];
}

function predicateOf(c: CheckExpr, left: OperandInfo, values: string[]): Pred {
  try {
    return valuePredicate({ op: c.op, type: left.type, isList: left.isList, anyOf: left.anyOf, transforms: left.transforms, values });
  } catch (e) {
    throw new ConditionError((e as Error).message, c.right?.pos ?? c.pos);
  }
}

/**
 * A comparison with constant right-hand values, as its field (and argument) and the pure
 * predicate over the field's value; undefined when the right-hand side is a field.
 */
export function constantCheck(c: CheckExpr, catalog: FieldCatalog): { field: string; arg: string | undefined; pred: Pred } | undefined {
  const info = checkedOf(c, catalog);
  if (info.rightField) return undefined;
  return { field: info.left.field.name, arg: info.left.arg, pred: predicateOf(c, info.left, constantsOf(c)) };
}

/** One comparison compiled over the provider's extractors (see Leaf). */
export function leafFor(c: CheckExpr, catalog: FieldCatalog, provider: ExtractorProvider): Leaf {
  const checked = checkedOf(c, catalog);
  const left: OperandInfo = checked.left;
  const extract = provider.extractor(left.field, left.arg);
  const r = c.right;
  if (checked.rightField) {
    const right = checked.rightField;
    const extractR = provider.extractor(right.field, right.arg);
    const trL = transformer(left.transforms);
    const trR = transformer(right.transforms);
    const cmp = dynamicCompare(c.op, left.type, left.isList);
    return { fn: (cur) => {
      let a = extract(cur);
      let b = extractR(cur);
      if (trL) a = a == null ? a : Array.isArray(a) ? a.map(trL) : trL(a);
      if (trR) b = b == null ? b : Array.isArray(b) ? b.map(trR) : trR(b);
      if (left.anyOf && Array.isArray(a)) return a.some((x) => cmp(x, b));
      return cmp(a, b);
    } };
  }
  const values = constantsOf(c);
  const pred = predicateOf(c, left, values);
  const hooked = provider.predicate?.(left.field, left.arg, pred, c);
  if (hooked) return { fn: hooked };
  if (!left.transforms.length && !left.anyOf && !left.isList) {
    const cls = typeClass(left.type);
    if (cls === 'string' && STRING_INLINE[c.op] && values.length > 0) {
      const setOp = c.op === 'in' || c.op === 'intersects';
      const K = setOp ? new Set(values) : values[0];
      return { inline: `(typeof (v = E#(c)) === 'string' ? ${STRING_INLINE[c.op]!('K#')} : G#(v))`, E: extract, K, G: pred };
    }
    if ((cls === 'int' || cls === 'uint' || cls === 'port' || cls === 'double') && NUMERIC_INLINE[c.op] && values.length === 1) {
      const K = parseConst(values[0]!, left.type);
      return {
        inline: `((typeof (v = E#(c)) === 'number' || typeof v === 'bigint') ? v ${NUMERIC_INLINE[c.op]} K# : G#(v))`,
        E: extract,
        K,
        G: pred,
      };
    }
  }
  return { fn: (cur) => pred(extract(cur)) };
}

const GROUP = 32;

/**
 * Compile a resolved, checked condition. Throws ConditionError if a comparison does not check
 * (run checkCondition first to collect every problem). Macro references left in the tree are an error.
 */
export function compileCondition(
  expr: Expr,
  catalog: FieldCatalog,
  provider: ExtractorProvider,
  options: CompileOptions = {},
): CompiledCondition {
  const splitDepth = Math.max(4, options.splitDepth ?? 64);
  const tables = newLeafTables();
  const subs: Array<(c: unknown) => boolean> = [];
  const leafIndex = new Map<CheckExpr, string>();

  // every referenced leaf, constant and sub-function becomes a local constant of the factory
  const makeFn = (body: string): ((c: unknown) => boolean) => {
    const decls: string[] = [];
    const seen = new Set<string>();
    for (const m of body.matchAll(/\b([LEKGS])(\d+)\b/g)) {
      if (seen.has(m[0])) continue;
      seen.add(m[0]);
      decls.push(`${m[0]} = ${m[1]}[${m[2]}]`);
    }
    const src = `"use strict";${decls.length ? ` const ${decls.join(', ')};` : ''} return function (c) { let v; return ${body}; };`;
    return new Function('L', 'E', 'K', 'G', 'S', src)(tables.L, tables.E, tables.K, tables.G, subs) as (c: unknown) => boolean;
  };

  // bottom-up code generation without recursion: each node yields [code, depth]
  interface Frame {
    node: Expr;
    next: number;
    parts: Array<[string, number]>;
  }
  const childrenOf = (e: Expr): Expr[] => (e.kind === 'and' || e.kind === 'or' ? e.children : e.kind === 'not' ? [e.child] : []);
  const leafCode = (e: Expr): [string, number] => {
    if (e.kind === 'macro') throw new ConditionError(`filter error: unexpected identifier '${e.name}'`, e.pos);
    const c = e as CheckExpr;
    let code = leafIndex.get(c);
    if (code === undefined) {
      code = emitLeaf(leafFor(c, catalog, provider), tables);
      leafIndex.set(c, code);
    }
    return [code, 1];
  };
  const join = (parts: Array<[string, number]>, op: string): [string, number] => {
    // group long chains so that no expression has thousands of operands at one level
    let level = parts;
    while (level.length > GROUP) {
      const next: Array<[string, number]> = [];
      for (let i = 0; i < level.length; i += GROUP) {
        const chunk = level.slice(i, i + GROUP);
        next.push([`(${chunk.map((p) => p[0]).join(op)})`, Math.max(...chunk.map((p) => p[1])) + 1]);
      }
      level = next;
    }
    return [`(${level.map((p) => p[0]).join(op)})`, Math.max(...level.map((p) => p[1])) + 1];
  };
  const finish = (n: Expr, parts: Array<[string, number]>): [string, number] => {
    let r: [string, number];
    if (n.kind === 'not') r = [`!${parts[0]![0]}`, parts[0]![1] + 1];
    else r = join(parts, n.kind === 'and' ? ' && ' : ' || ');
    if (r[1] > splitDepth) {
      subs.push(makeFn(r[0]));
      r = [`S${subs.length - 1}(c)`, 1];
    }
    return r;
  };

  if (options.mode === 'closures') return compileClosures(expr, catalog, provider);

  let rootCode: [string, number];
  if (expr.kind === 'macro' || expr.kind === 'check') rootCode = leafCode(expr);
  else {
    const stack: Frame[] = [{ node: expr, next: 0, parts: [] }];
    rootCode = ['false', 1];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const kids = childrenOf(top.node);
      if (top.next < kids.length) {
        const k = kids[top.next++]!;
        if (k.kind === 'macro' || k.kind === 'check') top.parts.push(leafCode(k));
        else stack.push({ node: k, next: 0, parts: [] });
        continue;
      }
      stack.pop();
      const code = finish(top.node, top.parts);
      if (stack.length) stack[stack.length - 1]!.parts.push(code);
      else rootCode = code;
    }
  }
  const fn = makeFn(rootCode[0]);
  return Object.assign(fn, { leafCount: tables.L.length + tables.E.length, source: rootCode[0] }) as CompiledCondition;
}

/** The same semantics as nested closures (see CompileOptions.mode). */
function compileClosures(expr: Expr, catalog: FieldCatalog, provider: ExtractorProvider): CompiledCondition {
  let count = 0;
  const leafFn = (e: Expr): ((c: unknown) => boolean) => {
    if (e.kind === 'macro') throw new ConditionError(`filter error: unexpected identifier '${e.name}'`, e.pos);
    count++;
    const leaf = leafFor(e as CheckExpr, catalog, provider);
    if ('fn' in leaf) return leaf.fn;
    const { E, G } = leaf;
    return (c) => G(E(c));
  };
  interface Frame {
    node: Expr;
    next: number;
    fns: Array<(c: unknown) => boolean>;
  }
  const childrenOf = (e: Expr): Expr[] => (e.kind === 'and' || e.kind === 'or' ? e.children : e.kind === 'not' ? [e.child] : []);
  const build = (n: Expr, fns: Array<(c: unknown) => boolean>): ((c: unknown) => boolean) => {
    if (n.kind === 'not') {
      const f = fns[0]!;
      return (c) => !f(c);
    }
    if (n.kind === 'and')
      return (c) => {
        for (const f of fns) if (!f(c)) return false;
        return true;
      };
    return (c) => {
      for (const f of fns) if (f(c)) return true;
      return false;
    };
  };
  let root: (c: unknown) => boolean;
  if (expr.kind === 'macro' || expr.kind === 'check') root = leafFn(expr);
  else {
    root = () => false;
    const stack: Frame[] = [{ node: expr, next: 0, fns: [] }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const kids = childrenOf(top.node);
      if (top.next < kids.length) {
        const k = kids[top.next++]!;
        if (k.kind === 'macro' || k.kind === 'check') top.fns.push(leafFn(k));
        else stack.push({ node: k, next: 0, fns: [] });
        continue;
      }
      stack.pop();
      const f = build(top.node, top.fns);
      if (stack.length) stack[stack.length - 1]!.fns.push(f);
      else root = f;
    }
  }
  const fn = (c: unknown): boolean => root(c);
  return Object.assign(fn, { leafCount: count, source: '' }) as CompiledCondition;
}
