/**
 * What the loader knows about an event source: its field catalog (for checking conditions,
 * outputs and exception fields) and, for `syscall`, the full set of event types (for Falco's
 * "matches too many evt.type values" warning). The engine layer provides these; commands pass
 * them in, so the rules layer never imports the engine.
 */
import { splitFieldName, type FieldCatalog } from '../catalog.js';
import type { ExtractorProvider } from '../condition/index.js';

export interface LoaderSource {
  name: string;
  catalog: FieldCatalog;
  /** Every event type name of this source (syscall only); empty when unknown. */
  eventTypes?: readonly string[];
  /** Fields plugins/extractors suggest for `append_output.suggested_output` (e.g. container.id). */
  suggestedFields?: readonly string[];
  /**
   * The engine's extractors. When given, every rule's condition and output are also compiled
   * into JavaScript functions while loading (and compile failures are load errors).
   */
  provider?: ExtractorProvider;
}

const FIELD_WITH_ARG = /^([A-Za-z0-9_.]+)(?:\[(.*)\])?$/s;

/**
 * Whether `field` names a field of the catalog, as Falco's is_valid_lhs_field decides for
 * exception fields: a plain name, a bracket argument (`proc.aname[2]`), a dotted argument
 * (`evt.arg.flags`). Transformer forms (`tolower(proc.name)`) are checked by the caller.
 */
export function isCatalogField(catalog: FieldCatalog, field: string): boolean {
  const m = FIELD_WITH_ARG.exec(field.trim());
  if (!m) return false;
  const split = splitFieldName(catalog, m[1]!);
  if (!split) return false;
  if (m[2] !== undefined) return split.field.arg !== 'none' && split.dotArg === undefined;
  if (split.dotArg !== undefined) return true;
  return split.field.arg !== 'required';
}
