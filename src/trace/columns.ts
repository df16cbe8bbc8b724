/**
 * The columns of a tsfalco trace, format version 1.1: one table, one row per event.
 *
 * Every row has `ts`, `num`, `source` and `type` (the core); the other columns belong to the
 * event source that uses them: the `syscall` source owns the columns from `dir` to `extra`, a
 * source without columns of its own carries its events in `payload`. A source adds columns of
 * its own here, in a later minor version (`since`), nullable, so that older readers skip them.
 *
 * This list is the single source of truth: the Arrow schema, the writer's accumulators, the
 * reader's checks and the documentation test are all derived from it. A column's `kind` says how
 * it is stored; `falco` names the Falco fields whose values come from it.
 */

export type ColumnKind =
  | 'timestamp' // Timestamp(ns, UTC), BigInt64 nanoseconds since the epoch
  | 'int64'
  | 'uint64'
  | 'int32'
  | 'uint32'
  | 'int16'
  | 'uint16'
  | 'uint8'
  | 'bool'
  | 'string' // Dictionary<Int32, Utf8>: one dictionary per column for the whole file (delta batches)
  | 'strings' // List<Utf8>
  | 'binary' // Binary
  | 'map'; // Map<Utf8, Utf8>

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  /** What the column holds, for the documentation. */
  readonly doc: string;
  /** Falco fields (or `evt.arg.*` names) whose values come from this column. */
  readonly falco: string;
  /** Only `ts`, `num` and `type` are required on every row. */
  readonly required?: boolean;
  /** The format version that added the column (`1.1`); absent for the columns of 1.0. Traces of older versions lack it. */
  readonly since?: string;
}

function c<N extends string, K extends ColumnKind, R extends boolean = false>(
  name: N,
  kind: K,
  doc: string,
  falco = '',
  required?: R,
  since?: string,
): { readonly name: N; readonly kind: K; readonly doc: string; readonly falco: string; readonly required: R; readonly since?: string } {
  return since === undefined ? { name, kind, doc, falco, required: (required ?? false) as R } : { name, kind, doc, falco, required: (required ?? false) as R, since };
}

