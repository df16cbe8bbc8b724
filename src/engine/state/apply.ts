import { type ColumnName, RECORD_TYPES } from '../../trace/columns.js';
import { PPM_CL, PPM_CREAT, PPM_O } from '../../trace/flags.js';
import { COL } from '../batch-view.js';
import type { Cursor } from '../cursor.js';
import { containerIdFromCgroup } from './container-id.js';
import { fdNameOfTuple, resolvePath, workingDir } from './paths.js';
import type { FdInfo, FdType, ReplayState, ThreadInfo } from './types.js';
import { cgroupEntriesOfText } from '../../scap/state-blocks.js';

/**
 * The state machine: how each event changes the thread, fd, user and container tables.
 *
 * `applyBefore` runs before rules see the event (an open's new fd, an execve's new image, a
 * clone's child must already be visible to its fields); `applyAfter` runs after (a close or an
 * exit is evaluated with the fd / thread it removes still present, as libsinsp does). Exited
 * threads and closed fds are deleted, so memory follows what is alive, not the trace length.
 */

const AT_FDCWD = -100;

function emptyThread(tid: number): ThreadInfo {
  return {
    tid, pid: tid, ppid: -1, vtid: tid, vpid: tid, comm: '', exe: '', exepath: '', args: [], env: [], cwd: '', tty: 0, pgid: 0, sid: 0,
    uid: 0xffffffff, gid: 0xffffffff, euid: 0xffffffff, egid: 0xffffffff, loginuid: -1, capInheritable: 0n, capPermitted: 0n, capEffective: 0n, exeFlags: 0,
    exeIno: 0n, exeCtime: 0n, exeMtime: 0n, cgroup: '', cgroups: [], containerId: 'host', startTs: 0n,
    fdlimit: -1, pfmajor: -1, pfminor: -1, vmsizeKb: -1, vmrssKb: -1, vmswapKb: -1, pidnsStart: 0n,
  };
}

/**
 * Copies the header columns every syscall row carries into the thread (they are the truth at that
 * time); `creds` false leaves the credentials alone.
 */
function refreshFromHeader(c: Cursor, t: ThreadInfo, creds = true): void {
  const pid = c.num(COL.pid);
  if (pid !== undefined) t.pid = pid;
  const ppid = c.num(COL.ppid);
  if (ppid !== undefined) t.ppid = ppid;
  const comm = c.str(COL.comm);
  if (comm !== undefined) t.comm = comm;
  if (creds) {
    const uid = c.num(COL.uid);
    if (uid !== undefined) t.uid = uid;
    const gid = c.num(COL.gid);
    if (gid !== undefined) t.gid = gid;
    const euid = c.num(COL.euid);
    if (euid !== undefined) t.euid = euid;
    const egid = c.num(COL.egid);
    if (egid !== undefined) t.egid = egid;
    const loginuid = c.num(COL.loginuid);
    if (loginuid !== undefined) t.loginuid = loginuid;
  }
  const vtid = c.num(COL.vtid);
  if (vtid !== undefined) t.vtid = vtid;
  const vpid = c.num(COL.vpid);
  if (vpid !== undefined) t.vpid = vpid;
}

/**
 * Copies the process columns (execve exit, clone, snapshot_proc) into the thread. The working
 * directory of a row is taken only from a snapshot or for a thread whose cwd is unknown: as
 * libsinsp, a thread keeps the cwd it inherited or chdir'd to (`cd /bin` is `/bin/` even where
 * the kernel, and so the execve row, says `/usr/bin`).
 */
