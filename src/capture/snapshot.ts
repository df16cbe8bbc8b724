import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { cpus, hostname, networkInterfaces, release, totalmem, version as osVersion } from 'node:os';
import { RECORD_TYPES } from '../trace/columns.js';
import type { TraceEvent } from '../trace/event.js';
import { PPM_EXE } from '../trace/flags.js';
import { openFlags } from './convert.js';
import { ipv4Text, ipv6Text, shownFamily } from '../util/ip.js';

/**
 * The state a reader needs before the first event, read from /proc and /etc: the machine, every
 * thread (with its process's image, cwd, tty, capabilities, cgroup), open fds, containers, users
 * and groups. Written at the start of a capture and periodically, from snapshot_machine to
 * snapshot_end. Races with exiting processes are expected: what vanished is skipped.
 */

type Row = Omit<TraceEvent, 'num'>;

const CLK_TCK = 100; // USER_HZ on every Linux architecture tsfalco supports

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Boot time in ns since the epoch, from /proc/stat's btime (seconds) refined by /proc/uptime. */
export function bootTimeNs(): bigint | null {
  const uptime = read('/proc/uptime');
  if (uptime) {
    const seconds = Number(uptime.split(' ')[0]);
    if (Number.isFinite(seconds)) return BigInt(Date.now()) * 1_000_000n - BigInt(Math.round(seconds * 1e9));
  }
  const m = /^btime (\d+)$/m.exec(read('/proc/stat') ?? '');
  return m ? BigInt(m[1]) * 1_000_000_000n : null;
}

function statusField(status: string, key: string): string[] {
  const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status);
  return m ? m[1].trim().split(/\s+/) : [];
}

interface NetEntry {
  family: number;
  l4proto: number;
  local: [string, number];
  remote: [string, number];
  listening: boolean;
  path?: string;
}

function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  // /proc/net/tcp prints each 32-bit word in host (little-endian) order.
  for (let w = 0; w < hex.length / 8; w++) {
    for (let b = 0; b < 4; b++) bytes[w * 4 + b] = parseInt(hex.slice(w * 8 + (3 - b) * 2, w * 8 + (3 - b) * 2 + 2), 16);
  }
  return bytes;
}

/**
 * The sockets of one network namespace by inode, read through a process of it
 * (/proc/PID/net/...): TCP, UDP and raw over IPv4/IPv6, unix paths, netlink. As libscap does.
 */
function netTables(pid: number): Map<string, NetEntry> {
  const out = new Map<string, NetEntry>();
  const listening = new Set<string>();
  const tables = [['tcp', 2, 6], ['tcp6', 10, 6], ['udp', 2, 17], ['udp6', 10, 17], ['raw', 2, 255], ['raw6', 10, 255]] as const;
  for (const [file, family, l4proto] of tables) {
    const text = read(`/proc/${pid}/net/${file}`);
    if (!text) continue;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [lip, lport] = f[1].split(':');
      const [rip, rport] = f[2].split(':');
      const local = hexBytes(lip);
      const remote = hexBytes(rip);
      // A dual-stack socket with an IPv4 peer is shown as IPv4, as the decoders do for events.
      const shown = local.length === 16 ? shownFamily(family, local, 0, remote, 0) : family;
      const text = (b: Uint8Array) => (b.length === 4 ? ipv4Text(b, 0) : shown === 2 ? ipv4Text(b, 12) : ipv6Text(b, 0));
      const entry: NetEntry = {
        family: shown,
        l4proto,
        local: [text(local), l4proto === 255 ? 0 : parseInt(lport, 16)],
        remote: [text(remote), l4proto === 255 ? 0 : parseInt(rport, 16)],
        listening: l4proto === 6 && f[3] === '0A',
      };
      if (entry.listening) listening.add(`${l4proto}:${entry.local[1]}`);
      out.set(f[9], entry);
    }
  }
  // An established socket whose local port is also listening is the server side.
  for (const e of out.values()) if (!e.listening && listening.has(`${e.l4proto}:${e.local[1]}`)) e.listening = true;
  const unix = read(`/proc/${pid}/net/unix`);
  if (unix) {
    for (const line of unix.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 7) continue;
      out.set(f[6], { family: 1, l4proto: 0, local: ['', 0], remote: ['', 0], listening: f[5] === '01', path: f.slice(7).join(' ') });
    }
  }
  const netlink = read(`/proc/${pid}/net/netlink`);
  if (netlink) {
    for (const line of netlink.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 10) out.set(f[9], { family: 16, l4proto: 0, local: ['', 0], remote: ['', 0], listening: false });
    }
  }
  return out;
}

