import { UserError } from '../util/errors.js';
import { X86_64_SYSCALLS } from './syscalls-x86_64.js';

/**
 * The syscall sets a capture can record, and what the kernel side reads for each syscall (its
 * category, mirrored from helper/record.h). Only x86_64's native ABI for now.
 */

/** Categories: keep in step with CAT_* in helper/record.h. */
export const CAT = {
  PLAIN: 1,
  PATH0: 2,
  PATH1: 3,
  PATH01: 4,
  PATH13: 5,
  PATH02: 6,
  MOUNT: 7,
  EXECVE: 8,
  EXECVEAT: 9,
  CLONE: 10,
  CLONE3: 11,
  CONNECT: 12,
  ACCEPT: 13,
  BIND: 14,
  SENDTO: 15,
  RECVFROM: 16,
  MSG: 17,
  RW: 18,
  NAME0: 19,
  PRCTL: 20,
  NAME1: 21,
  NAME2: 22,
  OPEN: 23,
  OPENAT: 24,
  FDPAIR0: 25,
  FDPAIR3: 26,
  SOCKFD: 27,
  CAPSET: 28,
  EXIT: 29,
  READ: 30,
  OPENAT2: 31,
  /** Flag: record mmap/mprotect only with PROT_EXEC. */
  F_EXEC_ONLY: 0x80,
} as const;

const PATH0 = ['unlink', 'rmdir', 'mkdir', 'chmod', 'chown', 'lchown', 'chdir', 'chroot', 'truncate', 'access', 'stat', 'lstat', 'readlink', 'statfs', 'acct', 'swapon', 'swapoff', 'uselib', 'mknod', 'umount2', 'utime', 'utimes', 'getxattr', 'lgetxattr', 'setxattr', 'lsetxattr', 'listxattr', 'llistxattr', 'removexattr', 'lremovexattr'];
const PATH1 = ['unlinkat', 'mkdirat', 'fchmodat', 'fchmodat2', 'fchownat', 'newfstatat', 'faccessat', 'faccessat2', 'readlinkat', 'mknodat', 'utimensat', 'futimesat', 'statx', 'name_to_handle_at', 'inotify_add_watch', 'open_tree', 'mount_setattr', 'fspick'];

const CATEGORY: Record<string, number> = {
  ...Object.fromEntries(PATH0.map((n) => [n, CAT.PATH0])),
  ...Object.fromEntries(PATH1.map((n) => [n, CAT.PATH1])),
  rename: CAT.PATH01,
  link: CAT.PATH01,
  symlink: CAT.PATH01,
  pivot_root: CAT.PATH01,
  renameat: CAT.PATH13,
  renameat2: CAT.PATH13,
  linkat: CAT.PATH13,
  symlinkat: CAT.PATH02,
  mount: CAT.MOUNT,
  open: CAT.OPEN,
  creat: CAT.OPEN,
  openat: CAT.OPENAT,
  openat2: CAT.OPENAT2,
  execve: CAT.EXECVE,
  execveat: CAT.EXECVEAT,
  clone: CAT.CLONE,
  fork: CAT.CLONE,
  vfork: CAT.CLONE,
  clone3: CAT.CLONE3,
  connect: CAT.CONNECT,
  accept: CAT.ACCEPT,
  accept4: CAT.ACCEPT,
  bind: CAT.BIND,
  listen: CAT.SOCKFD,
  shutdown: CAT.SOCKFD,
  sendto: CAT.SENDTO,
  recvfrom: CAT.RECVFROM,
  sendmsg: CAT.MSG,
  recvmsg: CAT.MSG,
  sendmmsg: CAT.MSG,
  recvmmsg: CAT.MSG,
  read: CAT.READ,
  pread64: CAT.READ,
  write: CAT.RW,
  pwrite64: CAT.RW,
  memfd_create: CAT.NAME0,
  delete_module: CAT.NAME0,
  prctl: CAT.PRCTL,
  finit_module: CAT.NAME1,
  init_module: CAT.NAME2,
  pipe: CAT.FDPAIR0,
  pipe2: CAT.FDPAIR0,
  socketpair: CAT.FDPAIR3,
  capset: CAT.CAPSET,
  exit: CAT.EXIT,
  exit_group: CAT.EXIT,
};