function refreshProcess(c: Cursor, t: ThreadInfo, snapshot = false): void {
  const exe = c.str(COL.exe);
  if (exe !== undefined) t.exe = exe;
  const exepath = c.str(COL.exepath);
  if (exepath !== undefined) t.exepath = exepath;
  const args = c.strings_(COL.args);
  if (args !== undefined) t.args = args;
  const env = c.strings_(COL.env);
  if (env !== undefined) t.env = env;
  const cwd = c.str(COL.cwd);
  if (cwd !== undefined && (snapshot || t.cwd === '')) t.cwd = workingDir(cwd);
  const tty = c.num(COL.tty);
  if (tty !== undefined) t.tty = tty;
  const pgid = c.num(COL.pgid);
  if (pgid !== undefined) t.pgid = pgid;
  const sid = c.num(COL.sid);
  if (sid !== undefined) t.sid = sid;
  const flags = c.num(COL.exe_flags);
  if (flags !== undefined) t.exeFlags = flags;
  const ino = c.big(COL.exe_ino);
  if (ino !== undefined) t.exeIno = ino;
  const ctime = c.big(COL.exe_ctime);
  if (ctime !== undefined) t.exeCtime = ctime;
  const mtime = c.big(COL.exe_mtime);
  if (mtime !== undefined) t.exeMtime = mtime;
  const capI = c.big(COL.cap_inheritable);
  if (capI !== undefined) t.capInheritable = capI;
  const capP = c.big(COL.cap_permitted);
  if (capP !== undefined) t.capPermitted = capP;
  const capE = c.big(COL.cap_effective);
  if (capE !== undefined) t.capEffective = capE;
  const cgroup = c.str(COL.cgroup);
  if (cgroup !== undefined) {
    t.cgroup = cgroup;
    t.containerId = containerIdFromCgroup(cgroup);
  }
  // libsinsp's clone_ts: the process list's start time, else the clone exit that made the
  // thread known (the kernel's start time a capture records on later rows is not it)
  const start = c.big(COL.start_ts);
  if (start !== undefined && (snapshot || t.startTs === 0n)) t.startTs = start;
}

/** A decimal parameter from the row's extra map (-1 when absent or not a number). */
function extraNum(extra: Record<string, string>, key: string): number {
  const v = extra[key];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : -1;
}

/**
 * The resource figures of clone/execve exits and process snapshots (libsinsp's parse_clone_exit,
 * parse_execve_exit): fdlimit, and the page faults and memory sizes when the event has them.
 */
function refreshResources(c: Cursor, t: ThreadInfo): void {
  const extra = c.extra();
  if (!extra) return;
  if (extra.cgroups !== undefined) t.cgroups = cgroupEntriesOfText(extra.cgroups);
  const fdlimit = extraNum(extra, 'fdlimit');
  if (fdlimit !== -1) t.fdlimit = fdlimit;
  if (extraNum(extra, 'vm_swap') !== -1) {
    t.pfmajor = extraNum(extra, 'pgft_maj');
    t.pfminor = extraNum(extra, 'pgft_min');
    t.vmsizeKb = extraNum(extra, 'vm_size');
    t.vmrssKb = extraNum(extra, 'vm_rss');
    t.vmswapKb = extraNum(extra, 'vm_swap');
  }
}

/**
 * A context switch (parse_context_switch): the page faults of the thread switched out, the
 * memory sizes of its process (on the main thread).
 */
function refreshSwitch(state: ReplayState, c: Cursor, t: ThreadInfo): void {
  const extra = c.extra();
  if (!extra || extraNum(extra, 'vm_swap') === -1) return;
  t.pfmajor = extraNum(extra, 'pgft_maj');
  t.pfminor = extraNum(extra, 'pgft_min');
  const main = state.threads.get(t.pid) ?? t;
  main.vmsizeKb = extraNum(extra, 'vm_size');
  main.vmrssKb = extraNum(extra, 'vm_rss');
  main.vmswapKb = extraNum(extra, 'vm_swap');
}

/** brk, mmap, mmap2, munmap exits: the process's memory sizes after the call (parse_brk_mmap_mmap2_munmap__exit). */
function refreshMemory(c: Cursor, t: ThreadInfo): void {
  const extra = c.extra();
  if (!extra) return;
  const size = extraNum(extra, 'vm_size');
  if (size !== -1) t.vmsizeKb = size;
  if (extraNum(extra, 'vm_swap') !== -1) {
    t.vmrssKb = extraNum(extra, 'vm_rss');
    t.vmswapKb = extraNum(extra, 'vm_swap');
  }
}

/**
 * Events after which a thread's identity may differ from what the state holds. Other events
 * carry the same header values; extractors read the event's own header columns first anyway,
 * so the state only needs refreshing here (and for threads seen for the first time).
 */
const REFRESH_TYPES = new Set([
  'execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork', 'setuid', 'setgid', 'setresuid', 'setresgid', 'setreuid',
  'setregid', 'setfsuid', 'setfsgid', 'prctl', 'capset', 'setsid', 'setpgid',
]);

let created = false;