/** Socket tables by network namespace (containers have their own), read once per namespace. */
function netTablesByNamespace(): (pid: number) => Map<string, NetEntry> {
  const byNs = new Map<string, Map<string, NetEntry>>();
  return (pid) => {
    const ns = link(`/proc/${pid}/ns/net`) ?? `pid:${pid}`;
    let tables = byNs.get(ns);
    if (!tables) byNs.set(ns, (tables = netTables(pid)));
    return tables;
  };
}

const ANON_TYPES: Record<string, string> = {
  '[eventpoll]': 'eventpoll',
  '[eventfd]': 'event',
  '[signalfd]': 'signalfd',
  '[timerfd]': 'timerfd',
  inotify: 'inotify',
  '[userfaultfd]': 'userfaultfd',
  '[io_uring]': 'io_uring',
  '[pidfd]': 'pidfd',
};

function fdRows(pid: number, net: (pid: number) => Map<string, NetEntry>): Row[] {
  const rows: Row[] = [];
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return rows;
  }
  for (const name of names) {
    const num = Number(name);
    const target = link(`/proc/${pid}/fd/${name}`);
    if (target === undefined) continue;
    const row: Row = { ts: 0n, type: RECORD_TYPES.snapshotFd, pid, tid: pid, fd: BigInt(num) };
    const fdinfo = read(`/proc/${pid}/fdinfo/${name}`);
    const flags = fdinfo ? /^flags:\s*([0-7]+)$/m.exec(fdinfo) : null;
    if (flags) row.flags = openFlags(parseInt(flags[1], 8));
    const sock = /^socket:\[(\d+)\]$/.exec(target);
    if (sock) {
      // A socket of a kind no table lists (packet, vsock, …) is left out, as libscap does.
      const e = net(pid).get(sock[1]);
      if (!e) continue;
      row.sock_family = e.family;
      if (e.family === 1) {
        row.fd_type = 'unix';
        if (e.path) row.path = e.path;
      } else if (e.family === 16) {
        row.fd_type = 'netlink';
      } else {
        row.fd_type = e.family === 2 ? 'ipv4' : 'ipv6';
        row.l4proto = e.l4proto;
        const [client, server] = e.listening ? [e.remote, e.local] : [e.local, e.remote];
        row.sip = client[0];
        row.sport = client[1];
        row.dip = server[0];
        row.dport = server[1];
      }
    } else if (/^pipe:\[\d+\]$/.test(target)) {
      row.fd_type = 'pipe';
    } else if (target.startsWith('anon_inode:')) {
      const kind = target.slice('anon_inode:'.length);
      row.fd_type = ANON_TYPES[kind] ?? (kind.startsWith('bpf') ? 'bpf' : 'unknown');
    } else if (target.startsWith('/memfd:')) {
      row.fd_type = 'memfd';
      row.path = target.replace(/ \(deleted\)$/, '');
    } else {
      row.path = target;
      try {
        const st = statSync(`/proc/${pid}/fd/${name}`);
        row.fd_type = st.isDirectory() ? 'directory' : 'file';
        row.dev = st.dev >>> 0; // st_dev is already new_encode_dev()'s encoding
        row.ino = BigInt(st.ino);
      } catch {
        row.fd_type = 'file';
      }
    }
    rows.push(row);
  }
  return rows;
}

const CONTAINER_ID = /(?:docker-|crio-|cri-containerd-|libpod-|\/docker\/|\/kubepods\/[^/]*\/?pod[^/]*\/)([0-9a-f]{64})(?:\.scope)?/;

interface ProcInfo {
  exe: string;
  args: string[];
  exepath: string;
  cwd: string;
  tty: number;
  pgid: number;
  sid: number;
  startTs: bigint;
  loginuid: number;
  cgroup: string;
  exeIno?: bigint;
  exeCtime?: bigint;
  exeMtime?: bigint;
  exeFlags: number;
  ppid: number;
}

