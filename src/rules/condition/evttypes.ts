/**
 * Event types a condition can match, derived as Falco does (libsinsp filter/ppm_codes.cpp):
 * `and` intersects, `or` unites, negations are pushed to the leaves (De Morgan), `evt.type`
 * (or `syscall.type`) with `=`, `==`, `!=`, `in` restricts, every other check is neutral
 * (all types), and `evt.num` checks that can never/always hold give none/all types.
 * Works on names: the universe is the `allEventTypes` given.
 */
import type { EventTypeTable } from '../catalog.js';
import type { CheckExpr, Expr, Operand } from './ast.js';
import { ConditionError } from './errors.js';

export type EventTypeSet = Set<string> & {
  /** The condition does not restrict event types at all (every type in the universe). */
  readonly matchesAll: boolean;
  /**
   * Falco's LOAD_NO_EVTTYPE test: more than 100 event codes. With an EventTypeTable the codes
   * are counted as Falco counts them; with a plain name list each name counts as 2 codes.
   */
  readonly tooMany: boolean;
};

/** Falco's warning text for rules whose condition matches too many event types. */
export const NO_EVTTYPE_MESSAGE = 'Rule matches too many evt.type values. This has a significant performance penalty.';

type Codes = Uint32Array;

/** evaluate_field_invariant: evt.num starts at 1. */
function evtNumInvariant(c: CheckExpr): 'empty' | 'all' | undefined {
  const f = c.left;
  if (f.kind !== 'field' || f.name !== 'evt.num' || f.arg !== undefined) return undefined;
  const parseU64 = (s: string): bigint | undefined => {
    const m = /^\s*([+-]?)(\d+)$/.exec(s);
    if (!m) return undefined;
    let v = BigInt(m[2]!);
    if (m[1] === '-') v = (((-v) % (1n << 64n)) + (1n << 64n)) % (1n << 64n);
    return v;
  };
  const r = c.right;
  if (c.op === 'in') {
    if (!r || r.kind !== 'list') return undefined;
    if (r.items.length === 0) return 'empty';
    return r.items.every((i) => parseU64(i.value) === 0n) ? 'empty' : undefined;
  }
  if (!r || r.kind !== 'value') return undefined;
  const n = parseU64(r.value);
  if (n === undefined) return undefined;
  switch (c.op) {
    case '=':
    case '==':
      return n === 0n ? 'empty' : undefined;
    case '!=':
      return n === 0n ? 'all' : undefined;
    case '<':
      return n <= 1n ? 'empty' : undefined;
    case '<=':
      return n === 0n ? 'empty' : undefined;
    case '>':
      return n === 0n ? 'all' : undefined;
    case '>=':
      return n <= 1n ? 'all' : undefined;
    default:
      return undefined;
  }
}

const isEvtTypeField = (o: Operand): boolean => o.kind === 'field' && (o.name === 'evt.type' || o.name === 'syscall.type') && o.arg === undefined;

function containsEvtTypeField(o: Operand): boolean {
  let cur: Operand = o;
  while (cur.kind === 'transform') {
    cur = cur.value;
    if (isEvtTypeField(cur)) return true;
  }
  return false;
}

/**
 * The set of event type names (from the universe) the condition can match, with flags.
 * Throws ConditionError for `evt.type` compared with a field or under a transformer, which
 * Falco's event-code search does not support.
 */