function threadOf(state: ReplayState, c: Cursor): ThreadInfo {
  const tid = c.tid();
  let t = state.threads.get(tid);
  created = t === undefined;
  if (!t) {
    t = emptyThread(tid);
    const pid = c.num(COL.pid);
    // A thread we never saw start: inherit what its process (thread group leader) knows.
    const leader = pid !== undefined && pid !== tid ? state.threads.get(pid) : undefined;
    if (leader) Object.assign(t, leader, { tid });
    state.threads.set(tid, t);
  }
  return t;
}

function fdTable(state: ReplayState, pid: number): Map<number, FdInfo> {
  let table = state.fds.get(pid);
  if (!table) {
    table = new Map();
    state.fds.set(pid, table);
  }
  return table;
}

/** The event's number (evt.num), 0 when the row has none. */
const eventNum = (c: Cursor): number => c.num(COL.num) ?? 0;

/** Gives an fd its name; when that changes it, event `c` is the one that named it (fd.name_changed). */
function renameFd(fd: FdInfo, name: string, c: Cursor): void {
  if (fd.name !== name) fd.namedAt = eventNum(c);
  fd.name = name;
  fd.nameRaw = name;
}

/** A new fd, named by event number `namedAt` when the name is not empty. */
function newFd(num: number, type: FdType, name: string, namedAt = 0): FdInfo {
  return { num, type, name, nameRaw: name, flags: 0, sockFamily: 0, l4proto: 0, cip: '', cport: 0, sip: '', sport: 0, isServer: false, connected: false, hasRole: false, namedAt: name === '' ? 0 : namedAt, dev: 0, ino: 0n };
}

/** A copy of an fd under another number (dup): built field by field, as fast as newFd (an object spread is many times slower). */
function copyFd(src: FdInfo, num: number, flags: number): FdInfo {
  return {
    num, type: src.type, name: src.name, nameRaw: src.nameRaw, flags, sockFamily: src.sockFamily, l4proto: src.l4proto, cip: src.cip, cport: src.cport,
    sip: src.sip, sport: src.sport, isServer: src.isServer, connected: src.connected, hasRole: src.hasRole, namedAt: src.namedAt, dev: src.dev, ino: src.ino,
  };
}

function mapOf<V>(tables: Map<string, Map<number, V>>, key: string): Map<number, V> {
  let table = tables.get(key);
  if (!table) tables.set(key, (table = new Map()));
  return table;
}

function socketType(family: number | undefined): FdType {
  return family === 2 ? 'ipv4' : family === 10 ? 'ipv6' : family === 1 ? 'unix' : family === 16 ? 'netlink' : 'unknown';
}

/** The directory a relative path of this event is resolved against. */
function baseDir(state: ReplayState, c: Cursor, t: ThreadInfo, dirfdCol: 'dirfd' | 'dirfd2'): string {
  const dirfd = c.num(dirfdCol === 'dirfd' ? COL.dirfd : COL.dirfd2);
  if (dirfd === undefined || dirfd === AT_FDCWD) return t.cwd;
  return state.fds.get(t.pid)?.get(dirfd)?.name ?? '';
}

function setTuple(c: Cursor, fd: FdInfo): void {
  const sip = c.str(COL.sip);
  const dip = c.str(COL.dip);
  if (sip === undefined && dip === undefined) {
    // A unix socket is named by its tuple as libsinsp prints it (`src->dst path`, the ends' kernel
    // addresses) where the trace has it (.scap files); a capture records the path only.
    const path = c.str(COL.path);
    const tuple = c.extra()?.tuple;
    if ((path !== undefined || tuple !== undefined) && fd.type === 'unix') {
      renameFd(fd, tuple ?? path ?? '', c);
    }
    return;
  }
  fd.cip = sip ?? '';
  fd.cport = c.num(COL.sport) ?? 0;
  fd.sip = dip ?? '';
  fd.sport = c.num(COL.dport) ?? 0;
  const l4 = c.num(COL.l4proto);
  if (l4 !== undefined) fd.l4proto = l4;
  const family = c.num(COL.sock_family);
  if (family !== undefined) {
    fd.sockFamily = family;
    if (fd.type === 'unknown') fd.type = socketType(family);
  }
  renameFd(fd, fdNameOfTuple(fd), c);
}

const UNSPECIFIED = new Set(['0.0.0.0', '::']);
const LOOPBACK = (ip: string) => ip === '::1' || ip.startsWith('127.');

