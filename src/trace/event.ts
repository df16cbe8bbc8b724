import type { ColumnKind, COLUMNS } from './columns.js';

/** The JavaScript value of each column kind, as the writer takes it and the reader returns it. */
interface KindValue {
  timestamp: bigint;
  int64: bigint;
  uint64: bigint;
  int32: number;
  uint32: number;
  int16: number;
  uint16: number;
  uint8: number;
  bool: boolean;
  string: string;
  strings: readonly string[];
  binary: Uint8Array;
  map: Readonly<Record<string, string>>;
}

type Column = (typeof COLUMNS)[number];

/**
 * One event as plain data: a property per column, absent (or null) where the column is null.
 * Producers (capture, scap reader, fixtures) build these; the writer turns them into batches.
 */
export type TraceEvent = {
  [C in Column as C extends { required: true } ? C['name'] : never]: KindValue[C['kind']];
} & {
  [C in Column as C extends { required: true } ? never : C['name']]?: KindValue[C['kind']] | null;
};

export type ColumnValue<K extends ColumnKind> = KindValue[K];