export const COLUMNS = [
  // --- every event -------------------------------------------------------------------------
  c('ts', 'timestamp', 'When the event happened (for a completed syscall: its exit).', 'evt.rawtime, evt.time, evt.time.iso8601, evt.datetime', true),
  c('num', 'uint64', 'Event number, from 1, in capture order; snapshot and statistics rows have their own numbers too.', 'evt.num', true),
  c('type', 'string', 'Event type: the syscall name (`openat`, `execve`), or a record type (`snapshot_proc`, `capture_stats`, …).', 'evt.type', true),
  c('source', 'string', 'Event source of the row (`syscall`, or another source\'s name); null means `syscall` (every row of a 1.0 trace, and the capture\'s rows, which are all syscall events).', 'evt.source', false, '1.1'),
  c('dir', 'string', '`<` for an exit or a completed syscall, `>` for an enter event (only in traces read from .scap). Null for snapshot rows.', 'evt.dir'),
  c('cpu', 'int16', 'CPU the event ran on; -1 for records that belong to no CPU.', 'evt.cpu'),
  c('tid', 'int32', 'Thread id (in the initial pid namespace).', 'thread.tid, proc.tid'),
  c('pid', 'int32', 'Process (thread group) id.', 'proc.pid'),
  c('ppid', 'int32', 'Parent process id at event time.', 'proc.ppid'),
  c('vtid', 'int32', 'Thread id inside the thread\'s pid namespace (differs in containers).', 'thread.vtid'),
  c('vpid', 'int32', 'Process id inside the process\'s pid namespace.', 'proc.vpid'),
  c('uid', 'uint32', 'Real user id.', 'user.uid (libsinsp uses the effective id: see euid)'),
  c('gid', 'uint32', 'Real group id.', 'group.gid (see egid)'),
  c('euid', 'uint32', 'Effective user id; Falco\'s user.uid.', 'user.uid, user.name'),
  c('egid', 'uint32', 'Effective group id; Falco\'s group.gid.', 'group.gid, group.name'),
  c('loginuid', 'int32', 'Audit login uid; -1 when unset (4294967295 in the kernel).', 'user.loginuid, user.loginname'),
  c('comm', 'string', 'Thread command name (comm, at most 15 bytes) at event time.', 'proc.name, thread.comm'),
  c('res', 'int64', 'Return value of the syscall: a negative errno on failure, a new fd, a child tid… Null on enter events.', 'evt.res, evt.rawres, evt.failed, evt.arg.res, evt.arg.fd of open/socket/accept'),
  c('latency', 'int64', 'Nanoseconds between syscall entry and exit (completed syscalls only).', 'evt.latency'),

  // --- syscall arguments ---------------------------------------------------------------------
  c('fd', 'int64', 'The file descriptor the syscall acts on (read/write/close/connect/dup oldfd…), or the fd a snapshot row describes.', 'evt.arg.fd, fd.num'),
  c('fd2', 'int64', 'A second fd: dup2/dup3 newfd, the second end of pipe/socketpair.', 'evt.arg.newfd, evt.arg.fd2'),
  c('dirfd', 'int64', 'Directory fd that a relative path is resolved against (openat dirfd, renameat olddirfd…); -100 is AT_FDCWD.', 'evt.arg.dirfd, evt.arg.olddirfd'),
  c('dirfd2', 'int64', 'Second directory fd (renameat/linkat newdirfd).', 'evt.arg.newdirfd'),
  c('path', 'string', 'The path argument as the process passed it (open/exec/unlink/mkdir/chmod… name, rename/link oldpath, symlink target, unix socket path); for snapshot fd rows, the fd\'s name.', 'evt.arg.name, evt.arg.path, evt.arg.pathname, evt.arg.filename, evt.arg.oldpath, evt.arg.target, fd.name'),
  c('path2', 'string', 'The second path argument: rename/link newpath, symlink linkpath, mount dir; user snapshot: shell.', 'evt.arg.newpath, evt.arg.linkpath, evt.arg.dir'),
  c('flags', 'uint32', 'The event\'s flags argument in Falco\'s (scap) encoding for that event type: open flags (PPM_O_*), clone flags, mmap flags…', 'evt.arg.flags, evt.rawarg.flags, evt.is_open_read, evt.is_open_write, evt.is_open_exec'),
  c('mode', 'uint32', 'File mode argument (open/creat/mkdir/chmod), in Falco\'s encoding (PPM_S_*, same bits as Linux).', 'evt.arg.mode'),
  c('dev', 'uint32', 'Device number of the opened file (open family exit).', 'fd.dev, evt.arg.dev'),
  c('ino', 'uint64', 'Inode number of the opened file (open family exit).', 'fd.ino, evt.arg.ino'),
  c('fd_type', 'string', 'Kind of the fd a syscall creates or a snapshot row describes: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, bpf, userfaultfd, io_uring, memfd.', 'fd.type, fd.typechar'),
  c('sock_family', 'uint8', 'Socket address family (Linux AF_*: 1 unix, 2 inet, 10 inet6, 16 netlink).', 'fd.sockfamily, evt.arg.domain'),
  c('sock_type', 'uint8', 'Socket type (Linux SOCK_*: 1 stream, 2 dgram, 3 raw…).', 'evt.arg.type'),
  c('l4proto', 'uint8', 'Transport protocol number (6 tcp, 17 udp, 1 icmp, 58 icmpv6; 0 unknown).', 'fd.l4proto'),
  c('sip', 'string', 'Client (source) address of the connection as text (IPv4 dotted, IPv6 RFC 5952).', 'fd.cip, fd.sip (by role), fd.lip/fd.rip, fd.net'),
  c('sport', 'uint16', 'Client (source) port.', 'fd.cport, fd.sport (by role), fd.lport/fd.rport'),
  c('dip', 'string', 'Server (destination) address of the connection as text.', 'fd.sip, fd.rip/fd.lip, fd.snet'),
  c('dport', 'uint16', 'Server (destination) port.', 'fd.sport, fd.rport/fd.lport'),
  c('id', 'int64', 'The first id the syscall names: setuid/setgid/setfsuid/setreuid/setresuid uid or gid, ptrace/kill target pid, chown owner.', 'evt.arg.uid, evt.arg.gid, evt.arg.ruid, evt.arg.pid'),
  c('id2', 'int64', 'The second id: setresuid/setreuid euid, chown group.', 'evt.arg.euid, evt.arg.egid, evt.arg.group'),
  c('id3', 'int64', 'The third id: setresuid/setresgid saved id.', 'evt.arg.suid, evt.arg.sgid'),
  c('op', 'int64', 'The operation selector: ptrace request and fcntl command in Falco\'s numbering (PPM_PTRACE_*, PPM_FCNTL_*: PTRACE_ATTACH is 11, not Linux\'s 16), ioctl request, bpf cmd, prctl option as the kernel numbers them.', 'evt.arg.request, evt.arg.cmd, evt.arg.option'),
  c('size', 'int64', 'A length argument: read/write/sendto size, mmap/mprotect length.', 'evt.arg.size, evt.arg.length, evt.arg.len'),
  c('addr', 'uint64', 'An address argument: mmap/mprotect address.', 'evt.arg.addr'),
  c('prot', 'uint32', 'Memory protection (mmap/mprotect prot) in Falco\'s encoding.', 'evt.arg.prot'),
  c('name', 'string', 'A name argument or the name of what a snapshot row describes: memfd_create name, prctl name, module name; user, group, container or host name in snapshots.', 'evt.arg.name (memfd_create), user.name, group.name, container.name, evt.hostname'),
  c('buffer', 'binary', 'Data the syscall read or wrote (first snaplen bytes).', 'evt.buffer, evt.arg.data'),

  // --- process state (execve/clone exit rows and snapshot_proc rows) --------------------------
  c('exe', 'string', 'argv[0] as the process was started.', 'proc.exe, proc.pexe, proc.aexe[N]'),
  c('exepath', 'string', 'Full path of the executable file.', 'proc.exepath, proc.pexepath, proc.aexepath[N]'),
  c('args', 'strings', 'Command-line arguments after argv[0].', 'proc.args, proc.cmdline (with proc.name), proc.pcmdline'),
  c('env', 'strings', 'Environment as KEY=VALUE strings (only when the capture recorded it).', 'proc.env, proc.env[KEY]'),
  c('cwd', 'string', 'Current working directory.', 'proc.cwd, fd.name of relative paths'),
  c('tty', 'uint32', 'Controlling terminal device number; 0 when none.', 'proc.tty'),
  c('pgid', 'int32', 'Process group id, as seen in the process\'s pid namespace.', 'proc.vpgid, proc.is_vpgid_leader, proc.vpgid.name'),
  c('sid', 'int32', 'Session id, as seen in the process\'s pid namespace.', 'proc.sid, proc.sname, proc.is_sid_leader'),
  c('exe_flags', 'uint32', 'Executable properties (Falco\'s PPM_EXE_*): 1 writable by the user, 2 on an overlayfs upper layer, 4 from a memfd, 8 on an overlayfs lower layer.', 'proc.is_exe_writable, proc.is_exe_upper_layer, proc.is_exe_from_memfd, proc.is_exe_lower_layer'),
  c('exe_ino', 'uint64', 'Inode of the executable file.', 'proc.exe_ino'),
  c('exe_ctime', 'timestamp', 'Status-change time of the executable file.', 'proc.exe_ino.ctime, proc.exe_ino.ctime_duration_proc_start'),
  c('exe_mtime', 'timestamp', 'Modification time of the executable file.', 'proc.exe_ino.mtime, proc.exe_ino.ctime_duration_pidns_start'),
  c('cap_inheritable', 'uint64', 'Inheritable capability set (bit n = capability n).', 'thread.cap_inheritable'),
  c('cap_permitted', 'uint64', 'Permitted capability set.', 'thread.cap_permitted'),
  c('cap_effective', 'uint64', 'Effective capability set.', 'thread.cap_effective'),
  c('cgroup', 'string', 'The cgroup path used to find the container (cgroup v2 unified path, or the v1 cpuset/cpu path).', 'container.id (derived), proc.cgroups'),
  c('start_ts', 'timestamp', 'When the process (thread group) started.', 'proc.duration, proc.ppid.duration, container.start_ts (snapshot_container rows)'),

  // --- containers (snapshot_container rows) --------------------------------------------------
  c('container_id', 'string', 'Container id (12 hex digits for docker/containerd/cri-o ids, as libsinsp shortens them).', 'container.id'),
  c('image', 'string', 'Container image reference as given to the runtime (repository[:tag][@digest]).', 'container.image, container.image.repository, container.image.tag'),
  c('privileged', 'bool', 'Whether the container runs privileged.', 'container.privileged'),
  c('mounts', 'strings', 'Container mounts as `source:dest:mode:rw:propagation` strings.', 'container.mounts, container.mount.dest[…], container.mount.source[…]'),

  // --- capture statistics (capture_stats rows) -----------------------------------------------
  c('n_events', 'uint64', 'Events the kernel side saw since the capture started (on this cpu, or all when cpu is -1).', 'tsfalco trace info'),
  c('n_drops', 'uint64', 'Events dropped since the capture started (ring buffer full, or filtered for lack of room).', 'tsfalco trace info, syscall_event_drops'),

  // --- other sources ------------------------------------------------------------------------
  c('payload', 'binary', 'The event of a source without columns of its own, as that source encodes it (a plugin event\'s data); null on syscall rows.', 'the source\'s fields', false, '1.1'),

  // --- generic fallback ---------------------------------------------------------------------
  c('extra', 'map', 'Arguments without a column of their own, as name → text; also the details of snapshot rows (machine: kernel, cpus, memory; container: runtime, labels).', 'evt.arg.<name> not listed above, evt.args'),

] as const satisfies readonly ColumnSpec[];