/**
 * A datagram socket (or one whose connection libsinsp missed) takes its addresses from the tuple
 * of a successful sendto/sendmsg/recvfrom/recvmsg, as libsinsp's parse_read_exit/parse_write_exit
 * with update_fd: a tuple that is the fd's own (either way round) changes nothing; else the fd
 * takes it whole (UDP when the transport is unknown); a socket without a role becomes the server
 * when the event is incoming and the client when outgoing (set_net_role_by_guessing: the fd
 * itself holds both ports, so only the direction decides); then the tuple is turned client →
 * server (a client's incoming and a server's outgoing tuple are swapped). A successful read or
 * write marks an inet socket connected. An unspecified source talking to a loopback address is
 * that loopback address (libsinsp patches it from the machine's interfaces).
 */
function learnTuple(state: ReplayState, c: Cursor, t: ThreadInfo, incoming: boolean): void {
  const num = c.num('fd');
  const fd = num === undefined ? undefined : state.fds.get(t.pid)?.get(num);
  if (fd?.type === 'unix') {
    // libsinsp names a unix socket after the event's tuple as it prints it (`src->dst path`)
    const name = c.extra()?.tuple ?? c.str('path');
    if (name !== undefined) renameFd(fd, name, c);
    return;
  }
  if (!fd || (fd.type !== 'ipv4' && fd.type !== 'ipv6' && fd.type !== 'unknown')) return;
  const family = c.num('sock_family');
  const unspecified = family === 10 ? '::' : '0.0.0.0';
  const sipOf = c.str('sip');
  const dipOf = c.str('dip');
  if (sipOf === undefined && dipOf === undefined) return;
  // One end without an address is the unspecified one (0.0.0.0:0 in libs' tuple).
  let src = sipOf ?? unspecified;
  let dst = dipOf ?? unspecified;
  if (fd.type !== 'unknown') fd.connected = true;
  if (fd.name !== '' && fd.l4proto === 6) return;
  let sport = c.num('sport') ?? 0;
  let dport = c.num('dport') ?? 0;
  if (UNSPECIFIED.has(src) && LOOPBACK(dst)) src = dst;
  else if (UNSPECIFIED.has(dst) && LOOPBACK(src)) dst = src;
  if (fd.type === 'unknown') {
    fd.type = socketType(family);
    fd.connected = true;
  } else if ((fd.cip === src && fd.cport === sport && fd.sip === dst && fd.sport === dport) || (fd.cip === dst && fd.cport === dport && fd.sip === src && fd.sport === sport)) {
    return;
  }
  if (fd.l4proto === 0) fd.l4proto = 17;
  const roleless = !fd.isServer && fd.cip === '' && fd.sip === '';
  const server = roleless ? incoming : fd.isServer;
  // The tuple as the event gives it (outgoing: local → peer; incoming: peer → local), client first.
  if (server !== incoming) [src, sport, dst, dport] = [dst, dport, src, sport];
  fd.isServer = server;
  fd.cip = src;
  fd.cport = sport;
  fd.sip = dst;
  fd.sport = dport;
  if (family !== undefined) fd.sockFamily = family;
  renameFd(fd, fdNameOfTuple(fd), c);
}

const FD_TYPE_OF: Record<string, FdType> = {
  eventfd: 'event', eventfd2: 'event', signalfd: 'signalfd', signalfd4: 'signalfd', timerfd_create: 'timerfd',
  inotify_init: 'inotify', inotify_init1: 'inotify', epoll_create: 'eventpoll', epoll_create1: 'eventpoll',
  userfaultfd: 'userfaultfd', io_uring_setup: 'io_uring', bpf: 'bpf', memfd_create: 'memfd', pidfd_open: 'unknown',
};

/** runtime and labels from a snapshot_container row's extra map (`runtime`, `label.<k>`, `ip`). */
function containerExtra(extra: Record<string, string> | undefined): { runtime: string | undefined; labels: Record<string, string>; details: Record<string, string> } {
  const labels: Record<string, string> = {};
  const details: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (k.startsWith('label.')) labels[k.slice(6)] = v;
    else if (k === 'ip') labels.ip = v;
    else if (k !== 'runtime') details[k] = v;
  }
  return { runtime: extra?.runtime, labels, details };
}