function procInfo(pid: number, boot: bigint): ProcInfo | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cmdline = read(`/proc/${pid}/cmdline`) ?? '';
  const argv = cmdline.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  const exeLink = link(`/proc/${pid}/exe`) ?? '';
  const cgroupText = read(`/proc/${pid}/cgroup`) ?? '';
  const v2 = /^0::(.*)$/m.exec(cgroupText);
  const v1 = /^\d+:[^:]*\bcpuset\b[^:]*:(.*)$/m.exec(cgroupText);
  const info: ProcInfo = {
    exe: argv[0] ?? '',
    args: argv.slice(1),
    exepath: exeLink.replace(/ \(deleted\)$/, ''),
    cwd: link(`/proc/${pid}/cwd`) ?? '',
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    tty: Number(f[4]) >>> 0,
    startTs: boot + (BigInt(f[19] ?? '0') * 1_000_000_000n) / BigInt(CLK_TCK),
    loginuid: Number(read(`/proc/${pid}/loginuid`) ?? '-1') | 0,
    cgroup: (v2?.[1] ?? v1?.[1] ?? '').trim(),
    exeFlags: 0,
  };
  if (exeLink.startsWith('/memfd:')) info.exeFlags |= PPM_EXE.FROM_MEMFD;
  if (exeLink) {
    try {
      const st = statSync(`/proc/${pid}/exe`, { bigint: true });
      info.exeIno = st.ino;
      info.exeCtime = st.ctimeNs;
      info.exeMtime = st.mtimeNs;
      const status = read(`/proc/${pid}/status`) ?? '';
      const euid = Number(statusField(status, 'Uid')[3] ?? -1); // fsuid, as the kernel checks
      const egid = Number(statusField(status, 'Gid')[3] ?? -1);
      const capEff = BigInt('0x' + (statusField(status, 'CapEff')[0] ?? '0'));
      const mode = Number(st.mode);
      if (Number(st.uid) === euid || mode & 0o002 || (Number(st.gid) === egid && mode & 0o020) || capEff & 2n) info.exeFlags |= PPM_EXE.WRITABLE;
    } catch {
      // the process exited
    }
  }
  return info;
}

function threadRow(pid: number, tid: number, p: ProcInfo): Row | undefined {
  const status = read(`/proc/${pid}/task/${tid}/status`);
  if (!status) return undefined;
  const uid = statusField(status, 'Uid');
  const gid = statusField(status, 'Gid');
  const nsPid = statusField(status, 'NSpid');
  const nsTgid = statusField(status, 'NStgid');
  const cap = (k: string) => BigInt('0x' + (statusField(status, k)[0] ?? '0'));
  return {
    ts: 0n,
    type: RECORD_TYPES.snapshotProc,
    cpu: -1,
    tid,
    pid,
    ppid: p.ppid,
    vtid: Number(nsPid[nsPid.length - 1] ?? tid),
    vpid: Number(nsTgid[nsTgid.length - 1] ?? pid),
    uid: Number(uid[0]),
    euid: Number(uid[1]),
    gid: Number(gid[0]),
    egid: Number(gid[1]),
    loginuid: p.loginuid,
    comm: (read(`/proc/${pid}/task/${tid}/comm`) ?? '').replace(/\n$/, ''),
    exe: p.exe,
    exepath: p.exepath,
    args: p.args,
    cwd: p.cwd,
    tty: p.tty,
    pgid: p.pgid,
    sid: p.sid,
    exe_flags: p.exeFlags,
    exe_ino: p.exeIno ?? null,
    exe_ctime: p.exeCtime ?? null,
    exe_mtime: p.exeMtime ?? null,
    cap_inheritable: cap('CapInh'),
    cap_permitted: cap('CapPrm'),
    cap_effective: cap('CapEff'),
    cgroup: p.cgroup,
    start_ts: p.startTs,
  };
}

/**
 * The users of /etc/passwd under `root` ('' for the host's, `/proc/PID/root` for a container's),
 * those of a container with its id.
 */
