/**
 * Rule output formats (Falco's sinsp_evt_formatter, as in Falco 0.42): literal text and
 * `%field` tokens, with an optional width (`%20proc.name`), transformers (`%tolower(proc.name)`),
 * bracket or dotted arguments (`%proc.aname[2]`, `%evt.arg.flags`), and `%(field)`.
 * A leading `*` allows missing values (Falco prints `<NA>` for them either way here).
 *
 * Field names match by longest prefix, as in libsinsp: `%proc.names` is `proc.name` then "s".
 */
import type { FieldCatalog, FieldInfo } from '../catalog.js';
import type { TransformerName } from '../condition/ast.js';
import { transformer } from '../condition/predicates.js';

export type OutputToken = { kind: 'text'; text: string } | OutputFieldToken;

export interface OutputFieldToken {
  kind: 'field';
  /** The token as written without transformers, e.g. `proc.aname[2]`: Falco's key for output fields. */
  name: string;
  /** With transformers, e.g. `tolower(proc.name)`; equal to `name` without. */
  fullName: string;
  field: FieldInfo;
  arg: string | undefined;
  transforms: TransformerName[];
  /** `%20x`: pad/truncate the rendered value to this many characters (0 = as is). */
  width: number;
  /** Offset of the `%` in the format string. */
  offset: number;
}

export interface ParsedOutput {
  tokens: OutputToken[];
  /** False when the format started with `*` (Falco: missing values allowed). */
  requireAll: boolean;
}

