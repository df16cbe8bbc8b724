import type { FieldInfo } from '../../rules/catalog.js';
import { typeClass } from '../../rules/condition/types.js';
import { PPM_EXE, PPM_O } from '../../trace/flags.js';
import { COL, COLUMN_INDEX } from '../batch-view.js';
import type { Cursor } from '../cursor.js';
import { basename, dirname } from '../state/paths.js';
import type { FdInfo, ThreadInfo } from '../state/types.js';
import { EC } from '../../scap/event-table.js';
import { cgroupEntriesFor, sinspCgroupEntry } from '../../scap/state-blocks.js';
import { eventInfoOf, setBufferDisplayLimit } from './event-args.js';
import { argRaw, argText, argsText } from './params.js';
import { withSinspRules } from './sinsp-fields.js';
import { groupNameOf, userNameOf, userOf } from '../state/users.js';
import { l4protoName, renderCaps, renderDatetime, renderIso8601, renderTime } from './render.js';

/**
 * Extractors of the `syscall` source: for each field, a function from the cursor to the value
 * Falco gives (string, number, bigint, boolean, string[] for list fields; undefined when the
 * event has no such value). `arg` is the field's argument (`proc.aname[2]` → "2").
 */
export type Extractor = (c: Cursor) => unknown;
type Factory = (arg: string | undefined) => Extractor;

const NS = 1_000_000_000n;

function parent(c: Cursor, t: ThreadInfo | undefined): ThreadInfo | undefined {
  return t && t.ppid > 0 ? c.state.threads.get(t.ppid) : undefined;
}

/** The n-th ancestor (1 = parent) of the event's process. */
function ancestor(c: Cursor, n: number): ThreadInfo | undefined {
  let t = c.thread();
  for (let i = 0; i < n && t; i++) t = parent(c, t);
  return t;
}

/** All ancestors, nearest first (for `proc.aname` without argument). */
function ancestors(c: Cursor): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  const seen = new Set<number>();
  for (let t = parent(c, c.thread()); t && !seen.has(t.pid); t = parent(c, t)) {
    seen.add(t.pid);
    out.push(t);
  }
  return out;
}

/**
 * libsinsp's get_oldest_matching_ancestor, the leader of a session or process group: the thread
 * whose pid is the id, looked up directly unless the id is virtual and the process is in a pid
 * namespace of its own (there the id is not a host pid); else, or when the leader has exited, the
 * eldest of the unbroken line of ancestors that share the id.
 */
function leaderOf(c: Cursor, t: ThreadInfo, idOf: (t: ThreadInfo) => number, virtualId: boolean): ThreadInfo | undefined {
  const id = idOf(t);
  if (id === -1) return undefined;
  const inPidNamespace = t.tid !== t.vtid && t.vtid >= 0;
  if (!virtualId || !inPidNamespace) {
    const leader = c.state.threads.get(id);
    if (leader) return leader;
  }
  let leader: ThreadInfo | undefined;
  for (const a of ancestors(c)) {
    if (idOf(a) !== id) break;
    leader = a;
  }
  return leader;
}

const sidOf = (t: ThreadInfo) => t.sid;
const pgidOf = (t: ThreadInfo) => t.pgid;

