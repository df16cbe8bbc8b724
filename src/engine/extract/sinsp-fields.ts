import { EC, EF, PT } from '../../scap/event-table.js';
import type { Cursor } from '../cursor.js';
import { eventFdNumber } from '../cursor.js';
import { isCloneCaller } from '../state/apply.js';
import { dirname, resolvePath } from '../state/paths.js';
import { groupNameOf, userNameOf } from '../state/users.js';
import type { FdInfo } from '../state/types.js';
import { argText, eventInfoOf, fdTypeChar } from './event-args.js';
import { renderRes } from './render.js';

/**
 * Fields whose libsinsp rules need the event table. evt.category, evt.is_io*, evt.io_dir and
 * evt.is_wait come from the event's table category and flags. user.* and group.* of a clone caller's return
 * come from its thread (the event's ids are the child's).
 *
 * fd.num, fd.name, fd.type and fd.typechar as libsinsp (current libs, sinsp_filter_check_fd)
 * gives them: only on events whose table entry creates, uses or destroys an fd; the number is
 * the thread's "last event fd" (an enter event's fd argument, or -1 when it has none; an exit's
 * new fd, or the fd it acted on); without a known fd, the name comes from the event itself
 * (open, creat, accept, connect exits; "" for other exits) and the type letter from the event
 * type. Rows of types the event table does not know keep tsfalco's own rules.
 */

type Extractor = (c: Cursor) => unknown;
type Factory = (arg: string | undefined) => Extractor;

const FD_EVENT = EF.CREATES_FD | EF.USES_FD | EF.DESTROYS_FD;

/** Whether fd fields apply to the row (undefined: the type is not in the event table). */
function isFdEvent(c: Cursor): boolean | undefined {
  const info = eventInfoOf(c);
  return info === undefined ? undefined : (info.flags & FD_EVENT) !== 0;
}

/** libsinsp's m_lastevent_fd for the row. */
function lastEventFd(c: Cursor): number {
  if (c.str('dir') === '>') {
    const info = eventInfoOf(c);
    return info && info.flags & EF.USES_FD ? (c.num('fd') ?? -1) : -1;
  }
  // pipe and socketpair add both their fds: the second is the last one.
  const type = c.type();
  if ((type === 'pipe' || type === 'pipe2' || type === 'socketpair') && c.num('res') === 0) return c.num('fd2') ?? c.num('fd') ?? -1;
  return eventFdNumber(c) ?? -1;
}

function fdInfo(c: Cursor): FdInfo | undefined {
  return c.fd();
}

/** The type letter libsinsp guesses from the event when it knows no fd (sinsp_evt::extract_typechar). */
const TYPECHAR_OF_EVENT: Record<string, string> = {
  openat: 'f', openat2: 'f', creat: 'f', socket: '4', accept: '4', accept4: '4', pipe: 'p', pipe2: 'p', eventfd: 'e', eventfd2: 'e',
  signalfd: 's', signalfd4: 's', timerfd_create: 't', inotify_init: 'i', inotify_init1: 'i',
};

/**
 * fd.name (`raw` false) or fd.nameraw (`raw` true) of an event whose fd libsinsp does not know, a
 * failed open for instance (sinsp_filter_check_fd::extract_fdname_from_event): open, creat and
 * accept exits give their path argument, resolved against cwd when relative (an absolute one as
 * the process gave it); openat/openat2 the name joined to its dirfd's directory and normalised
 * (sinsp_utils::concatenate_paths, which also normalises an absolute name:
 * `/root/../root/.ssh/k` is `/root/.ssh/k`), or for fd.nameraw the name as given;
 * open_by_handle_at its path; a connect its tuple; other exits "".
 */
function nameFromEvent(c: Cursor, raw = false): string | undefined {
  if (c.str('dir') === '>') return undefined;
  const type = c.type();
  switch (type) {
    case 'open':
    case 'creat':
    case 'accept':
    case 'accept4':
    case 'connect': {
      if (type === 'accept' || type === 'accept4' || type === 'connect') {
        const sip = c.str('sip');
        const dip = c.str('dip');
        // a unix tuple as libsinsp prints it (kernel addresses, then the path); an absent one is NULL
        if (sip === undefined && dip === undefined) return c.extra()?.tuple ?? c.str('path') ?? 'NULL';
        return `${sip ?? ''}:${c.num('sport') ?? 0}->${dip ?? ''}:${c.num('dport') ?? 0}`;
      }
      const path = c.str('path') ?? '';
      const cwd = c.thread()?.cwd;
      return path.startsWith('/') || !cwd ? path : resolvePath(cwd, path);
    }
    case 'openat':
    case 'openat2': {
      const path = c.str('path');
      if (path === undefined) return undefined;
      if (raw) return path;
      if (path.startsWith('/')) return resolvePath('', path);
      const dirfd = c.num('dirfd');
      const t = c.thread();
      const base = dirfd === undefined || dirfd === -100 ? t?.cwd : t && c.state.fds.get(c.num('pid') ?? t.pid)?.get(dirfd)?.name;
      return !base ? path : resolvePath(base, path);
    }
    case 'open_by_handle_at':
      return c.str('path') ?? '';
    default:
      return '';
  }
}

