/** The state a replay rebuilds from snapshots and events: plain records in plain maps. */

export interface ThreadInfo {
  tid: number;
  pid: number;
  ppid: number;
  vtid: number;
  vpid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string[];
  env: string[];
  cwd: string;
  tty: number;
  pgid: number;
  sid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  loginuid: number;
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
  exeFlags: number;
  exeIno: bigint;
  exeCtime: bigint;
  exeMtime: bigint;
  cgroup: string;
  /** Every cgroup as `controller=path`, when the trace lists them (.scap files); else derived from `cgroup`. */
  cgroups: readonly string[];
  containerId: string;
  /** Start of the thread group, ns since the epoch (0 when unknown). */
  startTs: bigint;
  /**
   * Resource figures libsinsp keeps per thread, from clone/execve exits (fdlimit, pgft_maj,
   * pgft_min, vm_size, vm_rss, vm_swap), brk/mmap/munmap exits (vm_*) and .scap process
   * snapshots; -1 when the trace never said (tsfalco's own capture does not record them).
   */
  fdlimit: number;
  pfmajor: number;
  pfminor: number;
  vmsizeKb: number;
  vmrssKb: number;
  vmswapKb: number;
  /** Start of the thread's pid namespace, ns since the epoch (0 when unknown). */
  pidnsStart: bigint;
}

export type FdType =
  | 'file'
  | 'directory'
  | 'ipv4'
  | 'ipv6'
  | 'unix'
  | 'pipe'
  | 'event'
  | 'signalfd'
  | 'eventpoll'
  | 'inotify'
  | 'timerfd'
  | 'netlink'
  | 'bpf'
  | 'userfaultfd'
  | 'io_uring'
  | 'memfd'
  | 'unknown';

export interface FdInfo {
  num: number;
  type: FdType;
  /** fd.name as Falco builds it: the path, `cip:cport->sip:sport`, the unix path… */
  name: string;
  /** The name as first given (relative paths unresolved). */
  nameRaw: string;
  flags: number;
  sockFamily: number;
  l4proto: number;
  /** Client side / server side of the connection (as Falco's fd tuple). */
  cip: string;
  cport: number;
  sip: string;
  sport: number;
  /** Whether this process is the server side of the connection (accept) or the client (connect). */
  isServer: boolean;
  connected: boolean;
  /** A unix socket libsinsp knows a role of (named in the process list, accepted, connected). */
  hasRole: boolean;
  /**
   * The evt.num of the event that gave the fd its current name (0: none of this replay's):
   * fd.name_changed is whether the event being extracted is that one, as libsinsp compares an
   * fd's name after parsing an event with the name it had before.
   */
  namedAt: number;
  dev: number;
  ino: bigint;
}

export interface UserInfo {
  uid: number;
  gid: number;
  name: string;
  home: string;
  shell: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  privileged: boolean;
  mounts: string[];
  startTs: bigint;
  /** Container runtime (docker, containerd, cri-o, podman…), from the snapshot's extra.runtime. */
  runtime: string | undefined;
  /** Labels (and extra details such as `ip`) from the snapshot's extra map. */
  labels: Record<string, string>;
  /**
   * The other details of the snapshot's extra map when the trace has them (image_id,
   * image_digest, cni_json, host_pid,
   * host_network, host_ipc: what Falco's container plugin asks the container engine).
   */
  details: Record<string, string>;
}

export interface ReplayState {
  threads: Map<number, ThreadInfo>;
  /** Open fds per process (thread group id). */
  fds: Map<number, Map<number, FdInfo>>;
  users: Map<number, UserInfo>;
  groups: Map<number, string>;
  /** Users and groups of each container (its own /etc/passwd and /etc/group), by container id. */
  containerUsers: Map<string, Map<number, UserInfo>>;
  containerGroups: Map<string, Map<number, string>>;
  containers: Map<string, ContainerInfo>;
  hostname: string;
  /** Boot time of the machine, ns since the epoch (0 when unknown): libsinsp's boot_ts_epoch. */
  bootTs: bigint;
  /** Addresses of the machine's network interfaces, from the snapshot (libsinsp's ifaddr list). */
  interfaces: string[];
}

export function newReplayState(hostname: string, bootTs = 0n): ReplayState {
  return { threads: new Map(), fds: new Map(), users: new Map(), groups: new Map(), containerUsers: new Map(), containerGroups: new Map(), containers: new Map(), hostname, bootTs, interfaces: [] };
}
