/**
 * compileRuleSet: the conditions of several rules as one evaluator, for the rules an event of
 * one type meets.
 *
 * Rules share a lot: macros (`open_read`, `container`, `spawned_process`…) and single checks
 * (`fd.typechar = f`) appear in many conditions. Each condition compiled on its own evaluates
 * them again for every rule; here every subtree and check that occurs more than once in the set
 * (compared by structure, not identity: macro resolution copies checks that take lists) is
 * evaluated at most once per event, its answer kept until the evaluator's next call. Checks on
 * fields whose value is known for every event the evaluator will see (`evt.type` for an
 * evaluator of one event type) are decided when compiling, and the and/or/not above them
 * simplified, so a condition that cannot hold for that type costs nothing.
 *
 * Semantics are those of compileCondition, rule by rule: the evaluator answers which of the
 * conditions hold, in order (or only the first that holds).
 */
import type { FieldCatalog } from '../catalog.js';
import type { CheckExpr, Expr, Operand } from './ast.js';
import { ConditionError } from './errors.js';
import { constantCheck, emitLeaf, type ExtractorProvider, type Leaf, leafFor, newLeafTables } from './compile.js';
import type { Pred } from './predicates.js';

/**
 * Writes the indices of the conditions that hold for the cursor's event into `out`, in order,
 * and returns their number; with `first`, stops at the first one.
 */
export type RuleSetEvaluator = (cursor: unknown, first: boolean, out: number[]) => number;

export interface RuleSetCompiler {
  /**
   * `known`: field values every event the evaluator sees has (e.g. `evt.type` → `openat`);
   * checks of those fields (without argument) are decided now.
   */
  compile(conditions: readonly Expr[], known?: ReadonlyMap<string, unknown>): RuleSetEvaluator;
}

/** Generated code nests subtrees at most this deep; deeper ones become functions of their own. */
const MAX_NESTING = 32;
/** and/or chains longer than this are grouped, as compileCondition does. */
const GROUP = 32;

/**
 * A compiler whose leaves (one per distinct check) and structural numbering are shared by every
 * evaluator it makes, so that compiling one evaluator per event type costs little.
 */
