/**
 * `tsfalco fields` / `falco --list`: field classes rendered as libsinsp renders them
 * (text with a 30-column left block wrapped at 120, or JSON).
 */
import type { FieldCatalog, FieldClassInfo, FieldInfo } from '../../rules/catalog.js';
import { ptName } from '../../rules/condition/types.js';

export interface ListOptions {
  /** Keep only fields whose name contains this text, or whole classes with this name. */
  filter?: string;
  /** Prefix descriptions with `(Type: T)` (falco --list -v). */
  verbose?: boolean;
  /** Print field names only, one per line (falco --list -N). */
  namesOnly?: boolean;
  /** Include deprecated fields. */
  includeDeprecated?: boolean;
}

const LEFT = 30;
const WIDTH = 120;

function classesOf(catalog: FieldCatalog): FieldClassInfo[] {
  if (catalog.classes) return catalog.classes();
  const byClass = new Map<string, FieldInfo[]>();
  for (const f of catalog.all()) {
    const c = f.className ?? f.name.split('.')[0]!;
    byClass.set(c, [...(byClass.get(c) ?? []), f]);
  }
  return [...byClass].map(([name, fields]) => ({ name, desc: '', fields }));
}

/** The classes and fields a listing shows, after hidden/deprecated fields and the filter. */
export function selectFields(catalog: FieldCatalog, opts: ListOptions = {}): FieldClassInfo[] {
  const out: FieldClassInfo[] = [];
  for (const c of classesOf(catalog)) {
    const wholeClass = opts.filter !== undefined && opts.filter === c.name;
    const fields = c.fields.filter(
      (f) =>
        !f.hidden &&
        (opts.includeDeprecated || !f.deprecated) &&
        (opts.filter === undefined || wholeClass || f.name.includes(opts.filter)),
    );
    if (fields.length) out.push({ ...c, fields });
  }
  return out;
}

function wrap(text: string): string {
  let out = '';
  let len = 0;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const wl = word.length + 1;
    if (len + wl <= WIDTH - LEFT) len += wl;
    else {
      out += '\n' + ' '.repeat(LEFT);
      len = wl;
    }
    out += word + ' ';
  }
  return out;
}

export function fieldTypeName(f: FieldInfo): string {
  return ptName(f.type);
}

/** Text listing, one block per class, like `falco --list`. */
export function renderFieldList(catalog: FieldCatalog, opts: ListOptions = {}): string {
  const classes = selectFields(catalog, opts);
  if (opts.namesOnly) return classes.flatMap((c) => c.fields.map((f) => f.name + '\n')).join('');
  let s = '';
  for (const c of classes) {
    s += '-------------------------------\n';
    s += 'Field Class:'.padEnd(LEFT) + c.name + (c.shortDesc ? ` (${c.shortDesc})` : '') + '\n';
    if (c.desc) s += 'Description:'.padEnd(LEFT) + wrap(c.desc) + '\n';
    s += 'Event Sources:'.padEnd(LEFT) + catalog.source + ' \n\n';
    for (const f of c.fields) {
      s += f.name.length > LEFT ? `${f.name}\n${' '.repeat(LEFT)}` : f.name.padEnd(LEFT);
      let desc = f.desc;
      if (f.deprecated) desc = `(DEPRECATED) ${desc}`;
      if (opts.verbose) desc = `(Type: ${fieldTypeName(f)}) ${desc}`;
      s += wrap(desc) + '\n';
    }
    s += '\n';
  }
  return s;
}

/** JSON listing: an array of classes with name, desc, event_sources and fields (libsinsp's as_json shape). */
export function fieldListJson(catalog: FieldCatalog, opts: ListOptions = {}): unknown[] {
  return selectFields(catalog, opts).map((c) => ({
    name: c.name,
    ...(c.desc ? { desc: c.desc } : {}),
    event_sources: [catalog.source],
    fields: c.fields.map((f) => ({
      name: f.name,
      type: fieldTypeName(f),
      desc: f.desc,
      is_list: !!f.isList,
      ...(opts.includeDeprecated ? { is_deprecated: !!f.deprecated } : {}),
      argument:
        f.arg === 'none'
          ? null
          : {
              required: f.arg === 'required',
              type: f.argKind === 'index' ? ['INDEX'] : f.argKind === 'key' ? ['KEY'] : ['INDEX', 'KEY'],
            },
    })),
  }));
}