/** libsinsp's remove_duplicate_path_separators, applied to every fd.nameraw. */
function withoutDuplicateSlashes(path: string): string {
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
}

/** fd.directory of a name: up to its last `/`, `/` when that is the first character or there is none (libsinsp). */
function directoryOf(name: string): string {
  const pos = name.lastIndexOf('/');
  if (pos <= 0) return '/';
  return pos < name.length - 1 ? name.slice(0, pos) : name;
}

/** The effective uid / gid of the event's thread; a clone caller's row names the child's, libsinsp keeps the caller's. */
function euid(c: Cursor): number | undefined {
  return (isCloneCaller(c, c.type()) ? undefined : c.num('euid')) ?? c.thread()?.euid;
}

function egid(c: Cursor): number | undefined {
  return (isCloneCaller(c, c.type()) ? undefined : c.num('egid')) ?? c.thread()?.egid;
}

const CATEGORY_NAMES: Record<number, string> = {
  [EC.UNKNOWN]: 'unknown', [EC.OTHER]: 'other', [EC.FILE]: 'file', [EC.NET]: 'net', [EC.IPC]: 'IPC', [EC.MEMORY]: 'memory',
  [EC.PROCESS]: 'process', [EC.SLEEP]: 'sleep', [EC.SYSTEM]: 'system', [EC.SIGNAL]: 'signal', [EC.USER]: 'user', [EC.TIME]: 'time',
  [EC.PROCESSING]: 'processing', [EC.WAIT]: 'wait', [EC.SCHEDULER]: 'scheduler', [EC.INTERNAL]: 'internal',
};

/** evt.category: the event's table category; I/O events by the kind of their fd (unknown without one). */
function category(c: Cursor): string | undefined {
  const info = eventInfoOf(c);
  if (!info) return undefined;
  // A generic event's category is its own table entry's (other), whatever the syscall.
  if (info.id === 'GENERIC_E' || info.id === 'GENERIC_X') return 'other';
  const cat = info.category & (EC.SYSCALL - 1);
  if (cat === EC.IO_READ || cat === EC.IO_WRITE || cat === EC.IO_OTHER) {
    const fd = c.fd();
    switch (fd?.type) {
      case 'file':
      case 'directory':
        return 'file';
      case 'ipv4':
      case 'ipv6':
        return 'net';
      case 'pipe':
      case 'unix':
      case 'event':
      case 'signalfd':
      case 'inotify':
      case 'userfaultfd':
        return 'ipc';
      default:
        return 'unknown';
    }
  }
  return CATEGORY_NAMES[cat] ?? 'unknown';
}

const EMPTY = new Uint8Array(0);

/** libsinsp's extract_error_count: 1 for a failed syscall, 0 for one that succeeded, none without a result. */
function errorCount(c: Cursor): number | undefined {
  const res = c.num('res');
  return res === undefined ? undefined : res < 0 ? 1 : 0;
}

const OPEN_TYPES = new Set(['open', 'creat', 'openat', 'openat2', 'open_by_handle_at']);
const NET_TYPES = new Set(['accept', 'accept4', 'connect']);
const FILE_FD = new Set(['file', 'directory']);
const NET_FD = new Set(['ipv4', 'ipv6', 'unix']);

/**
 * Which of evt.count.error.file / .net / .memory / .other an event counts in: by its fd's kind
 * where it has one, else by its type (sinsp_filter_check_event's TYPE_COUNT_ERROR_*).
 */
function errorClass(c: Cursor): 'file' | 'net' | 'memory' | 'other' {
  const fd = isFdEvent(c) === false ? undefined : fdInfo(c);
  if (fd) return FILE_FD.has(fd.type) ? 'file' : NET_FD.has(fd.type) ? 'net' : 'other';
  const type = c.type();
  const exit = c.str('dir') !== '>';
  if (exit && OPEN_TYPES.has(type)) return 'file';
  if (exit && NET_TYPES.has(type)) return 'net';
  return isMemoryEvent(c) ? 'memory' : 'other';
}