function passwdRows(root = '', containerId?: string): Row[] {
  const rows: Row[] = [];
  for (const line of (read(`${root}/etc/passwd`) ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const row: Row = { ts: 0n, type: RECORD_TYPES.snapshotUser, uid: Number(f[2]) >>> 0, gid: Number(f[3]) >>> 0, name: f[0], path: f[5], path2: f[6] };
    if (containerId !== undefined) row.container_id = containerId;
    rows.push(row);
  }
  return rows;
}

function groupRows(root = '', containerId?: string): Row[] {
  const rows: Row[] = [];
  for (const line of (read(`${root}/etc/group`) ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const row: Row = { ts: 0n, type: RECORD_TYPES.snapshotGroup, gid: Number(f[2]) >>> 0, name: f[0] };
    if (containerId !== undefined) row.container_id = containerId;
    rows.push(row);
  }
  return rows;
}

/** The container id (12 hex digits) a cgroup path names, if it names one. */
export function containerIdOfCgroup(cgroup: string): string | undefined {
  return CONTAINER_ID.exec(cgroup)?.[1].slice(0, 12);
}

/**
 * A container's own users and groups, read through /proc/PID/root of a process in it (its mount
 * namespace's view of /etc/passwd and /etc/group), as libsinsp reads them; none when the process
 * has gone or the files cannot be read.
 */
export function containerAccountRows(containerId: string, pid: number, ts: bigint): TraceEvent[] {
  const root = `/proc/${pid}/root`;
  const rows = [...passwdRows(root, containerId), ...groupRows(root, containerId)];
  return rows.map((r) => ({ ...r, ts, num: 0n }) as TraceEvent);
}

/** A live process whose cgroup is `cgroup` (a new container's first process, found when the capture sees its cgroup). */
export function pidInCgroup(cgroup: string): number | undefined {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    const text = read(`/proc/${pid}/cgroup`);
    if (text && /^0::(.*)$/m.exec(text)?.[1].trim() === cgroup) return Number(pid);
  }
  return undefined;
}

export interface SnapshotOptions {
  /** Processes left out (tsfalco itself and its helper). */
  skipPids: ReadonlySet<number>;
  bootNs: bigint | null;
  /**
   * Containers whose users and groups the trace holds: a snapshot writes those of every container
   * it finds (read through /proc/PID/root of one of their processes) and adds their ids here, so
   * that the capture does not record them again when it sees their cgroups.
   */
  accountsRecorded?: Set<string>;
}

/** The machine's interface addresses as `name=address` entries, space-separated. */
function interfaceEntries(): string {
  const out: string[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) if (/^[\w.:@-]+$/.test(name)) out.push(`${name}=${a.address.replace(/%.*$/, '')}`);
  }
  return out.join(' ');
}

/** One snapshot, snapshot_machine first and snapshot_end last; `ts` is set on every row. */
export function takeSnapshot(ts: bigint, o: SnapshotOptions): TraceEvent[] {
  const rows: Row[] = [];
  const boot = o.bootNs ?? 0n;
  rows.push({
    ts,
    type: RECORD_TYPES.snapshotMachine,
    cpu: -1,
    name: hostname(),
    extra: {
      kernel: `${release()} ${osVersion()}`,
      cpus: String(cpus().length),
      memory_bytes: String(totalmem()),
      boot_time_ns: o.bootNs === null ? '' : String(o.bootNs),
      // As libscap's interface list: which addresses are this machine's (fd.lip, fd.rport…).
      interfaces: interfaceEntries(),
    },
  });
  const net = netTablesByNamespace();
  const procRows: Row[] = [];
  const fds: Row[] = [];
  const containers = new Map<string, string>();
  const containerPids = new Map<string, number>();
  let pids: number[] = [];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  } catch {
    // no /proc: an empty process table
  }
  for (const pid of pids) {
    if (o.skipPids.has(pid)) continue;
    const info = procInfo(pid, boot);
    if (!info) continue;
    let tids: number[];
    try {
      tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const row = threadRow(pid, tid, info);
      if (row) procRows.push(row);
    }
    fds.push(...fdRows(pid, net));
    const id = CONTAINER_ID.exec(info.cgroup);
    if (id && !containerPids.has(id[1].slice(0, 12))) containerPids.set(id[1].slice(0, 12), pid);
    if (id) containers.set(id[1].slice(0, 12), /docker/.test(info.cgroup) ? 'docker' : /crio/.test(info.cgroup) ? 'cri-o' : /libpod/.test(info.cgroup) ? 'podman' : 'containerd');
  }
  rows.push(...procRows, ...fds);
  for (const [id, runtime] of containers) rows.push({ ts, type: RECORD_TYPES.snapshotContainer, container_id: id, extra: { runtime } });
  rows.push(...passwdRows(), ...groupRows());
  // Every snapshot repeats each live container's users and groups, as it repeats the host's, so
  // that a reader starting at any snapshot knows them.
  for (const [id, pid] of containerPids) {
    o.accountsRecorded?.add(id);
    rows.push(...containerAccountRows(id, pid, ts));
  }
  rows.push({ ts, type: RECORD_TYPES.snapshotEnd, cpu: -1 });
  for (const r of rows) r.ts = ts;
  return rows.map((r) => ({ ...r, num: 0n }) as TraceEvent);
}
