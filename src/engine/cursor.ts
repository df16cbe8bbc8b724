import type { ColumnName } from '../trace/columns.js';
import { binaryAt, type BatchView, isSet, mapAt, stringList, stringTables, type StringTable } from './batch-view.js';
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

  has(col: ColumnName): boolean {
    return isSet(this.view[col], this.row);
  }

  str(col: ColumnName): string | undefined {
    const c = this.view[col];
    if (!isSet(c, this.row)) return undefined;
    return this.strings[col].get(c, c.values[this.row] as number);
  }

  /** Dictionary code of a string column (-1 when null): the same code always means the same string. */
  code(col: ColumnName): number {
    const c = this.view[col];
    return isSet(c, this.row) ? (c.values[this.row] as number) : -1;
  }

  num(col: ColumnName): number | undefined {
    const c = this.view[col];
    return isSet(c, this.row) ? Number(c.values[this.row]) : undefined;
  }

  big(col: ColumnName): bigint | undefined {
    const c = this.view[col];
    return isSet(c, this.row) ? BigInt(c.values[this.row]) : undefined;
  }

  bool(col: ColumnName): boolean | undefined {
    const c = this.view[col];
    if (!isSet(c, this.row)) return undefined;
    const bits = c.values as Uint8Array;
    return (bits[this.row >> 3] & (1 << (this.row & 7))) !== 0;
  }

  strings_(col: ColumnName): string[] | undefined {
    const c = this.view[col];
    return isSet(c, this.row) ? stringList(c, this.row) : undefined;
  }

  bytes(col: ColumnName): Uint8Array | undefined {
    const c = this.view[col];
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
    return this.strings.type.get(this.view.type, this.view.type.values[this.row] as number);
  }

  tid(): number {
    return this.num('tid') ?? -1;
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
        const pid = this.num('pid') ?? this.thread()?.pid;
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
  if (FD_CREATING.has(type) && c.str('dir') !== '>') {
    const res = c.num('res');
    if (res !== undefined && res >= 0 && type !== 'fcntl' && type !== 'bpf') return res;
    if (type === 'fcntl' && res !== undefined && res >= 0 && c.has('fd2')) return res;
  }
  return c.num('fd');
}
