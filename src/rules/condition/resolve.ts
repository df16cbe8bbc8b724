/**
 * Macro and list resolution (Falco's filter_macro_resolver and resolve_list, on the AST).
 */
import type { CheckExpr, Expr, ListExpr, ListItem, Pos, ValueExpr } from './ast.js';
import { LIST_OPERATORS } from './ast.js';
import { ConditionError } from './errors.js';
import { forEachNode, mapLeaves, treeSize } from './walk.js';
import { unescapeQuoted } from './strings.js';

export interface ReferencedNames {
  /** Bare identifiers in check position. */
  macros: Set<string>;
  /** Unquoted values that may name a list: items of `(...)` lists and bare right-hand values. */
  lists: Set<string>;
}

/** Names a condition refers to, without resolving anything. */
export function referencedNames(expr: Expr): ReferencedNames {
  const macros = new Set<string>();
  const lists = new Set<string>();
  forEachNode(expr, (e) => {
    if (e.kind === 'macro') macros.add(e.name);
    else if (e.kind === 'check' && e.right) {
      const r = e.right;
      if (r.kind === 'list') {
        for (const it of r.items) if (!it.quoted) lists.add(it.value);
      } else if (r.kind === 'value' && !r.quoted) lists.add(r.value);
    }
  });
  return { macros, lists };
}

export interface ResolveEnv {
  /** The parsed (resolved or not) body of a macro, or undefined if no such macro is visible. */
  macro(name: string): Expr | undefined;
  /** A list's items, or undefined if no such list is visible. Items naming other lists are expanded. */
  list(name: string): readonly string[] | undefined;
  /**
   * Optional: filled with the names of macros and lists this resolution substituted
   * (including ones reached only through other macros), so the loader can report
   * LOAD_UNUSED_MACRO / LOAD_UNUSED_LIST for the rest.
   */
  used?: { macros: Set<string>; lists: Set<string> };
}

/** Largest condition, in nodes once its macros are expanded (Falco's whole upstream set: under 2,000 per rule). */
const MAX_EXPANDED_NODES = 1_000_000;

/** Falco guards parser recursion at depth 1000; macro chains deeper than this are surely loops or abuse. */
const MAX_MACRO_DEPTH = 1000;

/**
 * Substitute macros and lists. Throws ConditionError with code LOAD_ERR_VALIDATE for an
 * undefined macro ("Undefined macro 'x' used in filter.") or a reference loop, and
 * LOAD_ERR_COMPILE_CONDITION where Falco's textual list substitution would not parse.
 * The input is not modified; macro bodies are shared, not copied.
 */
export function resolveCondition(expr: Expr, env: ResolveEnv): Expr {
  const memo = new Map<string, Expr>();
  const path: string[] = [];

  const listItems = (name: string, pos: Pos): ListItem[] | undefined => {
    const items = env.list(name);
    if (!items) return undefined;
    env.used?.lists.add(name);
    const out: ListItem[] = [];
    const seen = new Set<string>([name]);
    const expand = (vals: readonly string[], from: string, depth: number): void => {
      for (const raw of vals) {
        const nested = depth < 64 && !seen.has(raw) ? env.list(raw) : undefined;
        if (nested) {
          seen.add(raw);
          env.used?.lists.add(raw);
          expand(nested, raw, depth + 1);
          continue;
        }
        out.push(literalItem(String(raw), pos, from));
      }
    };
    expand(items, name, 0);
    return out;
  };

  const resolveValue = (v: ValueExpr, check: CheckExpr): ValueExpr | ListExpr => {
    if (v.quoted) return v;
    const items = listItems(v.value, v.pos);
    if (!items) return v;
    // Falco substitutes the list text in place: `x in mylist` only parses with exactly one item
    if (items.length === 1) return { kind: 'value', value: items[0]!.value, quoted: items[0]!.quoted, pos: v.pos, fromList: v.value };
    if (items.length === 0) {
      throw new ConditionError(
        LIST_OPERATORS.includes(check.op as never)
          ? "expected a list, an identifier, or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len'"
          : "expected a string value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len'",
        v.pos,
      );
    }
    throw new ConditionError(`unexpected token after '${items[0]!.value}', expecting 'or', 'and'`, v.pos);
  };

  const resolveCheck = (c: CheckExpr): CheckExpr => {
    const r = c.right;
    if (!r) return c;
    if (r.kind === 'list') {
      let changed = false;
      const items: ListItem[] = [];
      for (const it of r.items) {
        const sub = it.quoted ? undefined : listItems(it.value, it.pos);
        if (sub) {
          changed = true;
          for (const s of sub) items.push(s);
        } else items.push(it);
      }
      return changed ? { ...c, right: { ...r, items } } : c;
    }
    if (r.kind === 'value') {
      const nr = resolveValue(r, c);
      return nr === r ? c : { ...c, right: nr };
    }
    return c;
  };

  const resolve = (e: Expr): Expr =>
    mapLeaves(e, (leaf) => {
      if (leaf.kind === 'check') return resolveCheck(leaf);
      const name = leaf.name;
      const cached = memo.get(name);
      if (cached) {
        env.used?.macros.add(name);
        return cached;
      }
      if (path.includes(name)) throw new ConditionError(`reference loop in macro '${name}'`, leaf.pos, 'LOAD_ERR_VALIDATE');
      const body = env.macro(name);
      if (!body) throw new ConditionError(`Undefined macro '${name}' used in filter.`, leaf.pos, 'LOAD_ERR_VALIDATE');
      if (path.length >= MAX_MACRO_DEPTH) throw new ConditionError(`exceeded max depth limit of ${MAX_MACRO_DEPTH}`, leaf.pos, 'LOAD_ERR_VALIDATE');
      path.push(name);
      const resolved = resolve(body);
      path.pop();
      memo.set(name, resolved);
      env.used?.macros.add(name);
      return resolved;
    });

  let result: Expr;
  try {
    result = resolve(expr);
  } catch (e) {
    // A chain of macros deep enough to exhaust the stack before MAX_MACRO_DEPTH: Falco's error.
    if (e instanceof RangeError) throw new ConditionError(`exceeded max depth limit of ${MAX_MACRO_DEPTH}`, expr.pos, 'LOAD_ERR_VALIDATE');
    throw e;
  }
  // Macros that use each other twice double at each level: 30 levels are a billion checks to
  // evaluate on every event. Refused, as Falco would run out of memory expanding them.
  const size = treeSize(result);
  if (size > MAX_EXPANDED_NODES) {
    throw new ConditionError(`condition too large once its macros are expanded (${size.toLocaleString('en-US')} nodes; at most ${MAX_EXPANDED_NODES.toLocaleString('en-US')})`, expr.pos);
  }
  return result;
}

/** A list item as Falco would re-read it after pasting the list's text into the condition. */
function literalItem(raw: string, pos: Pos, from: string): ListItem {
  const q = raw[0];
  if ((q === '"' || q === "'") && raw.length >= 2 && raw[raw.length - 1] === q) {
    try {
      return { value: unescapeQuoted(raw, pos), quoted: true, pos, fromList: from };
    } catch {
      // fall through: keep it literal
    }
  }
  return { value: raw, quoted: raw.includes(' '), pos, fromList: from };
}
