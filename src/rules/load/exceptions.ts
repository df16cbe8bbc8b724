/**
 * Rule exceptions: validation of names/fields/comps, and their translation into condition text
 * appended to the rule's condition as `and not (...)`, exactly as Falco builds it (including
 * its quoting: an item is double-quoted only when it contains a space and is not already quoted).
 */
import { fail } from './result.js';
import type { ExceptionEntry, ExceptionInfo } from './types.js';

/** libsinsp's filter operators (`supported_operators()`). */
export const SUPPORTED_OPERATORS: readonly string[] = [
  'exists',
  '<=', '<', '>=', '>',
  '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex',
  'intersects', 'in', 'pmatch',
];

/** Operators whose right-hand side is a parenthesised list. */
export const LIST_OPERATORS: readonly string[] = ['intersects', 'in', 'pmatch'];

/** Whether a field expression (`proc.name`, `proc.aname[2]`, `tolower(proc.name)`) can be a left-hand side. */
export type FieldValidator = (field: string) => boolean;

function trimComp(s: string): string {
  return s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/**
 * Checks an exception against its rule's source and fills in default comps (`=` for each of a
 * list of fields, `in` for a single field). `isValidField` is absent for a rule of an unknown
 * source (then fields are not checked, as in Falco).
 */
export function validateException(isValidField: FieldValidator | undefined, ex: ExceptionInfo): void {
  if (ex.fields.isList) {
    if (!(ex.comps.isList ? ex.comps.items.length > 0 : ex.comps.item.length > 0)) {
      ex.comps = { isList: true, item: '', items: ex.fields.items.map(() => ({ isList: false, item: '=', items: [] })) };
    }
    if (ex.fields.items.length !== ex.comps.items.length) {
      fail('LOAD_ERR_VALIDATE', 'Fields and comps lists must have equal length', ex.ctx);
    }
    for (const c of ex.comps.items) {
      c.item = trimComp(c.item);
      if (!SUPPORTED_OPERATORS.includes(c.item)) {
        fail('LOAD_ERR_VALIDATE', `'${c.item}' is not a supported comparison operator`, ex.ctx);
      }
    }
    if (isValidField) {
      for (const f of ex.fields.items) {
        if (!isValidField(f.item)) fail('LOAD_ERR_VALIDATE', `'${f.item}' is not a supported filter field`, ex.ctx);
      }
    }
  } else {
    if (!(ex.comps.isList ? ex.comps.items.length > 0 : ex.comps.item.length > 0)) {
      ex.comps = { isList: false, item: 'in', items: [] };
    }
    if (ex.comps.isList) fail('LOAD_ERR_VALIDATE', 'Fields and comps must both be strings', ex.ctx);
    ex.comps.item = trimComp(ex.comps.item);
    if (!LIST_OPERATORS.includes(ex.comps.item)) {
      fail(
        'LOAD_ERR_VALIDATE',
        'When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)',
        ex.ctx,
      );
    }
    if (isValidField && !isValidField(ex.fields.item)) {
      fail('LOAD_ERR_VALIDATE', `'${ex.fields.item}' is not a supported filter field`, ex.ctx);
    }
  }
}

/** Falco's quoting of list and exception items (which, as Falco notes, ignores escaping). */
export function quoteItem(e: string): string {
  return e.includes(' ') && e[0] !== '"' && e[0] !== "'" ? `"${e}"` : e;
}

function parenItem(e: string): string {
  return e[0] !== '(' ? `(${e})` : e;
}

function valueText(v: ExceptionEntry, comp: string): string {
  if (v.isList) return '(' + v.items.map((i) => quoteItem(i.item)).join(', ') + ')';
  return LIST_OPERATORS.includes(comp) ? parenItem(v.item) : quoteItem(v.item);
}

/**
 * Wraps `condition` in parentheses and appends ` and not <exception>` for each exception that
 * has values. Returns the new condition and the fields the exceptions use.
 */
export function buildExceptionCondition(
  condition: string,
  exceptions: readonly ExceptionInfo[],
): { condition: string; fields: Set<string> } {
  const fields = new Set<string>();
  let out = '(' + condition + ')';
  for (const ex of exceptions) {
    let icond = '';
    if (!ex.fields.isList) {
      const parts: string[] = [];
      for (const val of ex.values) {
        if (val.isList) fail('LOAD_ERR_VALIDATE', 'Expected values array to contain a list of strings', ex.ctx);
        fields.add(ex.fields.item);
        parts.push(quoteItem(val.item));
      }
      if (parts.length) icond = `(${ex.fields.item} ${ex.comps.item} (${parts.join(', ')}))`;
    } else {
      const alts: string[] = [];
      for (const values of ex.values) {
        if (ex.fields.items.length !== values.items.length) {
          fail('LOAD_ERR_VALIDATE', 'Fields and values lists must have equal length', ex.ctx);
        }
        const terms: string[] = [];
        ex.fields.items.forEach((field, k) => {
          const comp = ex.comps.items[k]?.item ?? '=';
          terms.push(` ${field.item} ${comp} ${valueText(values.items[k]!, comp)}`);
          fields.add(field.item);
        });
        alts.push('(' + terms.join(' and ') + ')');
      }
      if (alts.length) icond = '(' + alts.join(' or ') + ')';
    }
    if (icond) out += ' and not ' + icond;
  }
  return { condition: out, fields };
}
