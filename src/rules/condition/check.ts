/**
 * checkCondition: validate a (resolved) condition against a field catalog, with libsinsp's
 * messages (filter.cpp, filter_compare.cpp, sinsp_filtercheck*.cpp). Never throws.
 */
import { splitFieldName, type FieldCatalog, type FieldInfo, type FieldType } from '../catalog.js';
import { LIST_OPERATORS, type CheckExpr, type Expr, type Operand, type Pos, type TransformerName } from './ast.js';
import type { ConditionProblem } from './errors.js';
import { regexMatcher } from './matchers.js';
import { ptName, typeClass } from './types.js';
import { parseConst, unhex } from './values.js';
import { forEachNode } from './walk.js';

/** What an operand (field, possibly transformed) yields. */
export interface OperandInfo {
  field: FieldInfo;
  /** Bracket or dotted argument. */
  arg: string | undefined;
  /** Transformers in application order (innermost first); `val` is dropped. */
  transforms: TransformerName[];
  /** Type and list-ness after transformers. */
  type: FieldType;
  isList: boolean;
  /** Field name as libsinsp prints it in messages (the catalog name). */
  name: string;
  /** `proc.aname` etc. without argument: the comparison holds if it holds for any ancestor. */
  anyOf: boolean;
}

class CheckFailure extends Error {
  constructor(
    message: string,
    readonly pos: Pos,
    readonly unknown = false,
  ) {
    super(message);
  }
}

const fieldText = (name: string, arg: string | undefined): string => (arg === undefined ? name : `${name}[${arg}]`);

/** Resolve an operand against the catalog; throws CheckFailure. */
function analyzeOperand(op: Operand, catalog: FieldCatalog): OperandInfo {
  const chain: Array<{ name: TransformerName | 'val'; arg?: string; pos: Pos }> = [];
  let cur: Operand = op;
  while (cur.kind === 'transform') {
    chain.push({ name: cur.name, ...(cur.arg !== undefined ? { arg: cur.arg } : {}), pos: cur.pos });
    cur = cur.value;
  }
  const ref = cur;
  const split = splitFieldName(catalog, ref.name);
  if (!split || (split.dotArg !== undefined && ref.arg !== undefined)) {
    throw new CheckFailure(`filter_check called with nonexistent field ${fieldText(ref.name, ref.arg)}`, ref.pos, true);
  }
  const f = split.field;
  const arg = ref.arg ?? split.dotArg;
  if (f.arg === 'none' && arg !== undefined) {
    throw new CheckFailure(`filter_check called with nonexistent field ${fieldText(ref.name, ref.arg)}`, ref.pos, true);
  }
  if (f.arg === 'required' && arg === undefined) {
    throw new CheckFailure(`filter syntax error: ${ref.name}`, ref.pos);
  }
  if (arg !== undefined) {
    const numeric = /^[+-]?\d+$/.test(arg);
    if (f.argKind === 'index' && !numeric) throw new CheckFailure(`${arg} is not a valid number`, ref.pos);
    if (f.argNames && !numeric && !f.argNames.includes(arg)) {
      // libsinsp takes the longest parameter name prefixing the text; leftovers make the whole name unknown
      if (f.argNames.some((n) => arg.startsWith(n))) {
        throw new CheckFailure(`filter_check called with nonexistent field ${fieldText(ref.name, ref.arg)}`, ref.pos, true);
      }
      throw new CheckFailure(`unknown event argument ${arg}`, ref.pos);
    }
  }
  let type = f.type;
  let isList = !!f.isList;
  // evt.arg[N]/evt.rawarg: dynamic types compare as strings here
  if (type === 'dyn') type = 'charbuf';
  const transforms: TransformerName[] = [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const t = chain[i]!;
    if (t.name === 'val') {
      if (t.arg !== undefined) throw new CheckFailure("filter error: transformer 'val' does not support field arguments", t.pos);
      continue;
    }
    if (t.arg !== undefined) throw new CheckFailure(`filter error: transformer '${t.name}' does not support field arguments`, t.pos);
    if (f.noTransformer) throw new CheckFailure(`field '${f.name}' does not support transformers`, t.pos);
    const cls = typeClass(type);
    let ok = false;
    let next: FieldType = type;
    switch (t.name) {
      case 'tolower':
      case 'toupper':
      case 'basename':
        ok = cls === 'string';
        break;
      case 'b64':
        ok = cls === 'string' || cls === 'buffer';
        break;
      case 'len':
        if (isList) {
          ok = true;
          next = 'uint64';
        } else if (cls === 'string' || cls === 'buffer') {
          ok = true;
          next = 'uint64';
        }
        break;
    }
    if (!ok) {
      throw new CheckFailure(
        `can't add field transformer: type '${ptName(type)}' is not supported by '${t.name}' transformer applied on ${isList ? 'list ' : ''}field '${f.name}'`,
        t.pos,
      );
    }
    if (t.name === 'len') isList = false;
    type = next;
    transforms.push(t.name);
  }
  return { field: f, arg, transforms, type, isList, name: f.name, anyOf: !!f.matchAnyWithoutArg && arg === undefined };
}

