/**
 * Pure predicates over one extracted value: `(value) => boolean` for a comparison with constant
 * right-hand values. Missing values (null/undefined) never match, as in Falco.
 */
import type { FieldType } from '../catalog.js';
import type { Operator, TransformerName } from './ast.js';
import { asciiLower, asciiUpper, globMatcher, pmatchMatcher, regexMatcher } from './matchers.js';
import { typeClass } from './types.js';
import { inNet, ipOf, normInt, parseConst, unhex, type Const, type IpNet } from './values.js';

export type Pred = (v: unknown) => boolean;

const enc = new TextEncoder();
const toBytes = (v: unknown): Uint8Array | undefined =>
  v instanceof Uint8Array ? v : typeof v === 'string' ? enc.encode(v) : undefined;

function bytesIndexOf(h: Uint8Array, n: Uint8Array): number {
  if (n.length === 0) return 0;
  outer: for (let i = 0; i + n.length <= h.length; i++) {
    for (let j = 0; j < n.length; j++) if (h[i + j] !== n[j]) continue outer;
    return i;
  }
  return -1;
}
const bytesEq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && bytesIndexOf(a, b) === 0;

/** Normalise an extracted scalar for a type class (strings for text, number|bigint for ints...). */
export function normalizer(type: FieldType): (v: unknown) => unknown {
  switch (typeClass(type)) {
    case 'string':
      return (v) => (v == null ? v : typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v));
    case 'int':
    case 'uint':
    case 'port':
      return (v) =>
        typeof v === 'bigint'
          ? normInt(v)
          : typeof v === 'boolean'
            ? (v ? 1 : 0)
            : typeof v === 'string' && /^[+-]?\d+$/.test(v)
              ? normInt(BigInt(v))
              : v;
    case 'double':
      return (v) => (typeof v === 'bigint' ? Number(v) : v);
    case 'bool':
      return (v) => (v == null ? v : v === true || v === 1 || v === 1n || v === 'true');
    default:
      return (v) => v;
  }
}

