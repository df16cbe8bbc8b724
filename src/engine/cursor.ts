import { EVENT_TABLE } from '../scap/event-table.js';
import type { ColumnName } from '../trace/columns.js';
import { paramMapping } from '../trace/event-params.js';
import { binaryAt, type BatchView, COL, COLUMN_INDEX, type ColumnView, isSet, mapAt, stringList, stringTables, stringTablesByIndex, type StringTable } from './batch-view.js';
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

/**
 * libscap's get_exit_event_fd_location: the parameter (index in the newest exit layout) holding
 * the fd an exit uses, for the event types that use one they do not create.
 */
const EXIT_FD_LOCATIONS: readonly [number, readonly string[]][] = [
  [1, ['SYSCALL_SETNS_X', 'SOCKET_LISTEN_X', 'SOCKET_SHUTDOWN_X', 'SYSCALL_FCHDIR_X', 'SYSCALL_LSEEK_X', 'SYSCALL_LLSEEK_X', 'SYSCALL_IOCTL_3_X',
    'SYSCALL_FSTAT_X', 'SYSCALL_CLOSE_X', 'SYSCALL_GETDENTS_X', 'SYSCALL_GETDENTS64_X', 'SYSCALL_FLOCK_X', 'SYSCALL_COPY_FILE_RANGE_X',
    'SYSCALL_FCNTL_X', 'SYSCALL_DUP_1_X', 'SYSCALL_DUP2_X', 'SYSCALL_DUP3_X', 'SYSCALL_NEWFSTATAT_X', 'SYSCALL_FCHOWNAT_X',
    'SYSCALL_FCHMODAT_X', 'SYSCALL_MKDIRAT_X', 'SYSCALL_UNLINKAT_2_X', 'SYSCALL_MKNODAT_X', 'SOCKET_SENDMMSG_X', 'SOCKET_RECVMMSG_X',
    'SYSCALL_IO_URING_REGISTER_X', 'SYSCALL_IO_URING_ENTER_X', 'SOCKET_SETSOCKOPT_X', 'SOCKET_GETSOCKOPT_X', 'SYSCALL_FSCONFIG_X',
    'SYSCALL_FINIT_MODULE_X', 'SYSCALL_FCHMOD_X', 'SYSCALL_FCHOWN_X']],
  [2, ['SYSCALL_READ_X', 'SYSCALL_PREAD_X', 'SOCKET_BIND_X', 'SYSCALL_WRITE_X', 'SYSCALL_PWRITE_X', 'SOCKET_RECV_X', 'SOCKET_SEND_X',
    'SOCKET_SENDTO_X', 'SOCKET_SENDMSG_X', 'SYSCALL_SENDFILE_X', 'SYSCALL_SPLICE_X', 'SYSCALL_WRITEV_X', 'SYSCALL_PWRITEV_X',
    'SOCKET_CONNECT_X', 'SYSCALL_SYMLINKAT_X']],
  [3, ['SOCKET_RECVFROM_X', 'SYSCALL_READV_X', 'SYSCALL_PREADV_X']],
  [5, ['SOCKET_RECVMSG_X']],
  [8, ['SYSCALL_MMAP_X', 'SYSCALL_MMAP2_X']],
];

/** Event type → the column of the fd its exit uses (EXIT_FD_LOCATIONS through the trace's parameter table). */
const EXIT_FD_COLUMN: ReadonlyMap<string, number> = (() => {
  const byId = new Map(EVENT_TABLE.filter((e) => e).map((e) => [e.id, e]));
  const out = new Map<string, number>();
  for (const [location, ids] of EXIT_FD_LOCATIONS) {
    for (const id of ids) {
      const info = byId.get(id);
      const param = info?.params[location];
      const col = info && param ? paramMapping(info.name, param.name)?.col : undefined;
      if (info && col && col !== 'tuple' && col !== 'addr' && col !== 'extra') out.set(info.name, COLUMN_INDEX[col]);
    }
  }
  return out;
})();

/**
 * The fd number an event refers to: the created fd on a successful exit; on other exits the fd
 * libscap's get_exit_event_fd_location names (the dirfd of mkdirat, unlinkat…), else its fd argument.
 */
export function eventFdNumber(c: Cursor): number | undefined {
  const type = c.type();
  const exit = c.str(COL.dir) !== '>';
  const col = exit ? EXIT_FD_COLUMN.get(type) : undefined;
  if (FD_CREATING.has(type) && exit) {
    const res = c.num(COL.res);
    if (res !== undefined && res >= 0 && type !== 'fcntl' && type !== 'bpf') return res;
    if (type === 'fcntl' && res !== undefined && res >= 0 && c.has(COL.fd2)) return res;
    // A failed open, socket, accept…: no fd (the listening socket of an accept is not the event's).
    if (col === undefined && type !== 'bpf') return undefined;
  }
  return c.num(col ?? COL.fd);
}