/**
 * The default set: process lifecycle, file creation/removal/permission changes, network, privilege
 * and evasion syscalls, and every syscall the upstream Falco rules name (checked by a test against
 * Falco's rule files, test/capture/syscalls.test.ts). mmap and mprotect only with PROT_EXEC.
 */
export const DEFAULT_SYSCALLS: readonly string[] = [
  // processes
  'execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork', 'exit', 'exit_group', 'chdir', 'fchdir', 'chroot', 'pivot_root',
  'setsid', 'setpgid', 'unshare', 'setns', 'kill',
  // files
  'open', 'openat', 'openat2', 'creat', 'close', 'dup', 'dup2', 'dup3', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat',
  'link', 'linkat', 'symlink', 'symlinkat', 'mkdir', 'mkdirat', 'rmdir', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown',
  'fchown', 'lchown', 'fchownat', 'mount', 'umount2', 'pipe', 'pipe2', 'open_by_handle_at',
  // network
  'socket', 'socketpair', 'connect', 'accept', 'accept4', 'bind', 'listen', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg',
  // privilege and evasion
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'capset', 'prctl', 'ptrace',
  'bpf', 'init_module', 'finit_module', 'delete_module', 'memfd_create', 'memfd_secret', 'mprotect', 'mmap', 'userfaultfd',
  'process_vm_writev', 'process_vm_readv', 'pidfd_getfd', 'io_uring_setup',
];

const EXEC_ONLY_IN_DEFAULT = new Set(['mmap', 'mprotect']);

export interface SyscallSelection {
  /** number -> name for the selected syscalls */
  names: Map<number, string>;
  /** "NR:CAT,NR:CAT,…" for the helper's --syscalls */
  helperArg: string;
  /** how the set was asked for, for the trace metadata */
  description: string;
}

function tableForArch(): Readonly<Record<number, string>> {
  if (process.arch !== 'x64') throw new UserError(`tsfalco capture: only x86_64 is supported for now (this machine is ${process.arch})`);
  return X86_64_SYSCALLS;
}

/** The name tsfalco (and Falco) gives a syscall: pread64 is `pread`, pwrite64 is `pwrite`. */
export function eventTypeOf(name: string): string {
  return name === 'pread64' ? 'pread' : name === 'pwrite64' ? 'pwrite' : name;
}

/**
 * Resolves `--events`: `default` (or nothing), `all`, or a comma-separated list of syscall names,
 * where a leading `+` adds to the default set (`+read,+write`).
 */
export function selectSyscalls(spec: string | undefined): SyscallSelection {
  const table = tableForArch();
  const byName = new Map<string, number>();
  for (const [nr, name] of Object.entries(table)) {
    byName.set(name, Number(nr));
    byName.set(eventTypeOf(name), Number(nr));
  }
  const text = (spec ?? 'default').trim();
  const chosen = new Map<number, number>();
  const add = (name: string, execOnly: boolean) => {
    const nr = byName.get(name);
    if (nr === undefined) return false;
    const cat = CATEGORY[table[nr]] ?? CAT.PLAIN;
    chosen.set(nr, cat | (execOnly ? CAT.F_EXEC_ONLY : 0));
    return true;
  };
  if (text === 'all') {
    for (const nr of Object.keys(table)) add(table[Number(nr)], false);
  } else {
    const items = text === 'default' || text === '' ? ['default'] : text.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown: string[] = [];
    const addDefault = () => {
      for (const name of DEFAULT_SYSCALLS) add(name, EXEC_ONLY_IN_DEFAULT.has(name));
    };
    if (items.some((i) => i.startsWith('+'))) addDefault();
    for (const item of items) {
      if (item === 'default') addDefault();
      else if (!add(item.replace(/^\+/, ''), false)) unknown.push(item);
    }
    if (unknown.length) {
      throw new UserError(`--events: unknown syscall${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (use names such as openat,execve,connect, "default" or "all")`);
    }
  }
  const names = new Map<number, string>();
  for (const nr of chosen.keys()) names.set(nr, eventTypeOf(table[nr]));
  const helperArg = [...chosen].map(([nr, cat]) => `${nr}:${cat}`).join(',');
  return { names, helperArg, description: text };
}

/** All syscall names of this architecture (for help and tests). */
export function knownSyscalls(): string[] {
  return Object.values(tableForArch()).map(eventTypeOf);
}
