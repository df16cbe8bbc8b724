import { PPM_CL, PPM_O } from '../../trace/flags.js';

/** Falco's text renderings of flag sets, errnos, capabilities and times. */

const OPEN_FLAG_NAMES: [number, string][] = [
  [PPM_O.CREAT, 'O_CREAT'], [PPM_O.APPEND, 'O_APPEND'], [PPM_O.DSYNC, 'O_DSYNC'], [PPM_O.EXCL, 'O_EXCL'],
  [PPM_O.NONBLOCK, 'O_NONBLOCK'], [PPM_O.SYNC, 'O_SYNC'], [PPM_O.TRUNC, 'O_TRUNC'], [PPM_O.DIRECT, 'O_DIRECT'],
  [PPM_O.DIRECTORY, 'O_DIRECTORY'], [PPM_O.LARGEFILE, 'O_LARGEFILE'], [PPM_O.CLOEXEC, 'O_CLOEXEC'], [PPM_O.TMPFILE, 'O_TMPFILE'],
  [PPM_O.F_CREATED, 'O_F_CREATED'],
];

const openFlagsText = new Map<number, string>();

/** Open flags as Falco prints them (`O_WRONLY|O_CREAT|O_TRUNC`); few distinct values, so cached. */
export function renderOpenFlags(flags: number): string {
  let text = openFlagsText.get(flags);
  if (text === undefined) {
    text = openFlagsUncached(flags);
    if (openFlagsText.size < 4096) openFlagsText.set(flags, text);
  }
  return text;
}

function openFlagsUncached(flags: number): string {
  const parts: string[] = [];
  const access = flags & PPM_O.RDWR;
  if (access === PPM_O.RDWR) parts.push('O_RDWR');
  else if (access === PPM_O.WRONLY) parts.push('O_WRONLY');
  else if (access === PPM_O.RDONLY) parts.push('O_RDONLY');
  for (const [bit, name] of OPEN_FLAG_NAMES) if (flags & bit) parts.push(name);
  return parts.length ? parts.join('|') : 'O_NONE';
}

const CLONE_FLAG_NAMES = Object.entries(PPM_CL).map(([name, bit]) => [bit, name] as const);

export function renderCloneFlags(flags: number): string {
  const parts = CLONE_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  return parts.join('|');
}

const PROT_NAMES: [number, string][] = [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC'], [8, 'PROT_SEM'], [16, 'PROT_GROWSDOWN'], [32, 'PROT_GROWSUP'], [64, 'PROT_SAO']];

export function renderProt(prot: number): string {
  const parts = PROT_NAMES.filter(([bit]) => prot & bit).map(([, n]) => n);
  return parts.length ? parts.join('|') : 'PROT_NONE';
}

const ERRNO = [
  '', 'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD', 'EAGAIN', 'ENOMEM', 'EACCES',
  'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY',
  'ETXTBSY', 'EFBIG', 'ENOSPC', 'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE', 'EDOM', 'ERANGE', 'EDEADLK', 'ENAMETOOLONG', 'ENOLCK',
  'ENOSYS', 'ENOTEMPTY', 'ELOOP',
];
const ERRNO_HIGH: Record<number, string> = {
  61: 'ENODATA', 62: 'ETIME', 71: 'EPROTO', 74: 'EBADMSG', 75: 'EOVERFLOW', 84: 'EILSEQ', 88: 'ENOTSOCK', 89: 'EDESTADDRREQ',
  90: 'EMSGSIZE', 91: 'EPROTOTYPE', 92: 'ENOPROTOOPT', 93: 'EPROTONOSUPPORT', 94: 'ESOCKTNOSUPPORT', 95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH', 103: 'ECONNABORTED',
  104: 'ECONNRESET', 105: 'ENOBUFS', 106: 'EISCONN', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED',
  113: 'EHOSTUNREACH', 114: 'EALREADY', 115: 'EINPROGRESS', 116: 'ESTALE', 122: 'EDQUOT', 125: 'ECANCELED',
};

/** evt.res: SUCCESS, or the errno's name for a negative return value. */
export function renderRes(res: number): string {
  if (res >= 0) return 'SUCCESS';
  const e = -res;
  return ERRNO[e] || ERRNO_HIGH[e] || `E${e}`;
}

const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** thread.cap_*: the capability names of a set, space-separated, as libsinsp prints them. */
export function renderCaps(set: bigint): string {
  const names: string[] = [];
  for (let i = 0; i < CAP_NAMES.length; i++) if (set & (1n << BigInt(i))) names.push(CAP_NAMES[i]);
  return names.join(' ');
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function parts(ns: bigint, utc: boolean) {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return utc
    ? { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, day: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), frac }
    : { y: d.getFullYear(), mo: d.getMonth() + 1, day: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds(), frac };
}

/** evt.time: `HH:MM:SS.nnnnnnnnn` in local time. */
export function renderTime(ns: bigint, withNs = true): string {
  const p = parts(ns, false);
  return `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${withNs ? `.${p.frac}` : ''}`;
}

/** evt.datetime: `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in local time. */
export function renderDatetime(ns: bigint, withNs = true): string {
  const p = parts(ns, false);
  return `${p.y}-${pad(p.mo)}-${pad(p.day)} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${withNs ? `.${p.frac}` : ''}`;
}

/** evt.time.iso8601: `2016-08-04T16:17:57.881781397+0000`, always UTC. */
export function renderIso8601(ns: bigint): string {
  const p = parts(ns, true);
  return `${p.y}-${pad(p.mo)}-${pad(p.day)}T${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}.${p.frac}+0000`;
}

/** File mode as Falco prints PT_MODE: octal with a leading 0. */
export function renderMode(mode: number): string {
  return '0' + mode.toString(8);
}

export function l4protoName(proto: number): string {
  return proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 || proto === 58 ? 'icmp' : proto === 255 ? 'raw' : '';
}

export function sockFamilyName(family: number): string {
  return family === 2 ? 'ip' : family === 10 ? 'ip' : family === 1 ? 'unix' : family === 16 ? 'netlink' : '';
}
