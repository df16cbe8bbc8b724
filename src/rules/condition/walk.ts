/** Iterative tree walks: conditions can nest thousands deep, so no pass may recurse per level. */
import type { CheckExpr, Expr, MacroRef } from './ast.js';

/** Visit every boolean node and leaf in source order (pre-order, left to right). */
export function forEachNode(root: Expr, fn: (e: Expr) => void): void {
  const stack: Expr[] = [root];
  while (stack.length) {
    const e = stack.pop()!;
    fn(e);
    if (e.kind === 'and' || e.kind === 'or') {
      for (let i = e.children.length - 1; i >= 0; i--) stack.push(e.children[i]!);
    } else if (e.kind === 'not') stack.push(e.child);
  }
}

export type Leaf = MacroRef | CheckExpr;

/**
 * Rebuild a tree with each leaf replaced by `fn(leaf)`, leaves visited left to right.
 * Unchanged subtrees are kept as they are (same objects).
 */
export function mapLeaves(root: Expr, fn: (leaf: Leaf) => Expr): Expr {
  // frames: node + results collected for its children so far
  interface Frame {
    node: Expr;
    next: number;
    out: Expr[];
    changed: boolean;
  }
  const childrenOf = (e: Expr): Expr[] => (e.kind === 'and' || e.kind === 'or' ? e.children : e.kind === 'not' ? [e.child] : []);
  if (root.kind === 'macro' || root.kind === 'check') return fn(root);
  const stack: Frame[] = [{ node: root, next: 0, out: [], changed: false }];
  let result: Expr = root;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const kids = childrenOf(top.node);
    if (top.next < kids.length) {
      const child = kids[top.next++]!;
      if (child.kind === 'macro' || child.kind === 'check') {
        const r = fn(child);
        top.out.push(r);
        if (r !== child) top.changed = true;
      } else {
        stack.push({ node: child, next: 0, out: [], changed: false });
      }
      continue;
    }
    stack.pop();
    let built: Expr = top.node;
    if (top.changed) {
      const n = top.node;
      if (n.kind === 'not') built = { ...n, child: top.out[0]! };
      else if (n.kind === 'and' || n.kind === 'or') built = { ...n, children: top.out };
    }
    if (stack.length === 0) result = built;
    else {
      const parent = stack[stack.length - 1]!;
      parent.out.push(built);
      if (built !== top.node) parent.changed = true;
    }
  }
  return result;
}

/**
 * The number of nodes of the tree a condition stands for, counting a shared subtree (a macro's
 * body, substituted at each use) once per use: what evaluating it costs. Computed over the shared
 * structure, so it stays fast however large the result.
 */
export function treeSize(root: Expr): number {
  const size = new Map<Expr, number>();
  const stack: Expr[] = [root];
  while (stack.length) {
    const e = stack[stack.length - 1]!;
    if (size.has(e)) {
      stack.pop();
      continue;
    }
    const kids = e.kind === 'and' || e.kind === 'or' ? e.children : e.kind === 'not' ? [e.child] : [];
    let ready = true;
    for (const k of kids) {
      if (!size.has(k)) {
        stack.push(k);
        ready = false;
      }
    }
    if (!ready) continue;
    stack.pop();
    let n = 1;
    for (const k of kids) n += size.get(k)!;
    size.set(e, n);
  }
  return size.get(root)!;
}
