/**
 * Turns the `append_output:` configuration into the extra output text and extra fields the
 * loader applies to matching rules (by source, tags and rule name), as Falco's engine does.
 */
import type { AppendOutputEntry } from '../../config/falco-config.js';
import type { ExtraOutputField, ExtraOutputFormat } from './compile.js';
import type { LoaderSource } from './sources.js';

/** `container.id` -> `container_id=%container.id`, Falco's suggested-field format. */
export function suggestedFieldFormat(field: string): string {
  return `${field.replace(/\./g, '_')}=%${field}`;
}

export function appendOutputExtras(
  entries: readonly AppendOutputEntry[],
  sources: readonly LoaderSource[],
  /** The deprecated `-p` option: extra output text for every rule (`-p container`/`-p k` do nothing). */
  printAdditional?: string,
): { formats: ExtraOutputFormat[]; fields: ExtraOutputField[] } {
  const formats: ExtraOutputFormat[] = [];
  const fields: ExtraOutputField[] = [];
  for (const e of entries) {
    const match = { source: e.source, tags: e.tags, rule: e.rule };
    if (e.format !== '') formats.push({ format: e.format, ...match });
    if (e.suggestedOutput) {
      for (const src of sources) {
        if (e.source !== '' && src.name !== e.source) continue;
        for (const f of src.suggestedFields ?? []) formats.push({ format: suggestedFieldFormat(f), ...match, source: src.name });
      }
    }
    for (const [key, format] of Object.entries(e.formattedFields)) fields.push({ key, format, raw: false, ...match });
    for (const key of e.rawFields) fields.push({ key, format: `%${key}`, raw: true, ...match });
  }
  if (printAdditional && !['c', 'container', 'k', 'kubernetes'].includes(printAdditional)) {
    formats.push({ format: printAdditional, source: '', tags: [], rule: '' });
  }
  return { formats, fields };
}