/** Whether the event's table category is memory. */
function isMemoryEvent(c: Cursor): boolean {
  const info = eventInfoOf(c);
  return info !== undefined && (info.category & (EC.SYSCALL - 1)) === EC.MEMORY;
}

function errorCountOf(kind: 'file' | 'net' | 'memory' | 'other'): Factory {
  // memory is by category alone: an mmap of a file counts as memory and as file
  if (kind === 'memory') return () => (c) => (isMemoryEvent(c) ? errorCount(c) : undefined);
  return () => (c) => (errorClass(c) === kind ? errorCount(c) : undefined);
}

/** An extractor from the event's table flags, or the given fallback for types the table does not know. */
function byFlags(get: (flags: number) => unknown, fallback: Factory | undefined): Factory {
  return (arg) => {
    const other = fallback?.(arg);
    return (c) => {
      const info = eventInfoOf(c);
      if (!info || info.id === 'GENERIC_E' || info.id === 'GENERIC_X') return other?.(c);
      return get(info.flags);
    };
  };
}

/** Fields by event-table flags (evt.is_io…), falling back to tsfalco's own extractors. */
function flagFields(extractors: Record<string, Factory>): Record<string, Factory> {
  return {
    'evt.is_io': byFlags((f) => (f & (EF.READS_FROM_FD | EF.WRITES_TO_FD)) !== 0, extractors['evt.is_io']),
    'evt.is_io_read': byFlags((f) => (f & EF.READS_FROM_FD) !== 0, extractors['evt.is_io_read']),
    'evt.is_io_write': byFlags((f) => (f & EF.WRITES_TO_FD) !== 0, extractors['evt.is_io_write']),
    'evt.io_dir': byFlags((f) => (f & EF.WRITES_TO_FD ? 'write' : f & EF.READS_FROM_FD ? 'read' : undefined), extractors['evt.io_dir']),
    'evt.is_wait': byFlags((f) => (f & EF.WAITS) !== 0, extractors['evt.is_wait']),
  };
}

function fdName(c: Cursor): string | undefined {
  const fdEvent = isFdEvent(c);
  if (fdEvent === false) return undefined;
  const fd = fdInfo(c);
  if (fd) return fd.name;
  return fdEvent === undefined ? undefined : nameFromEvent(c);
}

/** A file's directory, a directory's own name; without a known fd, that of the name the event gives. */
function fdDirectory(c: Cursor): string | undefined {
  const fd = fdInfo(c);
  if (fd) return fd.type === 'file' ? dirname(fd.name) : fd.type === 'directory' ? fd.name : undefined;
  const name = isFdEvent(c) ? nameFromEvent(c) : undefined;
  return name === undefined ? undefined : directoryOf(name);
}

/** The container id as libsinsp's fd fields see it: the container plugin's, "" on the host. */
const containerIdOf = (c: Cursor): string => {
  const id = c.thread()?.containerId ?? '';
  return id === 'host' ? '' : id;
};