function applySnapshot(state: ReplayState, c: Cursor, type: string): void {
  switch (type) {
    case RECORD_TYPES.snapshotMachine: {
      const name = c.str(COL.name);
      if (name && !state.hostname) state.hostname = name;
      const extra = c.extra();
      const boot = extra?.boot_time_ns;
      if (state.bootTs === 0n && boot !== undefined && /^\d+$/.test(boot)) state.bootTs = BigInt(boot);
      // `name=address` entries (the capture's interfaces, a .scap's interface list)
      if (extra?.interfaces && state.interfaces.length === 0) {
        state.interfaces = extra.interfaces.split(' ').flatMap((e) => (e.includes('=') ? [e.slice(e.indexOf('=') + 1)] : []));
      }
      return;
    }
    case RECORD_TYPES.snapshotProc: {
      const t = threadOf(state, c);
      refreshFromHeader(c, t);
      refreshProcess(c, t, true);
      refreshResources(c, t);
      const pidns = c.extra()?.pidns_init_start_ts;
      if (pidns !== undefined && /^\d+$/.test(pidns) && pidns !== '0') t.pidnsStart = BigInt(pidns);
      return;
    }
    case RECORD_TYPES.snapshotFd: {
      const pid = c.num(COL.pid);
      const num = c.num(COL.fd);
      if (pid === undefined || num === undefined) return;
      const fd = newFd(num, (c.str(COL.fd_type) as FdType | undefined) ?? 'unknown', c.str(COL.path) ?? '');
      fd.flags = c.num(COL.flags) ?? 0;
      fd.dev = c.num(COL.dev) ?? 0;
      fd.ino = c.big(COL.ino) ?? 0n;
      // libsinsp gives a unix socket of the process list a role (server when named, else client)
      if (fd.type === 'unix') fd.hasRole = true;
      if (c.has(COL.sip) || c.has(COL.dip)) {
        setTuple(c, fd);
        fd.connected = fd.sport !== 0 && fd.cport !== 0;
      }
      fdTable(state, pid).set(num, fd);
      return;
    }
    case RECORD_TYPES.snapshotUser: {
      const uid = c.num(COL.uid);
      if (uid === undefined) return;
      const user = { uid, gid: c.num(COL.gid) ?? 0, name: c.str(COL.name) ?? '', home: c.str(COL.path) ?? '', shell: c.str(COL.path2) ?? '' };
      const container = c.str(COL.container_id);
      if (container === undefined || container === 'host') state.users.set(uid, user);
      else mapOf(state.containerUsers, container).set(uid, user);
      return;
    }
    case RECORD_TYPES.snapshotGroup: {
      const gid = c.num(COL.gid);
      if (gid === undefined) return;
      const container = c.str(COL.container_id);
      if (container === undefined || container === 'host') state.groups.set(gid, c.str(COL.name) ?? '');
      else mapOf(state.containerGroups, container).set(gid, c.str(COL.name) ?? '');
      return;
    }
    case RECORD_TYPES.snapshotContainer: {
      const id = c.str(COL.container_id);
      if (!id) return;
      state.containers.set(id, {
        id,
        name: c.str(COL.name) ?? '',
        image: c.str(COL.image) ?? '',
        privileged: c.bool(COL.privileged) ?? false,
        mounts: c.strings_(COL.mounts) ?? [],
        startTs: c.big(COL.start_ts) ?? 0n,
        ...containerExtra(c.extra()),
      });
      return;
    }
  }
}

/**
 * The pid namespace start of a clone's child, from its own exit (parse_clone_exit_child): the
 * event's pidns_init_start_ts (since boot) plus the boot time when the child is in a pid
 * namespace of its own, else the boot time.
 */
function childPidnsStart(state: ReplayState, c: Cursor, t: ThreadInfo): bigint {
  const flags = c.num(COL.flags) ?? 0;
  if (flags & (PPM_CL.CHILD_IN_PIDNS | PPM_CL.CLONE_NEWPID) || t.tid !== t.vtid) {
    const since = c.extra()?.pidns_init_start_ts;
    return since !== undefined && /^\d+$/.test(since) ? BigInt(since) + state.bootTs : t.pidnsStart;
  }
  return state.bootTs;
}

/** creat's overlay layer, from its creat_flags parameter, as open flags (PPM_FD_*_LAYER). */
function creatLayerFlags(c: Cursor): number {
  const v = c.extra()?.creat_flags;
  if (v === undefined) return 0;
  const n = /^\d+$/.test(v) ? Number(v) : (v.includes('FD_UPPER_LAYER_CREAT') ? PPM_CREAT.UPPER_LAYER : 0) | (v.includes('FD_LOWER_LAYER_CREAT') ? PPM_CREAT.LOWER_LAYER : 0);
  return n & PPM_CREAT.UPPER_LAYER ? PPM_O.FD_UPPER_LAYER : n & PPM_CREAT.LOWER_LAYER ? PPM_O.FD_LOWER_LAYER : 0;
}