export function conditionEventTypes(expr: Expr, allEventTypes: readonly string[] | EventTypeTable): EventTypeSet {
  const table = Array.isArray(allEventTypes) ? undefined : (allEventTypes as EventTypeTable);
  const universeList: readonly string[] = table ? table.names : (allEventTypes as readonly string[]);
  // sets of names are bitsets over the universe: leaves and negations stay cheap on big trees
  const index = new Map<string, number>();
  for (const n of universeList) if (!index.has(n)) index.set(n, index.size);
  const size = index.size;
  const words = Math.max(1, Math.ceil(size / 32));
  const lastMask = size % 32 === 0 ? 0xffffffff : (1 << size % 32) - 1;
  const ALL = (): Codes => {
    const b = new Uint32Array(words).fill(0xffffffff);
    b[words - 1] = size === 0 ? 0 : lastMask;
    return b;
  };
  const names = (vals: readonly string[]): Codes => {
    const b = new Uint32Array(words);
    for (const v of vals) {
      const i = index.get(v);
      if (i !== undefined) b[i >>> 5]! |= 1 << (i & 31);
    }
    return b;
  };
  const invert = (s: Codes): Codes => {
    const out = ALL();
    for (let w = 0; w < words; w++) out[w] = out[w]! & ~s[w]!;
    return out;
  };

  // leaf evaluation: returns the codes and whether the leaf "has codes" (only those invert)
  const leaf = (e: Expr, neg: boolean): Codes => {
    if (e.kind === 'macro') return ALL();
    const c = e as CheckExpr;
    if (!c.right) {
      // unary: `evt.type exists` has codes (all); under negation it matches none
      if (containsEvtTypeField(c.left)) {
        throw new ConditionError('event code search does not support `evt.type` checks with transformers', c.pos);
      }
      const has = isEvtTypeField(c.left) && c.op === 'exists';
      return has && neg ? new Uint32Array(words) : ALL();
    }
    const inv = evtNumInvariant(c);
    if (inv) {
      const s = inv === 'empty' ? new Uint32Array(words) : ALL();
      return neg ? invert(s) : s;
    }
    if (containsEvtTypeField(c.left) && ['=', '==', '!=', 'in'].includes(c.op)) {
      throw new ConditionError('event code search does not support `evt.type` checks with transformers', c.pos);
    }
    if (['=', '==', '!=', 'in'].includes(c.op) && isEvtTypeField(c.left)) {
      const r = c.right;
      if (r.kind === 'field' || r.kind === 'transform') {
        throw new ConditionError(
          'right-hand field comparisons on `evt.type`/`syscall.type` checks are not supported by event code search',
          r.pos,
        );
      }
      let s = names(r.kind === 'list' ? r.items.map((i) => i.value) : [r.value]);
      if (neg) s = invert(s);
      if (c.op === '!=') s = invert(s);
      return s;
    }
    return ALL();
  };

  // iterative evaluation: frames carry the negation state pushed down from `not`s
  interface Frame {
    node: Expr;
    neg: boolean;
    next: number;
    acc: Codes | undefined;
  }
  const combine = (f: Frame, s: Codes): void => {
    // and (not negated) / or (negated): intersection; otherwise union
    const conj = (f.node.kind === 'and') !== f.neg;
    if (f.node.kind === 'not') {
      f.acc = s;
      return;
    }
    if (f.acc === undefined) f.acc = s;
    else if (conj) for (let w = 0; w < words; w++) f.acc[w] = f.acc[w]! & s[w]!;
    else for (let w = 0; w < words; w++) f.acc[w] = f.acc[w]! | s[w]!;
  };
  let result: Codes;
  if (expr.kind === 'check' || expr.kind === 'macro') result = leaf(expr, false);
  else {
    const stack: Frame[] = [{ node: expr, neg: false, next: 0, acc: undefined }];
    result = new Uint32Array(words);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const kids = top.node.kind === 'not' ? [top.node.child] : top.node.kind === 'and' || top.node.kind === 'or' ? top.node.children : [];
      if (top.next < kids.length) {
        const k = kids[top.next++]!;
        const neg = top.node.kind === 'not' ? !top.neg : top.neg;
        if (k.kind === 'check' || k.kind === 'macro') combine(top, leaf(k, neg));
        else stack.push({ node: k, neg, next: 0, acc: undefined });
        continue;
      }
      stack.pop();
      const s = top.acc ?? (top.node.kind === 'and' ? ALL() : new Uint32Array(words));
      if (stack.length) combine(stack[stack.length - 1]!, s);
      else result = s;
    }
  }

  const out = new Set<string>();
  for (const [n, i] of index) if ((result[i >>> 5]! >>> (i & 31)) & 1) out.add(n);
  let codes = 0;
  if (table) {
    let shared = false;
    for (const n of out) {
      if (table.shared?.(n)) {
        if (!shared) codes += table.codes(n);
        shared = true;
      } else codes += table.codes(n);
    }
  } else codes = out.size * 2;
  return Object.assign(out, { matchesAll: out.size === size && size > 0, tooMany: codes > 100 }) as EventTypeSet;
}