const OVERRIDES: Record<string, Factory> = {
  'user.uid': () => (c) => euid(c),
  'user.name': () => (c) => {
    return userNameOf(c, euid(c));
  },
  'group.gid': () => (c) => egid(c),
  'group.name': () => (c) => {
    return groupNameOf(c, egid(c));
  },

  // A failure is the result parameter as libsinsp renders it: an errno's name, but a pid-typed
  // result (clone, setsid…) stays a number.
  'evt.res': () => (c) => {
    const res = c.num('res');
    if (res === undefined) return undefined;
    if (res >= 0) return 'SUCCESS';
    return eventInfoOf(c)?.params[0]?.type === PT.PID ? String(res) : renderRes(res);
  },
  // Any event with a data parameter has a buffer, empty when the capture kept none of it.
  'evt.buffer': () => (c) => {
    const bytes = c.bytes('buffer');
    if (bytes !== undefined) return bytes;
    const data = eventInfoOf(c)?.params.find((p) => p.name === 'data');
    if (!data) return undefined;
    // another type of data parameter (ptrace's) as libsinsp renders it
    return data.type === PT.BYTEBUF ? EMPTY : (argText(c, 'data') ?? EMPTY);
  },
  'evt.count.error': () => errorCount,
  'evt.count.error.file': errorCountOf('file'),
  'evt.count.error.net': errorCountOf('net'),
  'evt.count.error.memory': errorCountOf('memory'),
  'evt.count.error.other': errorCountOf('other'),
  'evt.count.exit': () => (c) => (c.str('dir') === '>' ? undefined : 1),

  'fd.num': () => (c) => {
    const fdEvent = isFdEvent(c);
    if (fdEvent === false) return undefined;
    if (fdEvent === undefined) return c.fd()?.num ?? c.num('fd');
    return lastEventFd(c);
  },
  'fd.name': () => fdName,
  // Without a known fd, fd.nameraw and fd.directory come from the event too (the name of a failed open).
  'fd.nameraw': () => (c) => {
    const fd = fdInfo(c);
    const name = fd ? fd.nameRaw : isFdEvent(c) ? nameFromEvent(c, true) : undefined;
    return name === undefined ? undefined : withoutDuplicateSlashes(name);
  },
  'fd.directory': () => fdDirectory,
  // The container id ("" on the host), then the fd's name or directory.
  'fd.containername': () => (c) => {
    const name = fdName(c);
    return name === undefined ? undefined : `${containerIdOf(c)}:${name}`;
  },
  'fd.containerdirectory': () => (c) => {
    const dir = fdDirectory(c);
    return dir === undefined ? undefined : `${containerIdOf(c)}:${dir}`;
  },
  'fd.lip': sideField(true, 'ip'),
  'fd.rip': sideField(false, 'ip'),
  'fd.lnet': sideField(true, 'ip'),
  'fd.rnet': sideField(false, 'ip'),
  'fd.lport': sideField(true, 'port'),
  'fd.rport': sideField(false, 'port'),
  'fd.lproto': sideField(true, 'proto'),
  'fd.rproto': sideField(false, 'proto'),
  // A listening socket, or one whose server address is this machine's (libsinsp: not the role).
  'fd.is_server': () => (c) => {
    const fd = fdInfo(c);
    if (fd === undefined) return undefined;
    if (isBoundOnly(fd)) return true;
    // a socket without a server address yet has the unspecified one (:: is in ::1's network)
    return isInetFd(fd) ? isLocalAddress(c, fd, fd.sip || (fd.type === 'ipv6' ? '::' : '0.0.0.0')) : false;
  },
  // The client's port as text on an inet socket; "" on another socket with a role (unix).
  'fd.cproto': () => (c) => {
    const fd = fdInfo(c);
    if (fd === undefined) return undefined;
    if (fd.type === 'ipv4' || fd.type === 'ipv6') return String(fd.cport);
    return fd.type === 'unix' && fd.hasRole ? '' : undefined;
  },
  'fd.sproto': () => (c) => {
    const fd = fdInfo(c);
    return isInetFd(fd) ? String(fd.sport) : undefined;
  },
  // The thread and its last event's fd, as one string (libsinsp: to_string(tid) + to_string(fd)).
  'fd.uid': () => (c) => {
    // Types the event table does not know are generic events to libsinsp: not fd events.
    if (isFdEvent(c) !== true || !c.thread()) return undefined;
    return `${c.tid()}${lastEventFd(c)}`;
  },
  'fd.type': () => (c) => (isFdEvent(c) === false ? undefined : fdInfo(c)?.type),
  'fd.typechar': () => (c) => {
    const fdEvent = isFdEvent(c);
    if (fdEvent === false) return undefined;
    const fd = fdInfo(c);
    if (fd) return fdTypeChar(fd);
    return fdEvent === undefined ? undefined : (TYPECHAR_OF_EVENT[c.type()] ?? 'o');
  },
};

/**
 * Whether libsinsp takes `ip` for an address of this machine (is_ipv4addr_in_local_machine,
 * is_ipv6addr_in_local_machine). With the container plugin, a host thread's container id is ""
 * and the machine's interfaces decide (IPv4: an interface's address; IPv6: an interface's
 * network, its first 48 bits); a container's thread is local by its container's IP (IPv4) or not
 * at all (IPv6), its IP-less container by any container's IP.
 */
function isLocalAddress(c: Cursor, fd: FdInfo, ip: string): boolean {
  const id = containerIdOf(c);
  const v6 = fd.type === 'ipv6';
  if (id !== '') {
    if (v6) return false;
    const own = c.state.containers.get(id)?.labels.ip;
    if (!own) {
      for (const k of c.state.containers.values()) if (k.labels.ip === ip) return true;
      return false;
    }
    if (own === ip) return true;
  }
  if (!v6) return c.state.interfaces.includes(ip);
  const net = ipv6Prefix48(ip);
  return net !== undefined && c.state.interfaces.some((a) => a.includes(':') && ipv6Prefix48(a) === net);
}

