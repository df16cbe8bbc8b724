import { ERRNO_NAMES } from '../../scap/value-names.js';

/** Falco's text renderings of errnos, capabilities and times (event arguments: event-args.ts). */

/** evt.res: SUCCESS, or the errno's name for a negative return value (libsinsp's names; the number when it has none). */
export function renderRes(res: number): string {
  if (res >= 0) return 'SUCCESS';
  return ERRNO_NAMES.get(-res) ?? String(res);
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

export function l4protoName(proto: number): string {
  return proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 || proto === 58 ? 'icmp' : proto === 255 ? 'raw' : '';
}