/** Error with Falco's formatter message; `unknown` marks "invalid formatting token" (skip-if-unknown-filter). */
export class OutputError extends Error {
  readonly code = 'LOAD_ERR_COMPILE_OUTPUT';
  constructor(
    message: string,
    readonly offset: number,
    readonly unknown = false,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}

const TRANSFORMERS: readonly TransformerName[] = ['tolower', 'toupper', 'b64', 'basename', 'len'];

/** Sorted field names by length, longest first, cached per catalog, for prefix matching. */
const namesByCatalog = new WeakMap<FieldCatalog, FieldInfo[]>();
function fieldsLongestFirst(catalog: FieldCatalog): FieldInfo[] {
  let l = namesByCatalog.get(catalog);
  if (!l) {
    l = catalog.all().slice().sort((a, b) => b.name.length - a.name.length);
    namesByCatalog.set(catalog, l);
  }
  return l;
}

function matchField(catalog: FieldCatalog, text: string, at: number): FieldInfo | undefined {
  // fast path: read a dotted identifier and try its prefixes through lookup
  const m = /^[a-zA-Z0-9_.]+/.exec(text.slice(at, at + 200));
  if (m) {
    let s = m[0];
    while (s.length > 0) {
      const f = catalog.lookup(s);
      if (f) return f;
      s = s.slice(0, -1);
    }
  }
  for (const f of fieldsLongestFirst(catalog)) if (text.startsWith(f.name, at)) return f;
  return undefined;
}

/** Parse and check a format string against a catalog. Throws OutputError. */
export function parseOutput(format: string, catalog: FieldCatalog): ParsedOutput {
  if (format.length === 0) throw new OutputError('empty formatting token', 0);
  let requireAll = true;
  let fmt = format;
  let base = 0;
  if (fmt[0] === '*') {
    requireAll = false;
    fmt = fmt.slice(1);
    base = 1;
  }
  const tokens: OutputToken[] = [];
  let textStart = 0;
  let j = 0;
  for (; j < fmt.length; j++) {
    if (fmt[j] !== '%') continue;
    if (textStart !== j) tokens.push({ kind: 'text', text: fmt.slice(textStart, j) });
    const start = j;
    if (j === fmt.length - 1) throw new OutputError('invalid formatting syntax: formatting cannot end with a %', base + j);
    let width = 0;
    if (/[0-9]/.test(fmt[j + 1]!)) {
      const m = /^[0-9]+/.exec(fmt.slice(j + 1))!;
      width = Number.parseInt(m[0], 10);
      if (j + m[0].length >= fmt.length - 1) {
        throw new OutputError('invalid formatting syntax: formatting cannot end with a number', base + j);
      }
      j += m[0].length;
    }
    // transformers (no blanks allowed), or `(` around the field
    const transforms: TransformerName[] = [];
    let closers = 0;
    let paren = false;
    for (;;) {
      const rest = fmt.slice(j + 1);
      const t = TRANSFORMERS.find((n) => rest.startsWith(`${n}(`));
      if (t) {
        transforms.push(t);
        j += t.length + 1;
        closers++;
        continue;
      }
      if (transforms.length === 0 && !paren && rest.startsWith('(')) {
        paren = true;
        j += 1;
        closers++;
        continue;
      }
      break;
    }
    const fstart = j + 1;
    const f = matchField(catalog, fmt, fstart);
    if (!f) throw new OutputError(`invalid formatting token ${fmt.slice(fstart)}`, base + fstart, true);
    let end = fstart + f.name.length;
    let arg: string | undefined;
    if (f.arg !== 'none' && fmt[end] === '[') {
      const close = fmt.indexOf(']', end);
      if (close < 0) throw new OutputError(`the field '${f.name}' requires an argument but ']' is not found`, base + end);
      arg = fmt.slice(end + 1, close);
      end = close + 1;
    } else if (f.arg !== 'none' && f.dotArg && fmt[end] === '.') {
      const rest = fmt.slice(end + 1);
      if (f.argNames) {
        // longest event parameter name that prefixes the rest (libsinsp find_longest_matching_evt_param)
        let best = '';
        for (const n of f.argNames) if (n.length > best.length && rest.startsWith(n)) best = n;
        if (!best) throw new OutputError(`unknown event argument ${rest}`, base + end + 1);
        arg = best;
      } else {
        const m = /^[A-Za-z0-9_.\-/]+/.exec(rest);
        if (!m) throw new OutputError(`invalid formatting token ${fmt.slice(fstart)}`, base + fstart, true);
        arg = m[0];
      }
      end += 1 + arg.length;
    }
    if (f.arg === 'required' && arg === undefined) {
      throw new OutputError(`invalid formatting token ${fmt.slice(fstart)}`, base + fstart, true);
    }
    if (f.filterOnly) throw new OutputError(`${fmt.slice(fstart)} is filter only and cannot be used as a display field`, base + fstart);
    const name = fmt.slice(fstart, end);
    j = end - 1;
    for (let k = 0; k < closers; k++) {
      if (fmt[j + 1] !== ')') {
        throw new OutputError(`missing closing transformer parenthesis: ${fmt.slice(j)}`, base + j);
      }
      j++;
    }
    if (transforms.length && f.noTransformer) {
      throw new OutputError(`field '${f.name}' does not support transformers`, base + start);
    }
    const fullName = transforms.length ? fmt.slice(start + 1 + String(width || '').length, j + 1) : name;
    tokens.push({ kind: 'field', name, fullName, field: f, arg, transforms, width, offset: base + start });
    textStart = j + 1;
  }
  if (textStart < fmt.length) tokens.push({ kind: 'text', text: fmt.slice(textStart) });
  return { tokens, requireAll };
}

/** Falco prints this for a value that is not available. */
export const NOT_AVAILABLE = '<NA>';

/** Render one extracted value as Falco prints it in text outputs. */
export function renderValue(v: unknown, field: FieldInfo, arg: string | undefined): string {
  if (v === null || v === undefined) return NOT_AVAILABLE;
  if (typeof v === 'string') return v;
  // libsinsp prints doubles (proc.fdusage, thread.cpu) with one decimal ("%.1lf")
  if (typeof v === 'number' && field.type === 'double') return v.toFixed(1);
  if (typeof v === 'number' || typeof v === 'bigint') return field.padded ? String(v).padStart(9, '0') : field.hex ? v.toString(16).toUpperCase() : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) {
    let s = '';
    for (const b of v) s += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
    return s;
  }
  if (Array.isArray(v)) {
    const parts = v.map((x) => renderValue(x, field, undefined));
    // ancestor fields without argument print their values space-separated; list fields as (a,b)
    if (field.matchAnyWithoutArg && arg === undefined) return parts.join(' ');
    return `(${parts.join(',')})`;
  }
  return String(v);
}