const IO_READ = new Set(['read', 'readv', 'pread', 'preadv', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg']);
const IO_WRITE = new Set(['write', 'writev', 'pwrite', 'pwritev', 'send', 'sendto', 'sendmsg', 'sendmmsg']);
const WAIT = new Set(['nanosleep', 'select', 'poll', 'ppoll', 'epoll_wait', 'pselect6', 'epoll_pwait', 'futex', 'wait4', 'waitid']);
const NET = /^(socket|bind|connect|listen|accept4?|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg|shutdown|getsockname|getpeername|socketpair|setsockopt|getsockopt)$/;
const FILE = /^(open|openat|openat2|creat|close|read|write|pread|pwrite|readv|writev|preadv|pwritev|lseek|llseek|stat|lstat|fstat|newfstatat|unlink|unlinkat|rename|renameat|renameat2|mkdir|mkdirat|rmdir|link|linkat|symlink|symlinkat|chmod|fchmod|fchmodat|chown|fchown|fchownat|lchown|getdents|getdents64|dup|dup2|dup3|fcntl|ioctl|sendfile|splice|flock|mount|umount|umount2|access|chdir|fchdir|getcwd)$/;
const MEMORY = /^(mmap|mmap2|munmap|mprotect|brk|mlock|mlock2|munlock|mlockall|munlockall|madvise)$/;
const PROCESS = /^(clone|clone3|fork|vfork|execve|execveat|exit|exit_group|procexit|kill|tkill|tgkill|setuid|setgid|setresuid|setresgid|setreuid|setregid|capset|prctl|ptrace|setsid|setpgid|unshare|setns|chroot)$/;

/** evt.category as libsinsp names the categories. */
function categoryOf(type: string): string {
  if (NET.test(type)) return 'net';
  if (FILE.test(type)) return 'file';
  if (MEMORY.test(type)) return 'memory';
  if (PROCESS.test(type)) return 'process';
  if (WAIT.has(type)) return 'wait';
  return 'other';
}

/**
 * A duration as libsinsp's format_time wrote it (sinsp_filtercheck_reference.cpp, before the
 * latency fields were fixed at 0): truncated, not rounded; two decimals below 10 of a unit,
 * none from 10 up; h:mm:ss and m:s from a minute.
 */
function humanDuration(ns: bigint): string {
  const S = 1_000_000_000n;
  const two = (n: bigint) => String(n).padStart(2, '0');
  if (ns >= 3600n * S) return `${two(ns / (3600n * S))}:${two((ns / (60n * S)) % 60n)}:${two((ns / S) % 60n)}`;
  if (ns >= 60n * S) return `${ns / (60n * S)}:${(ns / S) % 60n}`;
  if (ns >= S) return `${ns / S}.${two((ns % S) / 10_000_000n)}s`;
  if (ns >= S / 100n) return `${ns / 1_000_000n}ms`;
  if (ns >= S / 1000n) return `${ns / 1_000_000n}.${two((ns % 1_000_000n) / 10_000n)}ms`;
  if (ns >= S / 100_000n) return `${ns / 1000n}us`;
  if (ns >= S / 1_000_000n) return `${ns / 1000n}.${two((ns % 1000n) / 10n)}us`;
  return `${ns}ns`;
}

function resolveAgainst(c: Cursor, path: string): string {
  if (path.startsWith('/')) return path;
  const cwd = c.thread()?.cwd ?? '';
  return cwd ? `${cwd.replace(/\/$/, '')}/${path}` : path;
}

function stdio(num: number, get: (fd: FdInfo) => unknown): Factory {
  return () => (c) => {
    const pid = c.num(COL.pid) ?? c.thread()?.pid;
    const fd = pid === undefined ? undefined : c.state.fds.get(pid)?.get(num);
    return fd ? get(fd) : undefined;
  };
}

/**
 * fdlist.*: one entry per fd of a poll/ppoll exit's `fds` (libsinsp's sinsp_filtercheck_fdlist),
 * comma-joined; `get` gives an fd's entry, or undefined to leave it out. Other events have none.
 */
function fdList(c: Cursor, get: (num: number, fd: FdInfo | undefined) => string | undefined): string | undefined {
  const type = c.type();
  if ((type !== 'poll' && type !== 'ppoll') || c.str(COL.dir) === '>') return undefined;
  const text = c.extra()?.fds;
  const t = c.thread();
  if (!text || !t) return undefined;
  const table = c.state.fds.get(t.pid);
  const out: string[] = [];
  for (const pair of text.split(' ')) {
    const num = Number(pair.slice(0, pair.indexOf(':') >>> 0));
    const v = get(num, table?.get(num));
    if (v !== undefined) out.push(v);
  }
  return out.length === 0 ? undefined : out.join(',');
}

/** A connected inet socket (libsinsp's SCAP_FD_IPV4/6_SOCK, not a listening one). */
const isInetSocket = (fd: FdInfo | undefined): fd is FdInfo => fd !== undefined && (fd.type === 'ipv4' || fd.type === 'ipv6') && !(fd.isServer && !fd.connected);

interface Mount {
  source: string;
  dest: string;
  mode: string;
  rw: string;
  propagation: string;
}

function parseMount(text: string): Mount {
  const [source = '', dest = '', mode = '', rw = '', propagation = ''] = text.split(':');
  return { source, dest, mode, rw, propagation };
}

/**
 * container.mount.*[arg]: a mount chosen by index or, as libsinsp does, by its source path
 * (container.mount.dest[/var/run/docker.sock]) — or by destination for container.mount.source.
 */
function mountField(by: 'source' | 'dest', get: (m: Mount) => string): Factory {
  return (arg) => (c) => {
    const t = c.thread();
    const mounts = t ? c.state.containers.get(t.containerId)?.mounts.map(parseMount) : undefined;
    if (!mounts || arg === undefined) return undefined;
    const m = /^\d+$/.test(arg) ? mounts[Number(arg)] : mounts.find((x) => x[by] === arg);
    return m ? get(m) : undefined;
  };
}

function k8sLabel(label: string, map: (v: string) => string = (v) => v): Factory {
  return () => (c) => {
    const t = c.thread();
    const v = t ? c.state.containers.get(t.containerId)?.labels[label] : undefined;
    return v === undefined ? undefined : map(v);
  };
}

/** State strings never filled in (a thread seen only mid-life) are unknown, not empty. */
const known = (s: string) => (s === '' ? undefined : s);

const cmdline = (t: ThreadInfo) => (t.args.length ? `${t.comm} ${t.args.join(' ')}` : t.comm);

/** A proc.* field read from the thread, its parent, or an ancestor given by `[N]`. */
function procField(get: (t: ThreadInfo, c: Cursor) => unknown, anyAncestor = false): Factory {
  return (arg) => {
    if (arg !== undefined) {
      const n = Number(arg);
      return (c) => {
        const t = ancestor(c, n);
        return t ? get(t, c) : undefined;
      };
    }
    if (anyAncestor) return (c) => ancestors(c).map((t) => get(t, c));
    return (c) => {
      const t = c.thread();
      return t ? get(t, c) : undefined;
    };
  };
}

function parentField(get: (t: ThreadInfo, c: Cursor) => unknown): Factory {
  return () => (c) => {
    const p = parent(c, c.thread());
    return p ? get(p, c) : undefined;
  };
}

function threadField(get: (t: ThreadInfo, c: Cursor) => unknown): Factory {
  return () => (c) => {
    const t = c.thread();
    return t ? get(t, c) : undefined;
  };
}

function fdField(get: (fd: FdInfo, c: Cursor) => unknown): Factory {
  return () => (c) => {
    const fd = c.fd();
    return fd ? get(fd, c) : undefined;
  };
}

const isSocket = (fd: FdInfo) => fd.type === 'ipv4' || fd.type === 'ipv6';
const ifSocket = <T>(fd: FdInfo, v: T) => (isSocket(fd) && v !== '' ? v : undefined);

const TYPE_CHARS: Record<string, string> = {
  file: 'f', directory: 'd', ipv4: '4', ipv6: '6', unix: 'u', pipe: 'p', event: 'e', signalfd: 's', eventpoll: 'l',
  inotify: 'i', timerfd: 't', netlink: 'n', bpf: 'b', userfaultfd: 'u', io_uring: 'r', memfd: 'm',
};

const OPEN_EXITS = new Set(['open', 'openat', 'openat2', 'open_by_handle_at']);

/** The flags of an open-family exit, the only events evt.is_open_* look at (creat is not one of them in libsinsp). */
function openFlagsOf(c: Cursor): number | undefined {
  if (c.str(COL.dir) === '>' || !OPEN_EXITS.has(c.type())) return undefined;
  return c.num(COL.flags) ?? 0;
}

const EXEC_BITS = 0o111;

/** The path a file-system syscall names (fs.path.*), resolved against cwd. */
function fsPath(c: Cursor, which: 'name' | 'source' | 'target', raw: boolean): string | undefined {
  const type = c.type();
  const twoPaths = /^(rename|renameat|renameat2|link|linkat|symlink|symlinkat)$/.test(type);
  let path: string | undefined;
  if (which === 'name') path = twoPaths ? undefined : c.str(COL.path);
  else if (!twoPaths) return undefined;
  else path = which === 'source' ? c.str(COL.path) : c.str(COL.path2);
  if (path === undefined) return undefined;
  if (raw) return path;
  const cwd = c.thread()?.cwd ?? '';
  if (path.startsWith('/') || cwd === '') return path;
  return `${cwd.replace(/\/$/, '')}/${path}`;
}

const user = userOf;
const userName = userNameOf;
// The event's own header columns are the truth at that moment; the state is the fallback.
const euid = (c: Cursor) => c.num(COL.euid) ?? c.thread()?.euid;
const egid = (c: Cursor) => c.num(COL.egid) ?? c.thread()?.egid;

/** A proc field of the event's own thread read from the row's header column when present. */
function headerFirst(col: 'comm' | 'pid' | 'ppid' | 'vpid', kind: 'str' | 'num', get: (t: ThreadInfo) => unknown): Factory {
  const fromState = procField(get);
  return (arg) => {
    if (arg !== undefined) return fromState(arg);
    const i = COLUMN_INDEX[col];
    return kind === 'str'
      ? (c) => c.str(i) ?? known(c.thread()?.comm ?? '')
      : (c) => c.num(i) ?? (c.thread() ? get(c.thread()!) : undefined);
  };
}

/**
 * evt.buflen.*: the return value of an I/O exit (bytes read or written) when the event's fd is
 * known, by the table category of the event (I/O read, I/O write, any I/O) and the kind of fd
 * (any, a regular file, an IPv4/IPv6 socket) — sinsp_filter_check_event's extract_buflen.
 */
function ioBuflen(dir: 'in' | 'out' | 'any', kind: 'any' | 'file' | 'net'): Factory {
  return () => (c) => {
    const fd = c.fd();
    if (!fd) return undefined;
    const info = eventInfoOf(c);
    if (!info) return undefined;
    const cat = info.category & (EC.SYSCALL - 1);
    if (dir === 'in' ? cat !== EC.IO_READ : dir === 'out' ? cat !== EC.IO_WRITE : (cat & EC.IO_READ) === 0) return undefined;
    if (kind === 'file' && fd.type !== 'file') return undefined;
    if (kind === 'net' && !isSocket(fd)) return undefined;
    if (c.str(COL.dir) === '>') return undefined;
    const res = c.num(COL.res);
    return res !== undefined && res >= 0 ? res : undefined;
  };
}

/** The thread group leader (libsinsp's main thread), the thread itself when unknown. */
const mainThread = (c: Cursor, t: ThreadInfo) => (t.tid === t.pid ? t : (c.state.threads.get(t.pid) ?? t));
/** A resource figure the trace may not hold (-1): no value then. */
const figure = (n: number) => (n < 0 ? undefined : n);
/** thread.vmsize / thread.vmrss: the process's figure on its main thread, 0 on other threads. */
const mainOnly = (t: ThreadInfo, n: number, scale = 1) => (t.tid !== t.pid ? 0 : n < 0 ? undefined : n * scale);

/** proc.fdusage: open fds as a percentage of the fd limit (get_fd_usage_pct_d), 0 without a limit. */
function fdUsage(c: Cursor, t: ThreadInfo): number | undefined {
  const limit = mainThread(c, t).fdlimit;
  if (limit === -1) return undefined;
  if (limit <= 0) return 0;
  const open = c.state.fds.get(t.pid)?.size ?? 0;
  return open <= limit ? (open * 100) / limit : 100;
}

/** thread.exectime / thread.totexectime: on switch events, the time since the last switch on that CPU; 0 on others. */
function execTime(requireThread: boolean): Factory {
  return () => {
    const lastSwitch = new Map<number, bigint>();
    return (c) => {
      if (requireThread && !c.thread()) return undefined;
      if (c.type() !== 'switch') return 0n;
      const cpu = c.num(COL.cpu) ?? 0;
      const ts = c.ts();
      const last = lastSwitch.get(cpu);
      lastSwitch.set(cpu, ts);
      return last === undefined ? 0n : ts - last;
    };
  };
}

/**
 * thread.cpu*: on procinfo events, the CPU time (user, system or both, from the event's cpu_usr
 * and cpu_sys) since the thread's previous procinfo, capped at 100; 0 the first time.
 */
function threadCpu(user: boolean, system: boolean): Factory {
  return () => {
    const last = new WeakMap<ThreadInfo, number>();
    return (c) => {
      const t = c.thread();
      if (!t || c.type() !== 'procinfo') return undefined;
      const extra = c.extra() ?? {};
      const total = (user ? Number(extra.cpu_usr ?? 0) : 0) + (system ? Number(extra.cpu_sys ?? 0) : 0);
      const prev = last.get(t) ?? 0;
      last.set(t, total);
      return prev === 0 ? 0 : Math.min(total - prev, 100);
    };
  };
}

/** A container detail from the snapshot's extra map (what the container plugin asks the engine). */
function containerDetail(key: string): Factory {
  return threadField((t, c) => {
    const v = c.state.containers.get(t.containerId)?.details[key];
    return v === undefined || v === '' ? undefined : v;
  });
}

function containerFlag(key: string): Factory {
  return threadField((t, c) => {
    const v = c.state.containers.get(t.containerId)?.details[key];
    return v === 'true' ? true : v === 'false' ? false : undefined;
  });
}

/** Fields whose data no tsfalco trace holds: no value, as Falco gives without the metadata. */
const noValue: Factory = () => () => undefined;

// fd.*, user.* and group.* follow libsinsp's rules where they need the event table (sinsp-fields.ts).
export const EXTRACTORS: Record<string, Factory> = withSinspRules({
  // --- evt ----------------------------------------------------------------------------------
  'evt.num': () => (c) => c.big(COL.num),
  'evt.time': () => (c) => renderTime(c.ts()),
  'evt.time.s': () => (c) => renderTime(c.ts(), false),
  'evt.time.iso8601': () => (c) => renderIso8601(c.ts()),
  'evt.datetime': () => (c) => renderDatetime(c.ts()),
  'evt.datetime.s': () => (c) => renderDatetime(c.ts(), false),
  'evt.rawtime': () => (c) => c.ts(),
  'evt.rawtime.s': () => (c) => c.ts() / NS,
  'evt.rawtime.ns': () => (c) => c.ts() % NS,
  'evt.reltime': () => (c) => c.ts() - c.firstTs,
  'evt.reltime.s': () => (c) => (c.ts() - c.firstTs) / NS,
  'evt.reltime.ns': () => (c) => (c.ts() - c.firstTs) % NS,
  // libsinsp subtracts unsigned 64-bit times: an event older than the previous one (a child's
  // first event, from another CPU) wraps rather than going negative.
  'evt.deltatime': () => (c) => (c.prevTs < 0n ? 0n : BigInt.asUintN(64, c.ts() - c.prevTs)),
  'evt.source': () => () => 'syscall',
  'evt.is_async': () => () => false,
  'evt.hostname': () => (c) => c.state.hostname,
  'evt.latency': () => (c) => c.big(COL.latency) ?? 0n,
  'evt.latency.s': () => (c) => (c.big(COL.latency) ?? 0n) / NS,
  'evt.latency.ns': () => (c) => (c.big(COL.latency) ?? 0n) % NS,
  'evt.dir': () => (c) => c.str(COL.dir),
  'evt.type': () => (c) => c.type(),
  'evt.type.is': (arg) => (c) => (c.type() === arg ? 1 : 0),
  'syscall.type': () => (c) => c.type(),
  'evt.cpu': () => (c) => c.num(COL.cpu),
  'evt.args': () => (c) => argsText(c),
  'evt.info': () => (c) => argsText(c),
  'evt.arg': (arg) => (c) => (arg === undefined ? undefined : argText(c, arg)),
  'evt.rawarg': (arg) => (c) => (arg === undefined ? undefined : argRaw(c, arg)),
  // libsinsp: the bytes an I/O exit read or wrote (its result), not the captured (snaplen-cut) buffer.
  'evt.buflen': ioBuflen('any', 'any'),
  'evt.rawres': () => (c) => c.big(COL.res),
  'evt.failed': () => (c) => {
    const res = c.num(COL.res);
    return res === undefined ? undefined : res < 0;
  },
  'evt.is_open_read': () => (c) => {
    const f = openFlagsOf(c);
    return f === undefined ? false : (f & PPM_O.RDONLY) !== 0;
  },
  'evt.is_open_write': () => (c) => {
    const f = openFlagsOf(c);
    return f === undefined ? false : (f & PPM_O.WRONLY) !== 0;
  },
  'evt.is_open_exec': () => (c) => {
    // An open that may create a file (O_CREAT, O_TMPFILE) with an executable mode, or a creat.
    if (c.type() === 'creat' && c.str(COL.dir) !== '>') return ((c.num(COL.mode) ?? 0) & EXEC_BITS) !== 0;
    const f = openFlagsOf(c);
    if (f === undefined || (f & (PPM_O.CREAT | PPM_O.TMPFILE)) === 0 || c.type() === 'open_by_handle_at') return false;
    return ((c.num(COL.mode) ?? 0) & EXEC_BITS) !== 0;
  },
  'evt.is_open_create': () => (c) => {
    // The driver's O_F_CREATED says the file was created; an O_TMPFILE open that succeeded made one.
    const f = openFlagsOf(c);
    if (f === undefined) return false;
    return (f & PPM_O.F_CREATED) !== 0 || ((f & PPM_O.TMPFILE) !== 0 && (c.num(COL.res) ?? -1) >= 0);
  },
  'evt.count': () => () => 1,

  // --- process and thread ------------------------------------------------------------------
  'proc.name': headerFirst('comm', 'str', (t) => t.comm),
  'proc.exe': procField((t) => known(t.exe)),
  'proc.exepath': procField((t) => known(t.exepath)),
  'proc.args': procField((t) => t.args.join(' ')),
  'proc.cmdline': procField((t) => known(cmdline(t))),
  'proc.cmdnargs': procField((t) => t.args.length),
  'proc.cmdlenargs': procField((t) => t.args.reduce((n, a) => n + a.length, 0)),
  'proc.pid': headerFirst('pid', 'num', (t) => t.pid),
  'proc.vpid': headerFirst('vpid', 'num', (t) => t.vpid),
  'proc.ppid': headerFirst('ppid', 'num', (t) => t.ppid),
  'proc.pvpid': parentField((t) => t.vpid),
  'proc.pname': parentField((t) => known(t.comm)),
  'proc.pcmdline': parentField((t) => cmdline(t)),
  'proc.pexe': parentField((t) => known(t.exe)),
  'proc.pexepath': parentField((t) => known(t.exepath)),
  'proc.aname': procField((t) => known(t.comm), true),
  'proc.apid': procField((t) => t.pid, true),
  'proc.aexe': procField((t) => known(t.exe), true),
  'proc.aexepath': procField((t) => known(t.exepath), true),
  'proc.acmdline': procField((t) => cmdline(t), true),
  'proc.cwd': threadField((t) => known(t.cwd)),
  'proc.tty': threadField((t) => t.tty),
  // The pid of the eldest shell (a name ending in "sh") among the process and its ancestors.
  'proc.loginshellid': threadField((t, c) => {
    const main = c.state.threads.get(t.pid) ?? t;
    let shell = main.comm.endsWith('sh') && main.comm.length >= 2 ? main.pid : undefined;
    for (const a of ancestors(c)) if (a.comm.length >= 2 && a.comm.endsWith('sh')) shell = a.pid;
    return shell;
  }),
  'proc.sid': threadField((t) => t.sid),
  'proc.sname': threadField((t, c) => known(leaderOf(c, t, sidOf, true)?.comm ?? '')),
  'proc.is_sid_leader': threadField((t) => t.sid === t.vpid),
  'proc.vpgid': threadField((t) => t.pgid),
  'proc.vpgid.name': threadField((t, c) => known(leaderOf(c, t, pgidOf, true)?.comm ?? '')),
  'proc.vpgid.exe': threadField((t, c) => known(leaderOf(c, t, pgidOf, true)?.exe ?? '')),
  'proc.vpgid.exepath': threadField((t, c) => known(leaderOf(c, t, pgidOf, true)?.exepath ?? '')),
  'proc.is_vpgid_leader': threadField((t) => t.pgid === t.vpid),
  'proc.env': (arg) => (c) => {
    const t = c.thread();
    if (!t) return undefined;
    if (arg === undefined) return t.env.join(' ');
    const hit = t.env.find((e) => e.startsWith(`${arg}=`));
    return hit?.slice(arg.length + 1);
  },
  'proc.duration': threadField((t, c) => (t.startTs > 0n ? c.ts() - t.startTs : undefined)),
  'proc.ppid.duration': parentField((t, c) => (t.startTs > 0n ? c.ts() - t.startTs : undefined)),
  'proc.pid.ts': threadField((t) => t.startTs),
  'proc.exe_ino': threadField((t) => t.exeIno),
  'proc.exe_ino.ctime': threadField((t) => t.exeCtime),
  'proc.exe_ino.mtime': threadField((t) => t.exeMtime),
  'proc.exe_ino.ctime_duration_proc_start': threadField((t) => (t.exeCtime > 0n && t.startTs > 0n ? t.startTs - t.exeCtime : undefined)),
  'proc.is_exe_writable': threadField((t) => (t.exeFlags & PPM_EXE.WRITABLE) !== 0),
  'proc.is_exe_upper_layer': threadField((t) => (t.exeFlags & PPM_EXE.UPPER_LAYER) !== 0),
  'proc.is_exe_lower_layer': threadField((t) => (t.exeFlags & PPM_EXE.LOWER_LAYER) !== 0),
  'proc.is_exe_from_memfd': threadField((t) => (t.exeFlags & PPM_EXE.FROM_MEMFD) !== 0),
  'proc.nthreads': threadField((t, c) => [...c.state.threads.values()].filter((o) => o.pid === t.pid).length),
  'proc.is_container_healthcheck': () => () => false,
  'proc.is_container_liveness_probe': () => () => false,
  'proc.is_container_readiness_probe': () => () => false,
  'thread.tid': () => (c) => c.num(COL.tid),
  'thread.vtid': threadField((t) => t.vtid),
  'thread.ismain': threadField((t) => t.tid === t.pid),
  'thread.cap_permitted': threadField((t) => renderCaps(t.capPermitted)),
  'thread.cap_effective': threadField((t) => renderCaps(t.capEffective)),
  'thread.cap_inheritable': threadField((t) => renderCaps(t.capInheritable)),

  // --- user and group ----------------------------------------------------------------------
  'user.uid': () => (c) => euid(c),
  'user.name': () => (c) => userName(c, euid(c)),
  'user.homedir': () => (c) => user(c, euid(c))?.home,
  'user.shell': () => (c) => user(c, euid(c))?.shell,
  'user.loginuid': () => (c) => c.num(COL.loginuid) ?? c.thread()?.loginuid,
  'user.loginname': () => (c) => userName(c, c.num(COL.loginuid) ?? c.thread()?.loginuid),
  'group.gid': () => (c) => egid(c),
  'group.name': () => (c) => {
    const gid = egid(c);
    return groupNameOf(c, gid);
  },

  // --- fd ------------------------------------------------------------------------------------
  'fd.num': () => (c) => c.fd()?.num ?? c.num(COL.fd),
  'fd.type': fdField((fd) => fd.type),
  'fd.typechar': fdField((fd) => TYPE_CHARS[fd.type] ?? 'o'),
  'fd.name': fdField((fd) => fd.name),
  'fd.nameraw': fdField((fd) => fd.nameRaw),
  'fd.directory': fdField((fd) => (fd.type === 'file' || fd.type === 'directory' ? dirname(fd.name) : undefined)),
  // files only: a directory has no file name (libsinsp)
  'fd.filename': fdField((fd) => (fd.type === 'file' ? basename(fd.name) : undefined)),
  'fd.ino': fdField((fd) => fd.ino),
  'fd.dev': fdField((fd) => fd.dev),
  'fd.l4proto': fdField((fd) => (isSocket(fd) ? l4protoName(fd.l4proto) : undefined)),
  // by the fd's type, as libsinsp (a unix socket from the process list has no family of its own)
  'fd.sockfamily': fdField((fd) => (fd.type === 'ipv4' || fd.type === 'ipv6' ? 'ip' : fd.type === 'unix' ? 'unix' : undefined)),
  'fd.connected': fdField((fd) => fd.connected),
  'fd.name_changed': fdField((fd, c) => fd.namedAt === (c.num(COL.num) ?? -1)),
  'fd.cip': fdField((fd) => ifSocket(fd, fd.cip)),
  'fd.sip': fdField((fd) => ifSocket(fd, fd.sip)),
  'fd.ip': fdField((fd) => ifSocket(fd, fd.sip)),
  'fd.cport': fdField((fd) => (isSocket(fd) ? fd.cport : undefined)),
  'fd.sport': fdField((fd) => (isSocket(fd) ? fd.sport : undefined)),
  'fd.port': fdField((fd) => (isSocket(fd) ? fd.sport : undefined)),
  'fd.cnet': fdField((fd) => ifSocket(fd, fd.cip)),
  'fd.snet': fdField((fd) => ifSocket(fd, fd.sip)),
  'fd.net': fdField((fd) => ifSocket(fd, fd.sip)),
  'fd.cip.name': fdField(() => undefined),
  'fd.sip.name': fdField(() => undefined),
  'fd.lip.name': fdField(() => undefined),
  'fd.rip.name': fdField(() => undefined),
  'fd.types': (arg) => (c) => {
    const pid = c.num(COL.pid) ?? c.thread()?.pid;
    const table = pid === undefined ? undefined : c.state.fds.get(pid);
    if (!table) return undefined;
    if (arg !== undefined) {
      const fd = table.get(Number(arg));
      return fd ? [fd.type] : undefined;
    }
    return [...new Set([...table.values()].map((fd) => fd.type))];
  },

  // --- fs.path -------------------------------------------------------------------------------
  'fs.path.name': () => (c) => fsPath(c, 'name', false),
  'fs.path.nameraw': () => (c) => fsPath(c, 'name', true),
  'fs.path.source': () => (c) => fsPath(c, 'source', false),
  'fs.path.sourceraw': () => (c) => fsPath(c, 'source', true),
  'fs.path.target': () => (c) => fsPath(c, 'target', false),
  'fs.path.targetraw': () => (c) => fsPath(c, 'target', true),

  // --- container (from snapshots; `host` outside containers) ---------------------------------
  'container.id': threadField((t) => t.containerId),
  'container.name': threadField((t, c) => (t.containerId === 'host' ? 'host' : c.state.containers.get(t.containerId)?.name)),
  'container.image': threadField((t, c) => c.state.containers.get(t.containerId)?.image),
  'container.image.repository': threadField((t, c) => imageParts(c.state.containers.get(t.containerId)?.image).repository),
  'container.image.tag': threadField((t, c) => imageParts(c.state.containers.get(t.containerId)?.image).tag),
  'container.privileged': threadField((t, c) => c.state.containers.get(t.containerId)?.privileged),
  'container.mounts': threadField((t, c) => c.state.containers.get(t.containerId)?.mounts.join(',')),
  'container.mount.dest': mountField('source', (m) => m.dest),
  'container.start_ts': threadField((t, c) => c.state.containers.get(t.containerId)?.startTs),

  // --- more evt ------------------------------------------------------------------------------
  'evt.deltatime.s': () => (c) => (c.prevTs < 0n ? 0n : BigInt.asUintN(64, c.ts() - c.prevTs) / NS),
  'evt.deltatime.ns': () => (c) => (c.prevTs < 0n ? 0n : BigInt.asUintN(64, c.ts() - c.prevTs) % NS),
  'evt.latency.human': () => (c) => humanDuration(c.big(COL.latency) ?? 0n),
  'evt.outputtime': () => (c) => renderTime(c.ts()),
  'evt.asynctype': () => () => undefined,
  'evt.category': () => (c) => categoryOf(c.type()),
  'evt.is_io': () => (c) => IO_READ.has(c.type()) || IO_WRITE.has(c.type()),
  'evt.is_io_read': () => (c) => IO_READ.has(c.type()),
  'evt.is_io_write': () => (c) => IO_WRITE.has(c.type()),
  'evt.io_dir': () => (c) => (IO_READ.has(c.type()) ? 'r' : IO_WRITE.has(c.type()) ? 'w' : undefined),
  'evt.is_wait': () => (c) => WAIT.has(c.type()),
  'evt.is_syslog': () => (c) => IO_WRITE.has(c.type()) && c.fd()?.name === '/dev/log',
  'evt.abspath': (arg) => (c) => {
    const path = arg === 'dst' || arg === 'target' ? c.str(COL.path2) : c.str(COL.path);
    return path === undefined ? undefined : resolveAgainst(c, path);
  },

  // --- more process --------------------------------------------------------------------------
  'proc.aargs': procField((t) => t.args.join(' '), true),
  // exe, a space, the arguments (libsinsp keeps the space when there are none)
  'proc.exeline': procField((t) => `${t.exe} ${t.args.join(' ')}`),
  'proc.aenv': procField((t) => t.env.join(' '), true),
  'proc.pgid': threadField((t) => t.pgid),
  'proc.pgid.name': threadField((t, c) => known(leaderOf(c, t, pgidOf, false)?.comm ?? '')),
  'proc.pgid.exe': threadField((t, c) => known(leaderOf(c, t, pgidOf, false)?.exe ?? '')),
  'proc.pgid.exepath': threadField((t, c) => known(leaderOf(c, t, pgidOf, false)?.exepath ?? '')),
  'proc.is_pgid_leader': threadField((t) => t.pgid === t.pid),
  'proc.sid.exe': threadField((t, c) => known(leaderOf(c, t, sidOf, true)?.exe ?? '')),
  'proc.sid.exepath': threadField((t, c) => known(leaderOf(c, t, sidOf, true)?.exepath ?? '')),
  'proc.ppid.ts': parentField((t) => (t.startTs > 0n ? t.startTs : undefined)),
  // Not child processes: the threads of the process other than its leader (libsinsp's get_num_not_leader_threads).
  'proc.nchilds': threadField((t, c) => {
    let n = 0;
    for (const o of c.state.threads.values()) if (o.pid === t.pid) n++;
    return c.state.threads.has(t.pid) ? n - 1 : n;
  }),
  'proc.fdopencount': threadField((t, c) => c.state.fds.get(t.pid)?.size ?? 0),
  'proc.stdin.type': stdio(0, (fd) => fd.type),
  'proc.stdout.type': stdio(1, (fd) => fd.type),
  'proc.stderr.type': stdio(2, (fd) => fd.type),
  'proc.stdin.name': stdio(0, (fd) => fd.name),
  'proc.stdout.name': stdio(1, (fd) => fd.name),
  'proc.stderr.name': stdio(2, (fd) => fd.name),
  // `controller=path` entries; a capture's one cgroup path stands for every controller (cgroup v2).
  'thread.cgroups': threadField((t) => (t.cgroups.length > 0 ? t.cgroups.map(sinspCgroupEntry).join(' ') : t.cgroup ? cgroupEntriesFor(t.cgroup).map(sinspCgroupEntry).join(' ') : undefined)),
  'thread.cgroup': (arg) => (c) => {
    const t = c.thread();
    if (!t || arg === undefined || arg === '') return undefined;
    if (t.cgroups.length > 0) {
      const entry = t.cgroups.map(sinspCgroupEntry).find((e) => e.startsWith(`${arg}=`));
      return entry?.slice(arg.length + 1);
    }
    // One cgroup path is recorded (the unified or the container's); it answers every controller.
    return t.cgroup || undefined;
  },

  // --- more fd -------------------------------------------------------------------------------
  'fd.proto': fdField((fd) => (isSocket(fd) ? l4protoName(fd.l4proto) : undefined)),
  // fd.dev is in new_encode_dev's form (as the kernel's stat st_dev): 12 bits of major above 8 bits of minor, the rest of the minor above.
  'fd.dev.major': fdField((fd) => (fd.dev & 0xfff00) >>> 8),
  'fd.dev.minor': fdField((fd) => (fd.dev & 0xff) | ((fd.dev >>> 12) & 0xfff00)),
  'fdlist.nums': () => (c) => fdList(c, (num) => String(num)),
  'fdlist.names': () => (c) => fdList(c, (_num, fd) => (fd && fd.name !== '' ? fd.name : '<NA>')),
  'fdlist.cips': () => (c) => fdList(c, (_num, fd) => (isInetSocket(fd) ? fd.cip : undefined)),
  'fdlist.sips': () => (c) => fdList(c, (_num, fd) => (isInetSocket(fd) ? fd.sip : undefined)),
  'fdlist.cports': () => (c) => fdList(c, (_num, fd) => (isInetSocket(fd) ? String(fd.cport) : undefined)),
  'fdlist.sports': () => (c) => fdList(c, (_num, fd) => (isInetSocket(fd) ? String(fd.sport) : undefined)),

  // --- more container and k8s (k8s fields come from the container's io.kubernetes.* labels) ---
  'container.full_id': threadField((t) => t.containerId),
  // The container plugin keeps a "host" container of type host (container_type CT_HOST).
  'container.type': threadField((t, c) => (t.containerId === 'host' ? 'host' : c.state.containers.get(t.containerId)?.runtime)),
  'container.duration': threadField((t, c) => {
    const start = c.state.containers.get(t.containerId)?.startTs;
    return start ? c.ts() - start : undefined;
  }),
  'container.mount': mountField('source', (m) => `${m.source}:${m.dest}:${m.mode}:${m.rw}:${m.propagation}`),
  'container.mount.source': mountField('dest', (m) => m.source),
  'container.mount.mode': mountField('source', (m) => m.mode),
  'container.mount.rdwr': mountField('source', (m) => m.rw),
  'container.mount.propagation': mountField('source', (m) => m.propagation),
  'container.ip': threadField((t, c) => c.state.containers.get(t.containerId)?.labels['ip']),
  'k8s.ns.name': k8sLabel('io.kubernetes.pod.namespace'),
  'k8s.pod.name': k8sLabel('io.kubernetes.pod.name'),
  'k8s.pod.uid': k8sLabel('io.kubernetes.pod.uid'),
  'k8s.pod.id': k8sLabel('io.kubernetes.pod.uid'),
  'k8s.pod.sandbox_id': k8sLabel('io.kubernetes.sandbox.id', (v) => v.slice(0, 12)),
  'k8s.pod.full_sandbox_id': k8sLabel('io.kubernetes.sandbox.id'),
  'k8s.pod.label': (arg) => (c) => {
    const t = c.thread();
    return t && arg !== undefined ? c.state.containers.get(t.containerId)?.labels[arg] : undefined;
  },
  'k8s.pod.labels': threadField((t, c) => {
    const labels = c.state.containers.get(t.containerId)?.labels;
    if (!labels) return undefined;
    const own = Object.entries(labels).filter(([k]) => !k.startsWith('io.kubernetes.') && k !== 'ip');
    return own.length ? own.map(([k, v]) => `${k}:${v}`).join(', ') : undefined;
  }),

  // --- fields no rule of the default rulesets uses: libsinsp's values where the trace has the data ---
  'evt.pluginname': noValue, // plugin events only
  'evt.plugininfo': noValue,
  'evt.infra.docker.name': noValue, // docker infrastructure events only
  'evt.infra.docker.container.id': noValue,
  'evt.infra.docker.container.name': noValue,
  'evt.infra.docker.container.image': noValue,
  // Current libs give 0 for these deprecated latency fields on every event.
  'evt.latency.quantized': () => () => 0,
  'evt.wait_latency': () => () => 0n,
  'evt.count.threadinfo': () => (c) => (c.type() === 'procinfo' ? 1 : 0),
  'evt.count.procinfo': () => (c) => {
    if (c.type() !== 'procinfo') return 0;
    const t = c.thread();
    return t && t.tid === t.pid ? 1 : 0;
  },
  // Decided by the provider's predicate hook (evt.around[T]=D); no value of its own.
  'evt.around': noValue,
  'evt.buflen.in': ioBuflen('in', 'any'),
  'evt.buflen.out': ioBuflen('out', 'any'),
  'evt.buflen.file': ioBuflen('any', 'file'),
  'evt.buflen.file.in': ioBuflen('in', 'file'),
  'evt.buflen.file.out': ioBuflen('out', 'file'),
  'evt.buflen.net': ioBuflen('any', 'net'),
  'evt.buflen.net.in': ioBuflen('in', 'net'),
  'evt.buflen.net.out': ioBuflen('out', 'net'),
  'proc.exe_ino.ctime_duration_pidns_start': threadField((t) => (t.pidnsStart > 0n && t.exeCtime > t.pidnsStart ? t.exeCtime - t.pidnsStart : undefined)),
  'proc.pidns_init_start_ts': threadField((t) => (t.pidnsStart > 0n ? t.pidnsStart : undefined)),
  'proc.fdlimit': threadField((t, c) => figure(mainThread(c, t).fdlimit)),
  'proc.fdusage': threadField((t, c) => fdUsage(c, t)),
  'proc.vmsize': threadField((t) => figure(t.vmsizeKb)),
  'proc.vmrss': threadField((t) => figure(t.vmrssKb)),
  'proc.vmswap': threadField((t) => figure(t.vmswapKb)),
  'thread.pfmajor': threadField((t) => figure(t.pfmajor)),
  'thread.pfminor': threadField((t) => figure(t.pfminor)),
  'thread.vmsize': threadField((t) => mainOnly(t, t.vmsizeKb)),
  'thread.vmrss': threadField((t) => mainOnly(t, t.vmrssKb)),
  'thread.vmsize.b': threadField((t) => mainOnly(t, t.vmsizeKb, 1024)),
  'thread.vmrss.b': threadField((t) => mainOnly(t, t.vmrssKb, 1024)),
  'thread.nametid': threadField((t, c) => `${c.str(COL.comm) ?? t.comm}${c.tid()}`),
  'thread.exectime': execTime(false),
  'thread.totexectime': execTime(true),
  'thread.cpu': threadCpu(true, true),
  'thread.cpu.user': threadCpu(true, false),
  'thread.cpu.system': threadCpu(false, true),
  'fd.is_upper_layer': fdField((fd) => (fd.flags & PPM_O.FD_UPPER_LAYER) !== 0),
  'fd.is_lower_layer': fdField((fd) => (fd.flags & PPM_O.FD_LOWER_LAYER) !== 0),
  'container.image.id': containerDetail('image_id'),
  'container.image.digest': threadField((t, c) => {
    const ct = c.state.containers.get(t.containerId);
    const at = ct?.image.indexOf('@') ?? -1;
    return ct?.details.image_digest || (at >= 0 ? ct!.image.slice(at + 1) : undefined);
  }),
  // Deprecated in Falco's container plugin, which extracts nothing for them.
  'container.healthcheck': noValue,
  'container.liveness_probe': noValue,
  'container.readiness_probe': noValue,
  'container.cni.json': containerDetail('cni_json'),
  'container.host_pid': containerFlag('host_pid'),
  'container.host_network': containerFlag('host_network'),
  'container.host_ipc': containerFlag('host_ipc'),
  'container.info': noValue, // an output placeholder Falco drops
  'k8s.pod.ip': threadField((t, c) => c.state.containers.get(t.containerId)?.labels['ip']),
  'k8s.pod.cni.json': containerDetail('cni_json'),
  // Deprecated: Falco's container plugin declares them and gives no value (the k8s client that
  // filled them left libsinsp); no trace records them.
  'k8s.ns.id': noValue,
  'k8s.ns.label': noValue,
  'k8s.ns.labels': noValue,
  'k8s.rc.name': noValue,
  'k8s.rc.id': noValue,
  'k8s.rc.label': noValue,
  'k8s.rc.labels': noValue,
  'k8s.svc.name': noValue,
  'k8s.svc.id': noValue,
  'k8s.svc.label': noValue,
  'k8s.svc.labels': noValue,
  'k8s.rs.name': noValue,
  'k8s.rs.id': noValue,
  'k8s.rs.label': noValue,
  'k8s.rs.labels': noValue,
  'k8s.deployment.name': noValue,
  'k8s.deployment.id': noValue,
  'k8s.deployment.label': noValue,
  'k8s.deployment.labels': noValue,
});

function imageParts(image: string | undefined): { repository?: string; tag?: string } {
  if (!image) return {};
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = noDigest.lastIndexOf(':');
  if (colon > noDigest.lastIndexOf('/')) return { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) };
  return { repository: noDigest, tag: undefined };
}

/**
 * Costly checks on string fields (glob, regex, pmatch, icontains, transformers…) are decided
 * once per distinct value: values repeat heavily in a trace (paths, names, command lines), so
 * each field's values are numbered as they are met (one hash lookup per field and event) and
 * each check keeps its answers by value number (an array lookup per check and event). Plain
 * comparisons (=, in, startswith…) are made inline by the compiled condition.
 * IP checks keep a value → answer map. Both are bounded (MEMO_LIMIT values, then start over).
 */
const MEMO_LIMIT = 1 << 16;

/** Fields whose value, when the row has it, is a dictionary column's string. */
const DICTIONARY_FIELDS: Record<string, 'comm' | 'type' | 'dir'> = {
  'proc.name': 'comm',
  'evt.type': 'type',
  'syscall.type': 'type',
  'evt.dir': 'dir',
};

interface Slot {
  stamp: number;
  value: unknown;
}

/**
 * Comparisons the compiled condition makes inline at less cost than numbering the value (a hash
 * lookup of a string met for the first time costs more than a startsWith): plain string
 * comparisons without transformers on one value.
 */
const INLINE_OPS = new Set(['=', '==', '!=', 'in', 'intersects', 'startswith', 'endswith', 'contains']);

function isCheap(field: FieldInfo, arg: string | undefined, check: { op: string; left?: { kind: string } }): boolean {
  return INLINE_OPS.has(check.op) && check.left?.kind === 'field' && !(field.matchAnyWithoutArg && arg === undefined);
}

/** A field's values numbered as they are met, and this event's value and number (-1: not a string). */
interface Numbering {
  stamp: number;
  value: unknown;
  id: number;
  /** Changes when the numbers start over (MEMO_LIMIT distinct values): answers by number are then stale. */
  generation: number;
  readonly ids: Map<string, number>;
  readonly extract: Extractor;
}

function numberValue(n: Numbering, c: Cursor): void {
  n.stamp = c.stamp;
  const v = n.extract(c);
  n.value = v;
  if (typeof v !== 'string') {
    n.id = -1;
    return;
  }
  let id = n.ids.get(v);
  if (id === undefined) {
    if (n.ids.size >= MEMO_LIMIT) {
      n.ids.clear();
      n.generation++;
    }
    id = n.ids.size;
    n.ids.set(v, id);
  }
  n.id = id;
}

/**
 * The rules of a ruleset ask for the same fields again and again on one event (every rule on
 * `openat` reads fd.name, evt.is_open_write, proc.name…; shared macros even repeat whole
 * checks). Each field is therefore extracted at most once per event, and each check on a
 * string field decided at most once per distinct value, whatever the number of rules that
 * contain it.
 */
export function newSyscallProvider(options: { bufferDisplayLimit?: number } = {}) {
  if (options.bufferDisplayLimit !== undefined) setBufferDisplayLimit(options.bufferDisplayLimit);
  const slots = new Map<string, Extractor>();
  const numberings = new Map<string, Numbering>();
  const checks = new WeakMap<object, (cursor: unknown) => boolean>();

  const keyOf = (field: FieldInfo, arg: string | undefined) => (arg === undefined ? field.name : `${field.name}[${arg}]`);

  function cachedExtractor(field: FieldInfo, arg: string | undefined): Extractor {
    const key = keyOf(field, arg);
    let cached = slots.get(key);
    if (!cached) {
      const factory = EXTRACTORS[field.name];
      const extract = factory ? factory(arg) : () => undefined;
      const slot: Slot = { stamp: -1, value: undefined };
      cached = (c: Cursor) => {
        if (slot.stamp === c.stamp) return slot.value;
        slot.stamp = c.stamp;
        return (slot.value = extract(c));
      };
      slots.set(key, cached);
    }
    return cached;
  }

  function numbering(field: FieldInfo, arg: string | undefined): Numbering {
    const key = keyOf(field, arg);
    let n = numberings.get(key);
    if (!n) {
      n = { stamp: -1, value: undefined, id: -1, generation: 0, ids: new Map(), extract: cachedExtractor(field, arg) };
      numberings.set(key, n);
    }
    return n;
  }

  return {
    extractor(field: FieldInfo, arg: string | undefined): (cursor: unknown) => unknown {
      return cachedExtractor(field, arg) as (cursor: unknown) => unknown;
    },
    predicate(field: FieldInfo, arg: string | undefined, pred: (value: unknown) => boolean, check: { op: string }): ((cursor: unknown) => boolean) | undefined {
      const shared = checks.get(check);
      if (shared) return shared;
      if (field.name === 'evt.around') return aroundCheck(arg, check);
      const column = arg === undefined ? DICTIONARY_FIELDS[field.name] : undefined;
      let decide: (cursor: unknown) => boolean;
      if (column) {
        // A field read straight from a dictionary-encoded column: decided once per dictionary
        // entry for the whole trace, then answered by the row's code.
        const fallback = cachedExtractor(field, arg);
        const byCode: boolean[] = [];
        const index = COLUMN_INDEX[column];
        decide = (cursor: unknown) => {
          const c = cursor as Cursor;
          const code = c.code(index);
          if (code < 0) return pred(fallback(c));
          let r = byCode[code];
          if (r === undefined) {
            r = pred(c.strings[column].get(c.view.cols[index], code));
            byCode[code] = r;
          }
          return r;
        };
      } else if (typeClass(field.type) === 'string' && !field.isList && !isCheap(field, arg, check)) {
        const n = numbering(field, arg);
        // answers by value number: 0 not decided yet, 1 false, 2 true
        let answers = new Uint8Array(64);
        let generation = 0;
        decide = (cursor: unknown) => {
          const c = cursor as Cursor;
          if (n.stamp !== c.stamp) numberValue(n, c);
          const id = n.id;
          if (id < 0) return pred(n.value);
          if (generation !== n.generation) {
            generation = n.generation;
            answers.fill(0);
          }
          if (id >= answers.length) {
            const grown = new Uint8Array(Math.max(answers.length * 2, id + 1));
            grown.set(answers);
            answers = grown;
          }
          let r = answers[id];
          if (r === 0) {
            r = pred(n.value) ? 2 : 1;
            answers[id] = r;
          }
          return r === 2;
        };
      } else if (/^ip/.test(field.type)) {
        const extract = cachedExtractor(field, arg);
        const memo = new Map<unknown, boolean>();
        const slot = { stamp: -1, value: false };
        decide = (cursor: unknown) => {
          const c = cursor as Cursor;
          if (slot.stamp === c.stamp) return slot.value;
          slot.stamp = c.stamp;
          const v = extract(c);
          if (typeof v !== 'string') return (slot.value = pred(v));
          let r = memo.get(v);
          if (r === undefined) {
            r = pred(v);
            if (memo.size >= MEMO_LIMIT) memo.clear();
            memo.set(v, r);
          }
          return (slot.value = r);
        };
      } else return undefined;
      checks.set(check, decide);
      return decide;
    },
  };
}

/**
 * evt.around[T]=D (libsinsp's TYPE_AROUND): true for events at most D milliseconds before or
 * after the time T (ns since the epoch). Only `=` compares; other operators match nothing.
 */
function aroundCheck(arg: string | undefined, check: { op: string; right?: unknown }): ((cursor: unknown) => boolean) | undefined {
  const right = check.right as { kind?: string; value?: string } | undefined;
  if (check.op !== '=' && check.op !== '==') return () => false;
  if (arg === undefined || !/^\d+$/.test(arg) || right?.kind !== 'value' || !/^\d+$/.test(right.value ?? '')) return () => false;
  const at = BigInt(arg);
  const delta = BigInt(right.value!) * 1_000_000n;
  return (cursor) => {
    const ts = (cursor as Cursor).ts();
    return at >= ts - delta && at <= ts + delta;
  };
}

/** A provider for one-off uses (tests, --filter); replays create their own with newSyscallProvider. */
export const syscallProvider = newSyscallProvider();

export function hasExtractor(name: string): boolean {
  return name in EXTRACTORS;
}