/** Apply transformers to one value; undefined means "transformation failed" (no match). */
export function transformer(names: readonly TransformerName[]): ((v: unknown) => unknown) | undefined {
  if (names.length === 0) return undefined;
  const steps = names.map((n): ((v: unknown) => unknown) => {
    switch (n) {
      case 'tolower':
        return (v) => (typeof v === 'string' ? asciiLower(v) : v);
      case 'toupper':
        return (v) => (typeof v === 'string' ? asciiUpper(v) : v);
      case 'basename':
        return (v) => (typeof v === 'string' ? v.slice(v.lastIndexOf('/') + 1) : v);
      case 'b64':
        return (v) => {
          const s = typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : undefined;
          if (s === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
          return Buffer.from(s, 'base64').toString('latin1');
        };
      case 'len':
        return (v) =>
          Array.isArray(v) ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : v instanceof Uint8Array ? v.length : v == null ? 0 : undefined;
    }
  });
  return (v) => {
    for (const s of steps) {
      if (v === undefined) return undefined;
      v = s(v);
    }
    return v;
  };
}

/** Set key for `in`/`intersects` lookups. */
const setKey = (c: Const): unknown => c;

/**
 * Predicate for `value <op> constants` on a non-list value of `type` (already normalised).
 * Throws Error with Falco's message for unparsable constants (checkCondition reports them first).
 */
export function scalarPredicate(op: Operator, type: FieldType, values: readonly string[]): Pred {
  const cls = typeClass(type);
  if (op === 'exists') return (v) => v != null;
  if (cls === 'ipaddr' || cls === 'ipnet') {
    const nets = values.map((s) => parseConst(s, type) as IpNet);
    const any = (v: unknown): boolean => {
      const ip = ipOf(v);
      return !!ip && nets.some((n) => inNet(ip, n));
    };
    if (op === '!=') return (v) => v != null && !any(v);
    return (v) => v != null && any(v);
  }
  if (cls === 'buffer') {
    const consts = values.map((s) => (op === 'bcontains' || op === 'bstartswith' ? unhex(s)! : enc.encode(s)));
    const k = consts[0]!;
    switch (op) {
      case '=':
      case '==':
        return (v) => { const b = toBytes(v); return !!b && bytesEq(b, k); };
      case '!=':
        return (v) => { const b = toBytes(v); return !!b && !bytesEq(b, k); };
      case 'contains':
      case 'bcontains':
        return (v) => { const b = toBytes(v); return !!b && bytesIndexOf(b, k) >= 0; };
      case 'startswith':
      case 'bstartswith':
        return (v) => { const b = toBytes(v); return !!b && b.length >= k.length && bytesEq(b.subarray(0, k.length), k); };
      case 'endswith':
        return (v) => { const b = toBytes(v); return !!b && b.length >= k.length && bytesEq(b.subarray(b.length - k.length), k); };
      case 'in':
      case 'intersects':
        return (v) => { const b = toBytes(v); return !!b && consts.some((c) => bytesEq(b, c)); };
      default:
        return () => false;
    }
  }
  if (cls === 'string' || cls === 'other') {
    const k = values[0] ?? '';
    switch (op) {
      case '=':
      case '==':
        return (v) => v === k;
      case '!=':
        return (v) => v != null && v !== k;
      case '<':
        return (v) => typeof v === 'string' && v < k;
      case '<=':
        return (v) => typeof v === 'string' && v <= k;
      case '>':
        return (v) => typeof v === 'string' && v > k;
      case '>=':
        return (v) => typeof v === 'string' && v >= k;
      case 'contains':
        return (v) => typeof v === 'string' && v.includes(k);
      case 'icontains': {
        const lk = asciiLower(k);
        return (v) => typeof v === 'string' && asciiLower(v).includes(lk);
      }
      case 'startswith':
        return (v) => typeof v === 'string' && v.startsWith(k);
      case 'endswith':
        return (v) => typeof v === 'string' && v.endsWith(k);
      case 'glob': {
        const m = globMatcher(k);
        return (v) => typeof v === 'string' && m(v);
      }
      case 'iglob': {
        const m = globMatcher(k, true);
        return (v) => typeof v === 'string' && m(v);
      }
      case 'regex': {
        const m = regexMatcher(k);
        return (v) => typeof v === 'string' && m(v);
      }
      case 'pmatch': {
        const m = pmatchMatcher(values);
        return (v) => typeof v === 'string' && m(v);
      }
      case 'in':
      case 'intersects': {
        if (values.length === 1) return (v) => v === k;
        const set = new Set(values);
        return (v) => typeof v === 'string' && set.has(v);
      }
      default:
        return () => false;
    }
  }
  // numbers and booleans: constants parsed once
  const consts = values.map((s) => parseConst(s, type));
  const k = consts[0] as number | bigint | boolean;
  switch (op) {
    case '=':
    case '==':
      // loose equality compares number and bigint by value
      // eslint-disable-next-line eqeqeq
      return (v) => v != null && v == k;
    case '!=':
      // eslint-disable-next-line eqeqeq
      return (v) => v != null && v != k;
    case '<':
      return (v) => v != null && (v as number) < (k as number);
    case '<=':
      return (v) => v != null && (v as number) <= (k as number);
    case '>':
      return (v) => v != null && (v as number) > (k as number);
    case '>=':
      return (v) => v != null && (v as number) >= (k as number);
    case 'in':
    case 'intersects': {
      const set = new Set(consts.map(setKey));
      return (v) => v != null && set.has(v);
    }
    default:
      return () => false;
  }
}

/**
 * The full pure predicate for one check over the raw extracted value: transformers,
 * normalisation, list semantics (`in`: every element in the set; `intersects`: some element),
 * and any-of semantics for ancestor fields without argument.
 */
export function valuePredicate(opts: {
  op: Operator;
  /** type of the raw extracted value and after transformers */
  type: FieldType;
  isList: boolean;
  /** the raw value is an array whose elements are each compared (ancestor fields without arg) */
  anyOf: boolean;
  transforms: readonly TransformerName[];
  values: readonly string[];
}): Pred {
  const tr = transformer(opts.transforms);
  const norm = normalizer(opts.type);
  if (opts.isList) {
    // list-valued field (after transformers still a list): only in / intersects / exists
    if (opts.op === 'exists') return (v) => v != null;
    const elem = scalarPredicate('in', opts.type, opts.values);
    const conv = (x: unknown): unknown => norm(tr ? tr(x) : x);
    if (opts.op === 'in') return (v) => Array.isArray(v) && v.every((x) => elem(conv(x)));
    return (v) => Array.isArray(v) && v.some((x) => elem(conv(x)));
  }
  const p = scalarPredicate(opts.op, opts.type, opts.values);
  const one: Pred = tr
    ? (v) => {
        if (v == null) return false;
        const t = tr(v);
        return t !== undefined && p(norm(t));
      }
    : (v) => v != null && p(norm(v));
  if (opts.anyOf) return (v) => (Array.isArray(v) ? v.some(one) : one(v));
  return one;
}

/** Comparison of two extracted values (`val(...)` or a transformer on the right). */
export function dynamicCompare(op: Operator, type: FieldType, isList: boolean): (a: unknown, b: unknown) => boolean {
  const norm = normalizer(type);
  if (isList || op === 'in' || op === 'intersects') {
    return (a, b) => {
      if (a == null || b == null) return false;
      const bs = new Set((Array.isArray(b) ? b : [b]).map(norm));
      const as = Array.isArray(a) ? a.map(norm) : [norm(a)];
      return op === 'in' ? as.every((x) => bs.has(x)) : as.some((x) => bs.has(x));
    };
  }
  return (a, b) => {
    if (a == null || b == null) return false;
    const k = norm(b);
    const v = norm(a);
    if (typeof k === 'string' && typeof v === 'string') {
      switch (op) {
        case '=':
        case '==':
          return v === k;
        case '!=':
          return v !== k;
        case '<':
          return v < k;
        case '<=':
          return v <= k;
        case '>':
          return v > k;
        case '>=':
          return v >= k;
        case 'contains':
          return v.includes(k);
        case 'icontains':
          return asciiLower(v).includes(asciiLower(k));
        case 'startswith':
          return v.startsWith(k);
        case 'endswith':
          return v.endsWith(k);
        case 'glob':
          return globMatcher(k)(v);
        case 'iglob':
          return globMatcher(k, true)(v);
        default:
          return false;
      }
    }
    switch (op) {
      case '=':
      case '==':
        // eslint-disable-next-line eqeqeq
        return v == k;
      case '!=':
        // eslint-disable-next-line eqeqeq
        return v != k;
      case '<':
        return (v as number) < (k as number);
      case '<=':
        return (v as number) <= (k as number);
      case '>':
        return (v as number) > (k as number);
      case '>=':
        return (v as number) >= (k as number);
      default:
        return false;
    }
  };
}