const OPS_NUMERIC = ['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'exists'];
const OPS_BOOL = ['=', '==', '!=', 'in', 'intersects', 'exists'];
const OPS_STRING = ['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'in', 'exists', 'icontains', 'startswith', 'glob', 'pmatch', 'endswith', 'intersects', 'iglob', 'regex'];
const OPS_BUFFER = ['=', '==', '!=', 'contains', 'in', 'exists', 'startswith', 'endswith', 'intersects', 'bcontains', 'bstartswith'];
const OPS_IP = ['=', '==', '!=', 'in', 'exists', 'intersects'];
const OPS_LIST = ['in', 'exists', 'intersects'];

/** flt_is_comparable: returns Falco's message when the operator does not fit the type. */
function comparableError(op: string, type: FieldType, isList: boolean): string | undefined {
  if (op === 'exists') return undefined;
  const name = op === '==' ? '=' : op;
  if (isList) {
    const cls = typeClass(type);
    const okType = ['string', 'bool', 'ipaddr', 'ipnet'].includes(cls) || type === 'uint64' || type === 'reltime' || type === 'abstime';
    if (!okType || type === 'fspath' || type === 'fsrelpath') return `list filters are not supported for type '${ptName(type)}'`;
    return OPS_LIST.includes(op) ? undefined : `'${name}' operator not supported list filters`;
  }
  switch (typeClass(type)) {
    case 'int':
    case 'uint':
    case 'double':
    case 'port':
      return OPS_NUMERIC.includes(op) ? undefined : `'${name}' operator not supported for numeric filters`;
    case 'bool':
      return OPS_BOOL.includes(op) ? undefined : `'${name}' operator not supported for numeric filters`;
    case 'ipaddr':
    case 'ipnet':
      return OPS_IP.includes(op) ? undefined : `'${name}' operator not supported for ip address and network filters`;
    case 'string':
      return OPS_STRING.includes(op) ? undefined : `'${name}' operator not supported for string filters`;
    case 'buffer':
      return OPS_BUFFER.includes(op) ? undefined : `'${name}' operator not supported for buffer filters`;
    default:
      return `'${name}' operator not supported for type '${ptName(type)}'`;
  }
}

const FALCO_OP_NAME: Record<string, string> = { pmatch: 'PMATCH', regex: 'REGEX' };
const TRANSFORMER_NAMES = ['val', 'tolower', 'toupper', 'b64', 'basename', 'len'];
const REGEX_SPECIAL = '.+*?^$()[]{}|\\';

/** sinsp_filter_compiler::check_warnings_regex_value */
function regexWarning(v: string): string | undefined {
  const len = v.length;
  for (let i = 0; i < len; i++) {
    if ((i === 0 && v[i] === '^') || (i === len - 1 && v[i] === '$')) continue;
    if (((i === 0 && len > 1) || i === len - 2) && v[i] === '.' && '+*?'.includes(v[i + 1] ?? '')) {
      i++;
      continue;
    }
    if (REGEX_SPECIAL.includes(v[i]!)) return undefined;
  }
  return `regex check with '${v}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'`;
}

const eventNameSets = new WeakMap<FieldCatalog, Set<string>>();
function eventNameSet(catalog: FieldCatalog): Set<string> | undefined {
  if (!catalog.eventTypes) return undefined;
  let s = eventNameSets.get(catalog);
  if (!s) eventNameSets.set(catalog, (s = new Set(catalog.eventTypes.names)));
  return s;
}

export interface CheckedCheck {
  check: CheckExpr;
  left: OperandInfo;
  /** Right-hand field, for `val(...)`/transformer comparisons. */
  rightField?: OperandInfo;
}

/**
 * Analyse one check. Returns the operand info or throws CheckFailure. Also used by the compiler.
 * Warnings are pushed to `warnings` if given.
 */
export function analyzeCheck(c: CheckExpr, catalog: FieldCatalog, warnings?: ConditionProblem[]): CheckedCheck {
  const left = analyzeOperand(c.left, catalog);
  const cmpErr = comparableError(c.op, left.type, left.isList);
  if (cmpErr) throw new CheckFailure(`filter error: ${cmpErr}`, c.pos);
  const out: CheckedCheck = { check: c, left };
  const r = c.right;
  if (!r) return out;
  if (r.kind === 'field' || r.kind === 'transform') {
    const right = analyzeOperand(r, catalog);
    if (c.op === 'pmatch' || c.op === 'regex') {
      throw new CheckFailure(`operator '${FALCO_OP_NAME[c.op]}' doesn't support right-hand side fields`, r.pos);
    }
    if (typeClass(left.type) === 'ipnet') throw new CheckFailure("field type 'IPNET' doesn't support right-hand side fields", r.pos);
    if (left.field.noRhs) throw new CheckFailure(`field '${left.name}' doesn't support right-hand side fields`, r.pos);
    if (right.field.noRhs) throw new CheckFailure(`field '${right.name}' can't be used as a right-hand side field`, r.pos);
    if (ptName(left.type) !== ptName(right.type) || left.isList !== right.isList) {
      throw new CheckFailure(
        `field '${left.name}' has type '${ptName(left.type)}${left.isList ? ' (list)' : ''}' while the right-hand side field '${right.name}' has incompatible type '${ptName(right.type)}${right.isList ? ' (list)' : ''}'`,
        r.pos,
      );
    }
    out.rightField = right;
    return out;
  }
  const values = r.kind === 'list' ? r.items.map((i) => ({ value: i.value, pos: i.pos })) : [{ value: r.value, pos: r.pos }];
  const isEvtType = c.left.kind === 'field' && c.left.name === 'evt.type' && c.left.arg === undefined;
  const eventNames = isEvtType ? eventNameSet(catalog) : undefined;
  for (const v of values) {
    if (warnings) {
      if (c.op === 'regex') {
        const w = regexWarning(v.value);
        if (w) warnings.push({ code: 'LOAD_COMPILE_CONDITION', message: w, pos: v.pos });
      }
      const nospaces = v.value.replace(/\s+/g, '');
      if (nospaces && splitFieldName(catalog, nospaces.replace(/\[.*$/, '')) && /^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+(\[.*\])?$/.test(nospaces)) {
        warnings.push({ code: 'LOAD_COMPILE_CONDITION', message: `'${v.value}' may be a valid field misused as a const string value`, pos: v.pos });
      }
      for (const t of TRANSFORMER_NAMES) {
        if (nospaces.length >= t.length + 2 && nospaces.startsWith(t) && nospaces[t.length] === '(' && nospaces.endsWith(')')) {
          warnings.push({
            code: 'LOAD_COMPILE_CONDITION',
            message: `'${v.value}' may be a valid field transformer misused as a const string value`,
            pos: v.pos,
          });
        }
      }
    }
    if (c.op === 'bcontains' || c.op === 'bstartswith') {
      if (!unhex(v.value)) throw new CheckFailure('filter error: bcontains and bstartswith operator support hex strings only', v.pos);
      continue;
    }
    try {
      parseConst(v.value, left.type);
    } catch (e) {
      throw new CheckFailure((e as Error).message, v.pos);
    }
    if (c.op === 'regex') {
      try {
        regexMatcher(v.value);
      } catch (e) {
        throw new CheckFailure((e as Error).message, v.pos);
      }
    }
    if (eventNames && !eventNames.has(v.value)) throw new CheckFailure(`unknown event type ${v.value}`, v.pos, true);
    // libsinsp (sinsp_filter_check_event::parse_filter_value): evt.around[T]=D only.
    if (left.field.name === 'evt.around' && c.op !== '=' && c.op !== '==') throw new CheckFailure("evt.around supports only '=' comparison operator", v.pos);
  }
  if (r.kind === 'list' && !LIST_OPERATORS.includes(c.op as never) && r.items.length !== 1) {
    throw new CheckFailure(`filter error: operator '${c.op}' requires a single value`, r.pos);
  }
  return out;
}

/**
 * Check every comparison of a resolved condition against `catalog`. Errors carry Falco's
 * messages and LOAD_ERR_COMPILE_CONDITION; `unknown: true` marks unknown fields/event types
 * (skip-if-unknown-filter turns those into LOAD_UNKNOWN_FILTER warnings). Warnings are
 * LOAD_COMPILE_CONDITION (regex that could be a simpler operator, field names or transformers
 * used as string constants). Problems are in source order; Falco reports only the first error.
 */
export function checkCondition(expr: Expr, catalog: FieldCatalog): { errors: ConditionProblem[]; warnings: ConditionProblem[] } {
  const errors: ConditionProblem[] = [];
  const warnings: ConditionProblem[] = [];
  forEachNode(expr, (e) => {
    if (e.kind === 'macro') {
      errors.push({ code: 'LOAD_ERR_COMPILE_CONDITION', message: `filter error: unexpected identifier '${e.name}'`, pos: e.pos });
      return;
    }
    if (e.kind !== 'check') return;
    try {
      analyzeCheck(e, catalog, warnings);
    } catch (err) {
      if (err instanceof CheckFailure) {
        const p: ConditionProblem = { code: 'LOAD_ERR_COMPILE_CONDITION', message: err.message, pos: err.pos };
        if (err.unknown) p.unknown = true;
        errors.push(p);
      } else throw err;
    }
  });
  return { errors, warnings };
}

export { CheckFailure };