/** A clone/fork exit in the calling thread (it returns the child's id). */
export function isCloneCaller(c: Cursor, type: string): boolean {
  if (type !== 'clone' && type !== 'clone3' && type !== 'fork' && type !== 'vfork') return false;
  return c.str('dir') !== '>' && (c.num('res') ?? 0) > 0;
}

/** Updates the state for what an event creates or changes; run before rules see it. */
export function applyBefore(state: ReplayState, c: Cursor, type: string, isRecord: boolean): void {
  if (isRecord) {
    applySnapshot(state, c, type);
    return;
  }
  const t = threadOf(state, c);
  // The caller's return from clone/fork: libsinsp keeps its credentials (the ids are the child's).
  if (created || REFRESH_TYPES.has(type)) refreshFromHeader(c, t, created || !isCloneCaller(c, type));
  if (type === 'switch') {
    refreshSwitch(state, c, t);
    return;
  }
  const exit = c.str(COL.dir) !== '>';
  if (!exit) return;
  const res = c.num(COL.res);
  const ok = res !== undefined && res >= 0;
  switch (type) {
    case 'clone':
    case 'clone3':
    case 'fork':
    case 'vfork': {
      if (!ok) return;
      if (res === 0) {
        // The child's own view: a new thread (or process). Seen first here, it starts as a copy
        // of its parent (same image, cwd, tty, credentials), then takes what the row says.
        const parentThread = created ? state.threads.get(c.num(COL.ppid) ?? -1) : undefined;
        if (parentThread) {
          Object.assign(t, parentThread, { tid: t.tid, pid: t.pid, ppid: t.ppid, vtid: t.vtid, vpid: t.vpid, startTs: 0n });
          refreshFromHeader(c, t);
        }
        // Known first from its own side, the thread starts at this exit (libsinsp's clone_ts).
        if (created) t.startTs = c.ts();
        refreshProcess(c, t);
        refreshResources(c, t);
        if (t.startTs === 0n) t.startTs = c.ts();
        t.pidnsStart = childPidnsStart(state, c, t);
        // The fds come from the parent, unless the parent's side made the child first (its
        // parent may have exited since, and the child been given to a reaper).
        if (t.pid === t.tid && (created || !state.fds.has(t.pid))) state.fds.set(t.pid, new Map(state.fds.get(t.ppid) ?? []));
      } else if (!state.threads.has(res)) {
        // The parent's view, before the child ran: the child starts as a copy of the parent.
        const child = { ...t, tid: res, pid: res, ppid: t.pid, vtid: res, vpid: res, startTs: c.ts(), pidnsStart: state.bootTs };
        refreshResources(c, child);
        state.threads.set(res, child);
        if (!state.fds.has(res)) state.fds.set(res, new Map(state.fds.get(t.pid) ?? []));
      }
      return;
    }
    case 'execve':
    case 'execveat': {
      if (res !== 0) return;
      refreshProcess(c, t);
      refreshResources(c, t);
      // close-on-exec fds do not survive the new image.
      const table = state.fds.get(t.pid);
      if (table) for (const [num, fd] of table) if (fd.flags & PPM_O.CLOEXEC) table.delete(num);
      return;
    }
    case 'open':
    case 'openat':
    case 'openat2':
    case 'creat':
    case 'open_by_handle_at':
    case 'memfd_create': {
      if (!ok) return;
      const raw = c.str(COL.path) ?? c.str(COL.name) ?? '';
      const name = type === 'memfd_create' ? `memfd:${c.str(COL.name) ?? raw}` : resolvePath(baseDir(state, c, t, 'dirfd'), raw);
      let flags = c.num(COL.flags) ?? 0;
      if (type === 'creat') flags |= creatLayerFlags(c);
      const fdType: FdType = type === 'memfd_create' ? 'memfd' : ((c.str(COL.fd_type) as FdType | undefined) ?? (flags & PPM_O.DIRECTORY ? 'directory' : 'file'));
      const fd = newFd(res, fdType, name, eventNum(c));
      fd.nameRaw = raw;
      fd.flags = flags;
      fd.dev = c.num(COL.dev) ?? 0;
      fd.ino = c.big(COL.ino) ?? 0n;
      fdTable(state, t.pid).set(res, fd);
      return;
    }
    case 'socket': {
      if (!ok) return;
      const family = c.num(COL.sock_family);
      const fd = newFd(res, socketType(family), '');
      fd.sockFamily = family ?? 0;
      fd.l4proto = c.num(COL.l4proto) ?? 0;
      fdTable(state, t.pid).set(res, fd);
      return;
    }
    case 'connect': {
      const num = c.num(COL.fd);
      if (num === undefined) return;
      const table = fdTable(state, t.pid);
      let fd = table.get(num);
      if (!fd) {
        fd = newFd(num, socketType(c.num(COL.sock_family)), '');
        table.set(num, fd);
      }
      // A non-blocking connect returns EINPROGRESS (-115) and still connects; libsinsp leaves
      // the fd as it was after a failed one.
      if (!ok && res !== -115) return;
      setTuple(c, fd);
      fd.connected = true;
      fd.hasRole = true;
      // An IPv6 socket connected with IPv4-mapped ends is an IPv4 one from now on (as libsinsp).
      if (fd.type === 'ipv6' && c.num(COL.sock_family) === 2) {
        fd.type = 'ipv4';
        fd.sockFamily = 2;
      }
      return;
    }
    case 'accept':
    case 'accept4': {
      if (!ok) return;
      const fd = newFd(res, socketType(c.num(COL.sock_family)), '');
      fd.isServer = true;
      fd.connected = true;
      fd.hasRole = true;
      setTuple(c, fd);
      // libsinsp takes an accepted inet socket for TCP.
      if ((fd.type === 'ipv4' || fd.type === 'ipv6') && fd.l4proto === 0) fd.l4proto = 6;
      fdTable(state, t.pid).set(res, fd);
      return;
    }
    case 'bind': {
      const num = c.num(COL.fd);
      const fd = num === undefined ? undefined : state.fds.get(t.pid)?.get(num);
      if (!fd || !ok) return;
      const ip = c.str(COL.dip);
      if (ip !== undefined) {
        // As libsinsp: the socket is named after its address; a port makes it a server socket.
        const port = c.num(COL.dport) ?? 0;
        if (port > 0) {
          fd.isServer = true;
          fd.sip = ip;
          fd.sport = port;
        }
        renameFd(fd, `${ip}:${port}`, c);
      } else if (c.has(COL.path)) setTuple(c, fd);
      return;
    }
    case 'dup':
    case 'dup2':
    case 'dup3':
    case 'fcntl': {
      if (!ok) return;
      if (type === 'fcntl' && !c.has(COL.fd2)) return; // only F_DUPFD / F_DUPFD_CLOEXEC create fds
      const from = c.num(COL.fd);
      const table = fdTable(state, t.pid);
      const src = from === undefined ? undefined : table.get(from);
      if (src && res !== from) table.set(res, copyFd(src, res, type === 'dup3' ? c.num(COL.flags) ?? 0 : src.flags & ~PPM_O.CLOEXEC));
      return;
    }
    case 'pipe':
    case 'pipe2':
    case 'socketpair': {
      if (res !== 0) return;
      const table = fdTable(state, t.pid);
      const kind: FdType = type === 'socketpair' ? 'unix' : 'pipe';
      for (const num of [c.num(COL.fd), c.num(COL.fd2)]) if (num !== undefined) table.set(num, newFd(num, kind, c.str(COL.path) ?? '', eventNum(c)));
      return;
    }
    case 'sendto':
    case 'sendmsg':
    case 'recvfrom':
    case 'recvmsg': {
      if (ok) learnTuple(state, c, t, type === 'recvfrom' || type === 'recvmsg');
      return;
    }
    case 'brk':
    case 'mmap':
    case 'mmap2':
    case 'munmap':
      refreshMemory(c, t);
      return;
    case 'chdir':
      if (res === 0) t.cwd = workingDir(resolvePath(t.cwd, c.str(COL.path) ?? ''));
      if (res === 0) for (const other of state.threads.values()) if (other.pid === t.pid) other.cwd = t.cwd;
      return;
    case 'fchdir': {
      const dir = state.fds.get(t.pid)?.get(c.num(COL.fd) ?? -1);
      if (res === 0 && dir) for (const other of state.threads.values()) if (other.pid === t.pid) other.cwd = workingDir(dir.name);
      return;
    }
    case 'setuid':
    case 'setresuid':
    case 'setreuid':
    case 'setgid':
    case 'setresgid':
    case 'setregid': {
      // As libsinsp's parse_set*id_exit: a successful call sets the thread's effective id from
      // its argument (setuid/setgid: the id; the others: the euid/egid). A .scap row carries no
      // credentials of its own, so this is where its later events learn them; a tsfalco row's
      // header already holds them. -1 leaves the id as it was, as the kernel does.
      if (res !== 0) return;
      const id = c.num(type === 'setuid' || type === 'setgid' ? COL.id : COL.id2);
      if (id === undefined || id === 0xffffffff || id === -1) return;
      if (type.endsWith('uid')) t.euid = id;
      else t.egid = id;
      return;
    }
    case 'prctl':
      // PR_SET_NAME changes comm; the next event's header carries it anyway.
      return;
    case 'setsid':
      // As libsinsp's parse_setsid_exit: the new session id is the result. Only the sid: libsinsp
      // leaves the process group as it was (a tsfalco row has no identity of its own outside
      // clone and execve, so this is where both kinds of trace learn it).
      if (ok) t.sid = res;
      return;
    default: {
      const fdType = FD_TYPE_OF[type];
      if (fdType && ok) fdTable(state, t.pid).set(res, newFd(res, fdType, c.str(COL.path) ?? '', eventNum(c)));
    }
  }
}

