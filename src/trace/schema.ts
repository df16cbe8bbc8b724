import {
  Binary,
  Bool,
  type DataType,
  Dictionary,
  Field,
  Int16,
  Int32,
  Int64,
  Map_,
  List,
  Schema,
  Struct,
  TimeUnit,
  Timestamp,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
} from 'apache-arrow';
import { COLUMNS, type ColumnKind, type ColumnSpec } from './columns.js';

/** The trace format version this code writes. Readers accept any minor version of major 1. */
export const FORMAT_VERSION = { major: 1, minor: 1 } as const;

/** Keys of the schema metadata. Every value is a string (Arrow metadata is string → string). */
export const META = {
  formatVersion: 'tsfalco.format_version', // "1.0"
  tsfalcoVersion: 'tsfalco.version',
  host: 'tsfalco.host',
  kernel: 'tsfalco.kernel', // `uname -r` and `uname -v`
  bootTime: 'tsfalco.boot_time_ns', // boot time, ns since the epoch, decimal
  capture: 'tsfalco.capture', // JSON: the capture settings (events, filters, buffer, command…)
  source: 'tsfalco.source', // what produced the trace: "capture", "scap:<file>", "script:<name>"
  createdAt: 'tsfalco.created_at', // ISO 8601 time the writer started
} as const;

function arrowType(kind: ColumnKind, dictionaryId: number): DataType {
  switch (kind) {
    case 'timestamp':
      return new Timestamp(TimeUnit.NANOSECOND, 'UTC');
    case 'int64':
      return new Int64();
    case 'uint64':
      return new Uint64();
    case 'int32':
      return new Int32();
    case 'uint32':
      return new Uint32();
    case 'int16':
      return new Int16();
    case 'uint16':
      return new Uint16();
    case 'uint8':
      return new Uint8();
    case 'bool':
      return new Bool();
    case 'string':
      return new Dictionary(new Utf8(), new Int32(), dictionaryId, false);
    case 'strings':
      return new List(new Field('item', new Utf8(), true));
    case 'binary':
      return new Binary();
    case 'map':
      return new Map_<Utf8, Utf8>(
        new Field(
          'entries',
          new Struct<{ key: Utf8; value: Utf8 }>([new Field('key', new Utf8(), false), new Field('value', new Utf8(), true)]),
          false,
        ),
        false,
      );
  }
}

export interface TraceMetadata {
  formatVersion: string;
  tsfalcoVersion: string;
  host: string;
  kernel: string;
  bootTimeNs: bigint | null;
  capture: Record<string, unknown>;
  source: string;
  createdAt: string;
}

/** Builds the Arrow schema of a version-1 trace with the given metadata. */
export function traceSchema(meta: TraceMetadata): Schema {
  let dictionaryId = 0;
  const fields = COLUMNS.map(
    (col: ColumnSpec) => new Field(col.name, arrowType(col.kind, col.kind === 'string' ? dictionaryId++ : -1), !col.required),
  );
  const metadata = new Map<string, string>([
    [META.formatVersion, meta.formatVersion],
    [META.tsfalcoVersion, meta.tsfalcoVersion],
    [META.host, meta.host],
    [META.kernel, meta.kernel],
    [META.bootTime, meta.bootTimeNs === null ? '' : String(meta.bootTimeNs)],
    [META.capture, JSON.stringify(meta.capture)],
    [META.source, meta.source],
    [META.createdAt, meta.createdAt],
  ]);
  return new Schema(fields, metadata);
}

/**
 * The first column of `schema` whose type is not the one a version-1 trace has for that name
 * (`comm is Int8, a trace's is Dictionary<Int32, Utf8>`), or null. Readers index columns by
 * name and read them as their type: a damaged or foreign schema must stop at the door.
 */
export function schemaMismatch(schema: Schema): string | null {
  const seen = new Set<string>();
  for (const field of schema.fields) {
    if (seen.has(field.name)) return `column "${field.name}" appears twice`;
    seen.add(field.name);
    const spec = SPEC_BY_NAME.get(field.name);
    if (!spec) continue; // a column of a later minor version
    const want = String(arrowType(spec.kind, 0)).replace(/Dictionary<(.*?), ?(.*?)>.*/, 'Dictionary<$1, $2>');
    const have = typeText(field.type);
    if (want !== have) return `column "${field.name}" is ${have ?? 'of a damaged type'}, a tsfalco trace's is ${want}`;
  }
  // Every 1.x trace has all the columns of 1.0 (later minors only add).
  const missing = COLUMNS.find((c) => c.since === undefined && !seen.has(c.name));
  return missing ? `column "${missing.name}" is missing` : null;
}

const SPEC_BY_NAME = new Map<string, ColumnSpec>(COLUMNS.map((c) => [c.name, c]));

/** apache-arrow's name of a type (`Dictionary<Int32, Utf8>`), or null for a type damage left half made (its toString may throw). */
function typeText(type: DataType): string | null {
  let text: string;
  try {
    text = String(type);
  } catch {
    return null;
  }
  return /undefined|NaN|null/.test(text) ? null : text.replace(/Dictionary<(.*?), ?(.*?)>.*/, 'Dictionary<$1, $2>');
}

/** Reads our metadata back from a schema; `null` when the schema is not a tsfalco trace. */
export function parseTraceMetadata(metadata: Map<string, string>): TraceMetadata | null {
  const formatVersion = metadata.get(META.formatVersion);
  if (formatVersion === undefined) return null;
  let capture: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(metadata.get(META.capture) ?? '{}');
    if (parsed && typeof parsed === 'object') capture = parsed as Record<string, unknown>;
  } catch {
    // A damaged capture-settings string loses only that description, not the trace.
  }
  const boot = metadata.get(META.bootTime) ?? '';
  return {
    formatVersion,
    tsfalcoVersion: metadata.get(META.tsfalcoVersion) ?? '',
    host: metadata.get(META.host) ?? '',
    kernel: metadata.get(META.kernel) ?? '',
    bootTimeNs: /^\d+$/.test(boot) ? BigInt(boot) : null,
    capture,
    source: metadata.get(META.source) ?? '',
    createdAt: metadata.get(META.createdAt) ?? '',
  };
}

/** Splits "1.0" into numbers; `null` when it is not `MAJOR.MINOR`. */
export function parseFormatVersion(text: string): { major: number; minor: number } | null {
  const m = /^(\d+)\.(\d+)$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}
