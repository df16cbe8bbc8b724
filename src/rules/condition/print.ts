/**
 * conditionText: a condition tree printed back as Falco filter text that parses to the same
 * tree (macros and lists already substituted, so the text stands alone: sysdig and Falco accept
 * it as a filter).
 */
import type { CheckExpr, Expr, Operand } from './ast.js';
import { ConditionError } from './errors.js';

/** Text the lexer reads as one bare value (its BARE token), and that is no keyword. */
const BARE = /^[^()"'\t\n\v\f\r =,]+$/;
const KEYWORDS = new Set(['and', 'or', 'not']);
/** A bracket argument that needs no quotes. */
const BARE_ARG = /^[^\][\\"'\s]+$/;

function quote(s: string): string {
  let out = '"';
  const chars = [...s];
  chars.forEach((ch, i) => {
    const code = ch.charCodeAt(0);
    // A backslash before the closing quote would escape it for Falco's lexer: `\ ` also means one backslash.
    if (ch === '\\') out += i === chars.length - 1 ? '\\ ' : '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  });
  return `${out}"`;
}

function value(s: string): string {
  return BARE.test(s) && !KEYWORDS.has(s.toLowerCase()) ? s : quote(s);
}

function operand(o: Operand): string {
  if (o.kind === 'transform') return `${o.name}(${operand(o.value)})${o.arg === undefined ? '' : `[${o.arg}]`}`;
  if (o.arg === undefined) return o.name;
  return `${o.name}[${BARE_ARG.test(o.arg) ? o.arg : quote(o.arg)}]`;
}

function check(c: CheckExpr): string {
  const left = operand(c.left);
  const r = c.right;
  if (!r) return `${left} ${c.op}`;
  if (r.kind === 'value') return `${left} ${c.op} ${value(r.value)}`;
  if (r.kind === 'list') return `${left} ${c.op} (${r.items.map((i) => value(i.value)).join(', ')})`;
  return `${left} ${c.op} ${operand(r)}`;
}

/** The condition as filter text; a macro reference left in the tree is an error. */
export function conditionText(expr: Expr): string {
  // Iterative post-order: trees can nest deeply.
  const done = new Map<Expr, string>();
  const stack: Array<{ node: Expr; expanded: boolean }> = [{ node: expr, expanded: false }];
  while (stack.length) {
    const top = stack.pop()!;
    const e = top.node;
    if (done.has(e)) continue;
    if (e.kind === 'macro') throw new ConditionError(`filter error: unexpected identifier '${e.name}'`, e.pos);
    if (e.kind === 'check') {
      done.set(e, check(e));
      continue;
    }
    const kids = e.kind === 'not' ? [e.child] : e.children;
    if (!top.expanded) {
      stack.push({ node: e, expanded: true });
      for (const k of kids) if (!done.has(k)) stack.push({ node: k, expanded: false });
      continue;
    }
    done.set(e, e.kind === 'not' ? `not (${done.get(e.child)})` : `(${kids.map((k) => done.get(k)).join(` ${e.kind} `)})`);
  }
  return done.get(expr)!;
}