/** Removes what an event ended (closed fds, exited threads); run after rules saw it. */
export function applyAfter(state: ReplayState, c: Cursor, type: string): void {
  switch (type) {
    case 'close': {
      if (c.num(COL.res) !== 0) return;
      // Rows read from .scap files carry no pid outside process events: the thread table knows it.
      const pid = c.num(COL.pid) ?? state.threads.get(c.tid())?.pid;
      const num = c.num(COL.fd);
      if (pid !== undefined && num !== undefined) state.fds.get(pid)?.delete(num);
      return;
    }
    case 'close_range':
      return;
    case 'exit':
    case 'exit_group':
    case 'procexit': {
      // In a .scap capture exit and exit_group are enter events a procexit follows: libsinsp
      // keeps the thread until then.
      if (type !== 'procexit' && c.str('dir') === '>') return;
      const tid = c.tid();
      const t = state.threads.get(tid);
      if (!t) return;
      if (type === 'exit_group' || tid === t.pid) {
        // The whole thread group goes; its fds with it.
        for (const [otherTid, other] of state.threads) if (other.pid === t.pid) state.threads.delete(otherTid);
        state.fds.delete(t.pid);
      } else {
        state.threads.delete(tid);
      }
      return;
    }
  }
}

/**
 * Event types that `applyBefore` / `applyAfter` act on beyond registering a thread seen for
 * the first time: every `case` of their switches, the identity-refreshing types and the fd
 * creating ones. Replay skips both calls for events of other types that no rule can match (it
 * only registers new threads), so a type handled above must be listed here
 * (test/engine/replay-fast-path.test.ts checks the switches against this list).
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  ...REFRESH_TYPES,
  ...Object.keys(FD_TYPE_OF),
  'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'open', 'openat', 'openat2', 'creat', 'open_by_handle_at',
  'memfd_create', 'socket', 'connect', 'accept', 'accept4', 'bind', 'dup', 'dup2', 'dup3', 'fcntl', 'pipe',
  'pipe2', 'socketpair', 'chdir', 'fchdir', 'prctl', 'close', 'close_range', 'exit', 'exit_group', 'procexit',
  'sendto', 'sendmsg', 'recvfrom', 'recvmsg', 'brk', 'mmap', 'mmap2', 'munmap', 'switch',
]);

/**
 * Stateful types whose events change nothing (beyond registering a new thread) unless this
 * column is set: fcntl creates an fd only as F_DUPFD / F_DUPFD_CLOEXEC (`fd2` set), sendto,
 * sendmsg, recvfrom and recvmsg name a socket only with a tuple (`sock_family` set); brk, mmap, mmap2,
 * munmap and switch carry memory figures only in `extra` (.scap traces). Replay treats the others
 * like events of stateless types.
 */
export const STATE_ONLY_WITH: Readonly<Record<string, ColumnName>> = {
  fcntl: 'fd2', sendto: 'sock_family', sendmsg: 'sock_family', recvfrom: 'sock_family', recvmsg: 'sock_family',
  brk: 'extra', mmap: 'extra', mmap2: 'extra', munmap: 'extra', switch: 'extra',
};
