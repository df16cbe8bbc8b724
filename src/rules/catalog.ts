/**
 * The field-catalog interface the rules layer checks conditions and outputs against.
 *
 * The rules layer never knows how a field is extracted; it only needs each field's name,
 * type and argument shape. The engine layer supplies one catalog per event source
 * (e.g. `syscall`), plugins supply theirs.
 */

/** Falco's field types (libsinsp's PT_* types as they matter to rules). */
export type FieldType =
  | 'string' // PT_CHARBUF / PT_FSPATH / PT_FSRELPATH: text
  | 'charbuf'
  | 'bytebuf' // PT_BYTEBUF: raw bytes (only bcontains/bstartswith make sense)
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool' // PT_BOOL
  | 'abstime' // PT_ABSTIME: ns since epoch
  | 'reltime' // PT_RELTIME: ns duration
  | 'ipaddr' // PT_IPADDR (v4 or v6)
  | 'ipnet' // PT_IPNET
  | 'ipv4addr'
  | 'ipv4net'
  | 'ipv6addr'
  | 'ipv6net'
  | 'port' // PT_PORT
  | 'l4proto' // PT_L4PROTO
  | 'sockfamily' // PT_SOCKFAMILY
  | 'fd' // PT_FD
  | 'pid' // PT_PID
  | 'errno' // PT_ERRNO
  | 'mode' // PT_MODE
  | 'flags8'
  | 'flags16'
  | 'flags32'
  | 'enumflags8'
  | 'enumflags16'
  | 'enumflags32'
  | 'double'
  | 'fspath' // PT_FSPATH
  | 'fsrelpath' // PT_FSRELPATH
  | 'sigtype'
  | 'syscallid'
  | 'uid'
  | 'gid'
  | 'dyn'; // PT_DYN: type decided by the argument (evt.arg.*, evt.rawarg.*)

/** Whether a field takes an argument in brackets (`proc.aname[2]`) or after a dot (`evt.arg.flags`). */
export type FieldArg = 'none' | 'required' | 'optional';

/** What the argument is: a number (`proc.aname[2]`), a key (`evt.arg.flags`, `json.value[/a]`), or anything. */
export type FieldArgKind = 'index' | 'key' | 'any';

export interface FieldInfo {
  /** Full name, e.g. `proc.aname`. */
  name: string;
  type: FieldType;
  desc: string;
  arg: FieldArg;
  argKind?: FieldArgKind;
  /** Argument may also be given after a dot (`evt.arg.flags`) — Falco allows this for some fields. */
  dotArg?: boolean;
  /** Field yields a list of values (e.g. `proc.cmdlnargs`, `fd.types`); `in`/`intersects` work element-wise. */
  isList?: boolean;
  /** Not usable in filters (output only). */
  noFilter?: boolean;
  /** Hidden from `tsfalco fields` listings (EPF_TABLE_ONLY / deprecated). */
  hidden?: boolean;
  /** Deprecated alias (shown in listings as such). */
  deprecated?: boolean;
  /** Printed with at least nine digits, zero-padded (libsinsp's PF_10_PADDED_DEC: the `.ns` parts of times). */
  padded?: boolean;
  /** Printed in upper-case hexadecimal (libsinsp's PF_HEX), as fd.dev. */
  hex?: boolean;
  /** Field class name for listings (e.g. `process`), taken from the catalog if absent. */
  className?: string;
  /** Restricts the allowed operators; when absent they follow from the type. */
  operators?: readonly string[];
  /** Human-readable name (libsinsp's display name), for listings. */
  display?: string;
  /** EPF_FILTER_ONLY: usable in conditions only, not in outputs. */
  filterOnly?: boolean;
  /** EPF_NO_RHS: cannot be compared with another field (`val(...)`), on either side. */
  noRhs?: boolean;
  /** EPF_NO_TRANSFORMER: transformers (tolower(), ...) cannot be applied. */
  noTransformer?: boolean;
  /**
   * Without an argument, a filter comparison holds if it holds for ANY of the values the
   * extractor returns (proc.aname, proc.apid, ...: every ancestor). The extractor returns
   * an array for such fields when called with arg === undefined.
   */
  matchAnyWithoutArg?: boolean;
  /**
   * When set, a dotted or bracket key argument must be one of these names (evt.arg.NAME:
   * event parameter names); otherwise Falco's "unknown event argument NAME".
   */
  argNames?: readonly string[];
}

/**
 * The event types of a source, for validating `evt.type` values and for Falco's
 * LOAD_NO_EVTTYPE threshold (Falco counts event codes, e.g. enter and exit, not names).
 */
export interface EventTypeTable {
  /** Every name valid as a value of `evt.type` (events and syscalls). */
  names: readonly string[];
  /** Number of event codes a name stands for. */
  codes(name: string): number;
  /**
   * True for names that all share one set of codes (syscalls without an event of their own
   * map to Falco's two generic events): such codes are counted once however many names match.
   */
  shared?(name: string): boolean;
  /** Total number of event codes (Falco's universe for negations). */
  totalCodes: number;
}

/** Metadata for one group of fields, for listings like `falco --list`. */
export interface FieldClassInfo {
  /** Class name as Falco lists it, e.g. `process`, `evt`. */
  name: string;
  /** Short description ("Syscall events only"), may be empty. */
  shortDesc?: string;
  desc: string;
  fields: FieldInfo[];
}

export interface FieldCatalog {
  /** Event source this catalog belongs to, e.g. `syscall`. */
  source: string;
  /**
   * Find a field by its full name without argument (`proc.aname`, `evt.arg`).
   * Names with a dotted argument (`evt.arg.flags`) are split by the caller via
   * {@link splitFieldName}; lookup takes the base name only.
   */
  lookup(name: string): FieldInfo | undefined;
  all(): FieldInfo[];
  /** Optional grouping for listings. */
  classes?(): FieldClassInfo[];
  /** Optional event-type table (the `syscall` source has one). */
  eventTypes?: EventTypeTable;
}

/**
 * Split a field token as written in a condition (without a bracket argument) into
 * the catalog field and an optional dotted argument: `evt.arg.flags` -> `evt.arg` + `flags`.
 * Tries the whole name first, then successively shorter prefixes whose field accepts
 * a dotted argument. Returns undefined when nothing matches.
 */
export function splitFieldName(
  catalog: FieldCatalog,
  token: string,
): { field: FieldInfo; dotArg: string | undefined } | undefined {
  const exact = catalog.lookup(token);
  if (exact) return { field: exact, dotArg: undefined };
  let i = token.lastIndexOf('.');
  while (i > 0) {
    const f = catalog.lookup(token.slice(0, i));
    if (f && f.dotArg && f.arg !== 'none') return { field: f, dotArg: token.slice(i + 1) };
    i = token.lastIndexOf('.', i - 1);
  }
  return undefined;
}

/** A simple catalog over a fixed list of fields. */
export function makeCatalog(
  source: string,
  fields: readonly FieldInfo[],
  classes?: FieldClassInfo[],
  eventTypes?: EventTypeTable,
): FieldCatalog {
  const byName = new Map<string, FieldInfo>();
  for (const f of fields) if (!byName.has(f.name)) byName.set(f.name, f);
  const list = [...byName.values()];
  return {
    source,
    lookup: (name) => byName.get(name),
    all: () => list.slice(),
    ...(classes ? { classes: () => classes } : {}),
    ...(eventTypes ? { eventTypes } : {}),
  };
}