export type ColumnName = (typeof COLUMNS)[number]['name'];

/** The source of rows whose `source` is null. */
export const DEFAULT_SOURCE = 'syscall';

/** Record types that are not syscalls. Snapshot rows carry state a reader needs before events. */
export const RECORD_TYPES = {
  /** First row of every snapshot: the machine (name = hostname; extra: kernel, cpus, memory, boot time). */
  snapshotMachine: 'snapshot_machine',
  /** One row per thread alive at snapshot time (header + process columns). */
  snapshotProc: 'snapshot_proc',
  /** One row per open fd of a process (pid, fd, fd_type, path / socket tuple, flags). */
  snapshotFd: 'snapshot_fd',
  /** One row per container (container_id, name, image, privileged, mounts, start_ts, extra). */
  snapshotContainer: 'snapshot_container',
  /** One row per user (uid, gid, name; path = home, path2 = shell). */
  snapshotUser: 'snapshot_user',
  /** One row per group (gid, name). */
  snapshotGroup: 'snapshot_group',
  /** Last row of every snapshot. */
  snapshotEnd: 'snapshot_end',
  /** Capture statistics: n_events, n_drops (per cpu, or cpu = -1 for the total). */
  captureStats: 'capture_stats',
} as const;

export const SNAPSHOT_TYPES: ReadonlySet<string> = new Set([
  RECORD_TYPES.snapshotMachine,
  RECORD_TYPES.snapshotProc,
  RECORD_TYPES.snapshotFd,
  RECORD_TYPES.snapshotContainer,
  RECORD_TYPES.snapshotUser,
  RECORD_TYPES.snapshotGroup,
  RECORD_TYPES.snapshotEnd,
]);

export function isRecordType(type: string): boolean {
  return SNAPSHOT_TYPES.has(type) || type === RECORD_TYPES.captureStats;
}