export function newRuleSetCompiler(catalog: FieldCatalog, provider: ExtractorProvider): RuleSetCompiler {
  // Structural numbering: every node gets the id of its structure.
  const ids = new Map<string, number>();
  const idOf = new WeakMap<object, number>();
  const checkOf = new Map<number, CheckExpr>();
  const leaves = new Map<number, Leaf>();
  const constants = new Map<number, { field: string; arg: string | undefined; pred: Pred } | null>();

  const operandKey = (o: Operand): string => (o.kind === 'field' ? `f${JSON.stringify([o.name, o.arg ?? null])}` : `t${o.name}(${operandKey(o.value)})`);
  const intern = (key: string): number => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };

  /** Structural id of a node (iterative post-order: trees can be deep). */
  function number(root: Expr): number {
    const known = idOf.get(root);
    if (known !== undefined) return known;
    const stack: Array<{ node: Expr; done: boolean }> = [{ node: root, done: false }];
    while (stack.length) {
      const top = stack.pop()!;
      const e = top.node;
      if (idOf.has(e)) continue;
      if (e.kind === 'macro') throw new ConditionError(`filter error: unexpected identifier '${e.name}'`, e.pos);
      if (e.kind === 'check') {
        const r = e.right;
        const right = !r ? '' : r.kind === 'value' ? JSON.stringify(r.value) : r.kind === 'list' ? JSON.stringify(r.items.map((i) => i.value)) : operandKey(r);
        const id = intern(`c${operandKey(e.left)}${e.op}|${r?.kind ?? ''}${right}`);
        idOf.set(e, id);
        if (!checkOf.has(id)) checkOf.set(id, e);
        continue;
      }
      const kids = e.kind === 'not' ? [e.child] : e.children;
      if (!top.done) {
        stack.push({ node: e, done: true });
        for (const k of kids) if (!idOf.has(k)) stack.push({ node: k, done: false });
        continue;
      }
      idOf.set(e, intern(`${e.kind}(${kids.map((k) => idOf.get(k)).join(',')})`));
    }
    return idOf.get(root)!;
  }

  function leafOf(id: number): Leaf {
    let leaf = leaves.get(id);
    if (!leaf) {
      leaf = leafFor(checkOf.get(id)!, catalog, provider);
      leaves.set(id, leaf);
    }
    return leaf;
  }

  function constantOf(id: number) {
    let k = constants.get(id);
    if (k === undefined) {
      k = constantCheck(checkOf.get(id)!, catalog) ?? null;
      constants.set(id, k);
    }
    return k;
  }

  return {
    compile(conditions, known = new Map()) {
      const roots = conditions.map(number);

      // How often each structure occurs in the set (every path to it counts).
      const count = new Map<number, number>();
      const children = new Map<number, Expr[]>();
      const kindOf = new Map<number, Expr['kind']>();
      for (const root of conditions) {
        const stack: Expr[] = [root];
        while (stack.length) {
          const e = stack.pop()!;
          const id = idOf.get(e)!;
          const n = (count.get(id) ?? 0) + 1;
          count.set(id, n);
          if (n > 1) continue; // its children are counted once per distinct parent structure
          kindOf.set(id, e.kind);
          if (e.kind === 'and' || e.kind === 'or') {
            children.set(id, e.children);
            stack.push(...e.children);
          } else if (e.kind === 'not') {
            children.set(id, [e.child]);
            stack.push(e.child);
          }
        }
      }

      // Code generation. Locals of the generated factory: L (leaf closures), E/K/G (inline
      // leaves), and one function per shared structure, per rule and per over-deep subtree.
      const tables = newLeafTables();
      const functions: string[] = [];
      const sharedVars: string[] = [];
      const sharedCode = new Map<number, string>();
      const leafCode = new Map<number, string>();
      const folded = new Map<number, boolean | null>();

      const fold = (id: number): boolean | null => {
        let f = folded.get(id);
        if (f !== undefined) return f;
        f = null;
        const check = checkOf.get(id);
        if (check && known.size) {
          const k = constantOf(id);
          if (k && k.arg === undefined && known.has(k.field)) f = k.pred(known.get(k.field));
        }
        folded.set(id, f);
        return f;
      };

      const leafText = (id: number): string => {
        let code = leafCode.get(id);
        if (code === undefined) {
          code = emitLeaf(leafOf(id), tables);
          leafCode.set(id, code);
        }
        return code;
      };

      const join = (parts: string[], op: string): string => {
        let level = parts;
        while (level.length > GROUP) {
          const next: string[] = [];
          for (let i = 0; i < level.length; i += GROUP) next.push(`(${level.slice(i, i + GROUP).join(op)})`);
          level = next;
        }
        return `(${level.join(op)})`;
      };

      /** JS expression for node `id` ('true' / 'false' when decided now), nested `depth` deep. */
      const gen = (id: number, depth: number): string => {
        const kind = kindOf.get(id)!;
        if (kind === 'check') {
          const f = fold(id);
          if (f !== null) return f ? 'true' : 'false';
        }
        if ((count.get(id) ?? 0) > 1) {
          let use = sharedCode.get(id);
          if (use === undefined) {
            const body = kind === 'check' ? leafText(id) : compound(id, kind, 0);
            if (body === 'true' || body === 'false') use = body;
            else {
              const k = sharedVars.length;
              sharedVars.push(`T${k} = 0, R${k} = false`);
              functions.push(`function F${k}(c) { let v; return ${body}; }`);
              use = `(T${k} === N ? R${k} : (T${k} = N, R${k} = F${k}(c)))`;
            }
            sharedCode.set(id, use);
          }
          return use;
        }
        if (kind === 'check') return leafText(id);
        if (depth >= MAX_NESTING) {
          const body = compound(id, kind, 0);
          if (body === 'true' || body === 'false') return body;
          functions.push(`function D${functions.length}(c) { let v; return ${body}; }`);
          return `D${functions.length - 1}(c)`;
        }
        return compound(id, kind, depth);
      };

      const compound = (id: number, kind: Expr['kind'], depth: number): string => {
        const kids = children.get(id)!;
        if (kind === 'not') {
          const inner = gen(idOf.get(kids[0])!, depth + 1);
          return inner === 'true' ? 'false' : inner === 'false' ? 'true' : `!${inner}`;
        }
        const isAnd = kind === 'and';
        const parts: string[] = [];
        for (const k of kids) {
          const code = gen(idOf.get(k)!, depth + 1);
          if (code === (isAnd ? 'false' : 'true')) return code;
          if (code === (isAnd ? 'true' : 'false')) continue;
          parts.push(code);
        }
        if (parts.length === 0) return isAnd ? 'true' : 'false';
        if (parts.length === 1) return parts[0];
        return join(parts, isAnd ? ' && ' : ' || ');
      };

      const tests: string[] = [];
      roots.forEach((id, index) => {
        const code = gen(id, 0);
        if (code === 'false') return;
        if (code === 'true') {
          tests.push(`out[n++] = ${index}; if (first) return n;`);
          return;
        }
        functions.push(`function P${index}(c) { let v; return ${code}; }`);
        tests.push(`if (P${index}(c)) { out[n++] = ${index}; if (first) return n; }`);
      });

      const decls: string[] = [];
      const used = new Set<string>();
      const all = functions.join('\n');
      for (const m of all.matchAll(/\b([LEKG])(\d+)\b/g)) {
        if (used.has(m[0])) continue;
        used.add(m[0]);
        decls.push(`${m[0]} = ${m[1]}[${m[2]}]`);
      }
      const src = [
        '"use strict";',
        decls.length ? `const ${decls.join(', ')};` : '',
        'let N = 0;',
        sharedVars.length ? `let ${sharedVars.join(', ')};` : '',
        all,
        `return function evaluate(c, first, out) { N++; let n = 0; ${tests.join(' ')} return n; };`,
      ].join('\n');
      return new Function('L', 'E', 'K', 'G', src)(tables.L, tables.E, tables.K, tables.G) as RuleSetEvaluator;
    },
  };
}