/** The first 48 bits of an IPv6 address, as text (libsinsp's convention for an interface's network). */
function ipv6Prefix48(ip: string): string | undefined {
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail] : head;
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return groups.slice(0, 3).map((g) => parseInt(g, 16)).join(':');
}

const isInetFd = (fd: FdInfo | undefined): fd is FdInfo => fd !== undefined && (fd.type === 'ipv4' || fd.type === 'ipv6');

/**
 * fd.lip / rip / lport / rport / lproto / rproto / lnet / rnet as libsinsp picks them: the
 * client side (its tuple's source) is the local one when its address is local (isLocalAddress),
 * else the server side is. Ports as text for the *proto fields (no port name resolution).
 */
function sideField(local: boolean, part: 'ip' | 'port' | 'proto'): Factory {
  return () => (c) => {
    const fd = fdInfo(c);
    if (!isInetFd(fd)) return undefined;
    const clientIsLocal = isLocalAddress(c, fd, fd.cip);
    const client = clientIsLocal === local;
    if (part === 'ip') return (client ? fd.cip : fd.sip) || undefined;
    const port = client ? fd.cport : fd.sport;
    return part === 'port' ? port : String(port);
  };
}

/** An inet socket libsinsp knows no role of yet (not connected, accepted or bound to a port): it has no addresses. */
function isRoleless(fd: FdInfo): boolean {
  return (fd.type === 'ipv4' || fd.type === 'ipv6') && !fd.isServer && !fd.connected && fd.cip === '' && fd.sip === '';
}

/** A socket bound to a port (libsinsp's server socket type): it has a server side only. */
function isBoundOnly(fd: FdInfo): boolean {
  return (fd.type === 'ipv4' || fd.type === 'ipv6') && fd.isServer && !fd.connected;
}

/** Address fields libsinsp leaves empty for sockets without a role. */
const ADDRESS_FIELDS = [
  'fd.cip', 'fd.sip', 'fd.lip', 'fd.rip', 'fd.cport', 'fd.sport', 'fd.lport', 'fd.rport', 'fd.cnet', 'fd.snet', 'fd.lnet', 'fd.rnet',
  'fd.l4proto', 'fd.cip.name', 'fd.sip.name', 'fd.lip.name', 'fd.rip.name', 'fd.cproto', 'fd.sproto', 'fd.lproto', 'fd.rproto',
];
/** … and those a server socket that accepted nothing has no value for (only its server side). */
const CONNECTION_FIELDS = new Set(['fd.cip', 'fd.lip', 'fd.rip', 'fd.cport', 'fd.lport', 'fd.rport', 'fd.cnet', 'fd.lnet', 'fd.rnet', 'fd.cip.name', 'fd.lip.name', 'fd.rip.name', 'fd.cproto', 'fd.lproto', 'fd.rproto']);

/**
 * The syscall extractors with libsinsp's rules applied where they need the event table or
 * socket roles: the fd, user and group overrides above, and address fields gated by the role.
 */
export function withSinspRules(extractors: Record<string, Factory>): Record<string, Factory> {
  const fallbackCategory = extractors['evt.category'];
  const out: Record<string, Factory> = {
    ...extractors,
    ...OVERRIDES,
    ...flagFields(extractors),
    'evt.category': (arg) => {
      const other = fallbackCategory?.(arg);
      return (c) => category(c) ?? other?.(c);
    },
  };
  for (const name of ADDRESS_FIELDS) {
    const inner = out[name];
    if (!inner) continue;
    const connectionOnly = CONNECTION_FIELDS.has(name);
    out[name] = (arg) => {
      const get = inner(arg);
      return (c) => {
        const fd = c.fd();
        if (fd && (isRoleless(fd) || (connectionOnly && isBoundOnly(fd)))) return undefined;
        return get(c);
      };
    };
  }
  // Every fd.* field is about the fd the event creates, uses or destroys (extract_fd): none on
  // other events, whatever fd the thread last touched.
  for (const name of Object.keys(out)) {
    if (!name.startsWith('fd.')) continue;
    const inner = out[name];
    out[name] = (arg) => {
      const get = inner(arg);
      return (c) => (isFdEvent(c) === false ? undefined : get(c));
    };
  }
  return out;
}