export interface OutputFieldValue {
  /** Key as Falco's output_fields uses it (`proc.name`, `proc.aname[2]`, `tolower(proc.name)`). */
  key: string;
  token: OutputFieldToken;
  /** True for the transformed variant of a field (Falco resolves it only when asked). */
  transformed: boolean;
}

export interface CompiledOutput {
  /** Render the whole output line for one event. */
  format(cursor: unknown): string;
  /**
   * The line as sysdig prints it with `-p`: undefined when a field has no value and the format
   * does not start with `*` (sysdig skips such events; Falco prints `<NA>`, see `format`).
   */
  formatComplete(cursor: unknown): string | undefined;
  /** The distinct fields of the format, for JSON `output_fields` (untransformed first, as Falco). */
  fields: OutputFieldValue[];
  /** Values of `fields` for one event, rendered as strings (`<NA>` when missing). */
  values(cursor: unknown, includeTransformed?: boolean): Record<string, string>;
  requireAll: boolean;
}

export interface OutputExtractorProvider {
  extractor(field: FieldInfo, arg: string | undefined): (cursor: unknown) => unknown;
}

/** Parse, check and compile a format into a formatter. Throws OutputError. */
export function compileOutput(format: string, catalog: FieldCatalog, provider: OutputExtractorProvider): CompiledOutput {
  const parsed = parseOutput(format, catalog);
  const renderers: Array<(c: unknown) => string> = [];
  /** Extractors of the format's field tokens, to tell whether every value is there. */
  const extractors: Array<(c: unknown) => unknown> = [];
  const fields: OutputFieldValue[] = [];
  const byKey = new Map<string, (c: unknown) => string>();
  for (const t of parsed.tokens) {
    if (t.kind === 'text') {
      const s = t.text;
      renderers.push(() => s);
      continue;
    }
    const ex = provider.extractor(t.field, t.arg);
    extractors.push(ex);
    const raw = (c: unknown): string => renderValue(ex(c), t.field, t.arg);
    const tr = transformer(t.transforms);
    const shown = tr
      ? (c: unknown): string => {
          const v = ex(c);
          if (v == null) return NOT_AVAILABLE;
          return renderValue(Array.isArray(v) ? v.map((x) => tr(x)) : tr(v), t.field, t.arg);
        }
      : raw;
    const w = t.width;
    renderers.push(w ? (c) => shown(c).slice(0, w).padEnd(w, ' ') : shown);
    if (!byKey.has(t.name)) {
      byKey.set(t.name, raw);
      fields.push({ key: t.name, token: t, transformed: false });
    }
    if (t.transforms.length && !byKey.has(t.fullName)) {
      byKey.set(t.fullName, shown);
      fields.push({ key: t.fullName, token: t, transformed: true });
    }
  }
  return {
    format: (c) => {
      let s = '';
      for (const r of renderers) s += r(c);
      return s;
    },
    formatComplete: (c) => {
      if (parsed.requireAll) for (const ex of extractors) if (ex(c) == null) return undefined;
      let s = '';
      for (const r of renderers) s += r(c);
      return s;
    },
    fields,
    values: (c, includeTransformed = false) => {
      const out: Record<string, string> = {};
      for (const f of fields) if (includeTransformed || !f.transformed) out[f.key] = byKey.get(f.key)!(c);
      return out;
    },
    requireAll: parsed.requireAll,
  };
}

/**
 * Check a format against a catalog without compiling: returns undefined or the first problem
 * (Falco reports it as LOAD_ERR_COMPILE_OUTPUT; `unknown` ones become LOAD_UNKNOWN_FILTER
 * warnings under skip-if-unknown-filter).
 */
export function checkOutput(format: string, catalog: FieldCatalog): OutputError | undefined {
  try {
    parseOutput(format, catalog);
    return undefined;
  } catch (e) {
    if (e instanceof OutputError) return e;
    throw e;
  }
}
