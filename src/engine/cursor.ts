import type { ColumnName } from '../trace/columns.js';
import { binaryAt, type BatchView, COL, type ColumnView, isSet, mapAt, stringList, stringTables, stringTablesByIndex, type StringTable } from './batch-view.js';
import type { FdInfo, ReplayState, ThreadInfo } from './state/types.js';

/** Stamps are unique across all cursors, so a per-event cache can never mistake one replay's event for another's. */
let lastStamp = 0;

/**
 * The current event: a batch, a row, and the replay state. Extractors and the state machine read
 * values through it; nothing is materialised per row except what a field asks for. The thread
 * and fd of the event are looked up at most once per row.
 */
export class Cursor {
  view!: BatchView;
  row = 0;
  /** Changes with every event: per-event caches compare it to know their value is current. */
  stamp = 0;
  readonly strings: Record<string, StringTable> = stringTables();
  private readonly stringsByIndex = stringTablesByIndex(this.strings);
  /** Timestamp of the first event of the replay (for evt.reltime). */
  firstTs = -1n;
  private prevView: BatchView | null = null;
  private prevRow = -1;
  private threadRow = -1;
  private threadView: BatchView | undefined;
  private threadCache: ThreadInfo | undefined;
  private fdRow = -1;
  private fdView: BatchView | undefined;
  private fdCache: FdInfo | undefined;

  constructor(readonly state: ReplayState) {}

  at(view: BatchView, row: number): void {
    this.view = view;
    this.row = row;
    this.stamp = ++lastStamp;
  }

  /** Where the previous event is (for evt.deltatime); null when there is none. */
  setPrevious(view: BatchView | null, row: number): void {
    this.prevView = view;
    this.prevRow = row;
  }

  /** Timestamp of the previous event (for evt.deltatime), -1 when there is none. */
  get prevTs(): bigint {
    return this.prevView === null ? -1n : (this.prevView.ts.values[this.prevRow] as bigint);
  }

  /**
   * Columns are named by index (`COL.pid`, read without a lookup by name) or by name; every
   * read below takes either.
   */
  private column(col: ColumnName | number): ColumnView {
    return typeof col === 'number' ? this.view.cols[col] : this.view[col];
  }

  has(col: ColumnName | number): boolean {
    return isSet(this.column(col), this.row);
  }

  str(col: ColumnName | number): string | undefined {
    const c = this.column(col);
    if (!isSet(c, this.row)) return undefined;
    const table = typeof col === 'number' ? this.stringsByIndex[col] : this.strings[col];
    return table!.get(c, c.values[this.row] as number);
  }

  /** Dictionary code of a string column (-1 when null): the same code always means the same string. */
  code(col: ColumnName | number): number {
    const c = this.column(col);
    return isSet(c, this.row) ? (c.values[this.row] as number) : -1;
  }

  num(col: ColumnName | number): number | undefined {
    const c = this.column(col);
    const row = this.row;
    if (!isSet(c, row)) return undefined;
    const words = c.words;
    if (words === null) return c.values[row] as number;
    // 64-bit: from its two 32-bit halves, as Number(BigInt) would round it, without making a BigInt
    const hi = words[2 * row + 1];
    return (c.unsigned ? hi >>> 0 : hi) * 4294967296 + (words[2 * row] >>> 0);
  }

  big(col: ColumnName | number): bigint | undefined {
    const c = this.column(col);
    return isSet(c, this.row) ? BigInt(c.values[this.row]) : undefined;
  }

  bool(col: ColumnName | number): boolean | undefined {
    const c = this.column(col);
    if (!isSet(c, this.row)) return undefined;
    const bits = c.values as Uint8Array;
    return (bits[this.row >> 3] & (1 << (this.row & 7))) !== 0;
  }

  strings_(col: ColumnName | number): string[] | undefined {
    const c = this.column(col);
    return isSet(c, this.row) ? stringList(c, this.row) : undefined;
  }

  bytes(col: ColumnName | number): Uint8Array | undefined {
    const c = this.column(col);
    return isSet(c, this.row) ? binaryAt(c, this.row) : undefined;
  }

  extra(): Record<string, string> | undefined {
    const c = this.view.extra;
    return isSet(c, this.row) ? mapAt(c, this.row) : undefined;
  }

  ts(): bigint {
    return this.view.ts.values[this.row] as bigint;
  }

  type(): string {
    const c = this.view.cols[COL.type];
    return this.stringsByIndex[COL.type]!.get(c, c.values[this.row] as number);
  }

  tid(): number {
    return this.num(COL.tid) ?? -1;
  }

  /** The thread that produced the event, from the replay state. */
  thread(): ThreadInfo | undefined {
    if (this.threadRow !== this.row || this.threadView !== this.view) {
      this.threadRow = this.row;
      this.threadView = this.view;
      this.threadCache = this.state.threads.get(this.tid());
    }
    return this.threadCache;
  }

  /** Forget cached lookups of this row (after the state changed under it). */
  invalidate(): void {
    this.threadRow = -1;
    this.fdRow = -1;
    this.stamp = ++lastStamp;
  }

  /** The fd the event is about: the fd it acts on, or the one it created. */
  fd(): FdInfo | undefined {
    if (this.fdRow !== this.row || this.fdView !== this.view) {
      this.fdRow = this.row;
      this.fdView = this.view;
      this.fdCache = undefined;
      const num = eventFdNumber(this);
      if (num !== undefined) {
        const pid = this.num(COL.pid) ?? this.thread()?.pid;
        if (pid !== undefined) this.fdCache = this.state.fds.get(pid)?.get(num);
      }
    }
    return this.fdCache;
  }
}

/** Syscalls whose return value is the new fd they create. */
export const FD_CREATING = new Set([
  'open', 'openat', 'openat2', 'creat', 'open_by_handle_at', 'socket', 'accept', 'accept4', 'dup', 'dup2', 'dup3',
  'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'inotify_init', 'inotify_init1', 'epoll_create',
  'epoll_create1', 'memfd_create', 'userfaultfd', 'io_uring_setup', 'pidfd_open', 'pidfd_getfd', 'fcntl', 'bpf',
]);

/** The fd number an event refers to: the created fd on a successful exit, else its fd argument. */
export function eventFdNumber(c: Cursor): number | undefined {
  const type = c.type();
  if (FD_CREATING.has(type) && c.str(COL.dir) !== '>') {
    const res = c.num(COL.res);
    if (res !== undefined && res >= 0 && type !== 'fcntl' && type !== 'bpf') return res;
    if (type === 'fcntl' && res !== undefined && res >= 0 && c.has(COL.fd2)) return res;
  }
  return c.num(COL.fd);
}
