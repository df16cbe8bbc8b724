import type { ColumnName } from './columns.js';

/**
 * Event parameters by Falco name, per event type: which column of the trace holds each
 * parameter, and how Falco renders it. The trace keeps arguments in shared typed columns; this
 * table gives them back their per-syscall names. Producers (the capture, the .scap reader) fill
 * the columns this table names; the engine reads `evt.arg.NAME`, `evt.rawarg.NAME` and
 * `evt.args` through it. Parameters not listed go to the `extra` column under their own name.
 */

/**
 * `extra` key naming the .scap event layout a row was read from, as `code:nparams` (event code
 * of src/scap/event-table.ts, number of parameters the event had), set by the .scap reader when
 * the layout is not the newest one of the row's type and direction at full length, or when an
 * exit row was completed with its enter event's values: evt.args then lists that layout's own
 * parameters, as libsinsp shows the event.
 */
export const LAYOUT_KEY = 'scap_layout';

export type ParamRender = 'num' | 'str' | 'fd' | 'res' | 'openflags' | 'cloneflags' | 'prot' | 'mode' | 'tuple' | 'addr' | 'list' | 'bytes';

export interface Param {
  name: string;
  col: ColumnName | 'tuple' | 'addr';
  render: ParamRender;
}

const p = (name: string, col: Param['col'], render: ParamRender): Param => ({ name, col, render });

const OPEN = [p('fd', 'res', 'fd'), p('dirfd', 'dirfd', 'fd'), p('name', 'path', 'str'), p('flags', 'flags', 'openflags'), p('mode', 'mode', 'mode'), p('dev', 'dev', 'num'), p('ino', 'ino', 'num')];
const EXEC = [p('res', 'res', 'res'), p('exe', 'exe', 'str'), p('args', 'args', 'list'), p('tid', 'tid', 'num'), p('pid', 'pid', 'num'), p('ptid', 'ppid', 'num'), p('cwd', 'cwd', 'str'), p('comm', 'comm', 'str'), p('env', 'env', 'list'), p('tty', 'tty', 'num'), p('pgid', 'pgid', 'num'), p('loginuid', 'loginuid', 'num'), p('flags', 'exe_flags', 'num'), p('cap_inheritable', 'cap_inheritable', 'num'), p('cap_permitted', 'cap_permitted', 'num'), p('cap_effective', 'cap_effective', 'num'), p('exe_ino', 'exe_ino', 'num'), p('exe_ino_ctime', 'exe_ctime', 'num'), p('exe_ino_mtime', 'exe_mtime', 'num'), p('uid', 'euid', 'num'), p('trusted_exepath', 'exepath', 'str'), p('filename', 'path', 'str'), p('gid', 'egid', 'num'), p('cgroups', 'cgroup', 'str')];
const CLONE = [p('res', 'res', 'res'), p('exe', 'exe', 'str'), p('args', 'args', 'list'), p('tid', 'tid', 'num'), p('pid', 'pid', 'num'), p('ptid', 'ppid', 'num'), p('cwd', 'cwd', 'str'), p('comm', 'comm', 'str'), p('flags', 'flags', 'cloneflags'), p('uid', 'euid', 'num'), p('gid', 'egid', 'num'), p('vtid', 'vtid', 'num'), p('vpid', 'vpid', 'num'), p('cgroups', 'cgroup', 'str')];
const CONNECT = [p('res', 'res', 'res'), p('tuple', 'tuple', 'tuple'), p('fd', 'fd', 'fd'), p('addr', 'addr', 'addr')];
const ACCEPT = [p('fd', 'res', 'fd'), p('tuple', 'tuple', 'tuple'), p('queuepct', 'extra', 'str'), p('flags', 'flags', 'num')];
const RW = [p('res', 'res', 'res'), p('data', 'buffer', 'bytes'), p('fd', 'fd', 'fd'), p('size', 'size', 'num')];

const BY_TYPE: Record<string, Param[]> = {
  open: OPEN,
  openat: OPEN,
  // resolve (PPM_RESOLVE_*) has no column: `extra`, as decimal text (the capture's open_how item, the .scap reader).
  openat2: [...OPEN, p('resolve', 'extra', 'num')],
  creat: [p('fd', 'res', 'fd'), p('name', 'path', 'str'), p('mode', 'mode', 'mode')],
  execve: EXEC,
  execveat: [...EXEC, p('dirfd', 'dirfd', 'fd'), p('pathname', 'path', 'str')],
  clone: CLONE,
  clone3: CLONE,
  fork: CLONE,
  vfork: CLONE,
  connect: CONNECT,
  accept: ACCEPT,
  accept4: ACCEPT,
  socket: [p('fd', 'res', 'fd'), p('domain', 'sock_family', 'num'), p('type', 'sock_type', 'num'), p('proto', 'l4proto', 'num'), p('flags', 'flags', 'num')],
  bind: [p('res', 'res', 'res'), p('addr', 'addr', 'addr'), p('fd', 'fd', 'fd')],
  listen: [p('res', 'res', 'res'), p('fd', 'fd', 'fd'), p('backlog', 'size', 'num')],
  read: RW,
  write: RW,
  pread: RW,
  pwrite: RW,
  readv: RW,
  writev: RW,
  recvfrom: [...RW, p('tuple', 'tuple', 'tuple')],
  sendto: [...RW, p('tuple', 'tuple', 'tuple')],
  recvmsg: [...RW, p('tuple', 'tuple', 'tuple')],
  sendmsg: [...RW, p('tuple', 'tuple', 'tuple')],
  close: [p('res', 'res', 'res'), p('fd', 'fd', 'fd')],
  dup: [p('res', 'res', 'fd'), p('oldfd', 'fd', 'fd')],
  dup2: [p('res', 'res', 'fd'), p('oldfd', 'fd', 'fd'), p('newfd', 'fd2', 'fd')],
  dup3: [p('res', 'res', 'fd'), p('oldfd', 'fd', 'fd'), p('newfd', 'fd2', 'fd'), p('flags', 'flags', 'num')],
  unlink: [p('res', 'res', 'res'), p('path', 'path', 'str')],
  unlinkat: [p('res', 'res', 'res'), p('dirfd', 'dirfd', 'fd'), p('name', 'path', 'str'), p('flags', 'flags', 'num')],
  rename: [p('res', 'res', 'res'), p('oldpath', 'path', 'str'), p('newpath', 'path2', 'str')],
  renameat: [p('res', 'res', 'res'), p('olddirfd', 'dirfd', 'fd'), p('oldpath', 'path', 'str'), p('newdirfd', 'dirfd2', 'fd'), p('newpath', 'path2', 'str')],
  renameat2: [p('res', 'res', 'res'), p('olddirfd', 'dirfd', 'fd'), p('oldpath', 'path', 'str'), p('newdirfd', 'dirfd2', 'fd'), p('newpath', 'path2', 'str'), p('flags', 'flags', 'num')],
  link: [p('res', 'res', 'res'), p('oldpath', 'path', 'str'), p('newpath', 'path2', 'str')],
  linkat: [p('res', 'res', 'res'), p('olddir', 'dirfd', 'fd'), p('oldpath', 'path', 'str'), p('newdir', 'dirfd2', 'fd'), p('newpath', 'path2', 'str'), p('flags', 'flags', 'num')],
  symlink: [p('res', 'res', 'res'), p('target', 'path', 'str'), p('linkpath', 'path2', 'str')],
  symlinkat: [p('res', 'res', 'res'), p('target', 'path', 'str'), p('linkdirfd', 'dirfd2', 'fd'), p('linkpath', 'path2', 'str')],
  mkdir: [p('res', 'res', 'res'), p('path', 'path', 'str'), p('mode', 'mode', 'mode')],
  mkdirat: [p('res', 'res', 'res'), p('dirfd', 'dirfd', 'fd'), p('path', 'path', 'str'), p('mode', 'mode', 'mode')],
  rmdir: [p('res', 'res', 'res'), p('path', 'path', 'str')],
  chmod: [p('res', 'res', 'res'), p('filename', 'path', 'str'), p('mode', 'mode', 'mode')],
  fchmod: [p('res', 'res', 'res'), p('fd', 'fd', 'fd'), p('mode', 'mode', 'mode')],
  fchmodat: [p('res', 'res', 'res'), p('dirfd', 'dirfd', 'fd'), p('filename', 'path', 'str'), p('mode', 'mode', 'mode')],
  chown: [p('res', 'res', 'res'), p('path', 'path', 'str'), p('uid', 'id', 'num'), p('gid', 'id2', 'num')],
  fchown: [p('res', 'res', 'res'), p('fd', 'fd', 'fd'), p('uid', 'id', 'num'), p('gid', 'id2', 'num')],
  fchownat: [p('res', 'res', 'res'), p('dirfd', 'dirfd', 'fd'), p('pathname', 'path', 'str'), p('uid', 'id', 'num'), p('gid', 'id2', 'num'), p('flags', 'flags', 'num')],
  setuid: [p('res', 'res', 'res'), p('uid', 'id', 'num')],
  setgid: [p('res', 'res', 'res'), p('gid', 'id', 'num')],
  setresuid: [p('res', 'res', 'res'), p('ruid', 'id', 'num'), p('euid', 'id2', 'num'), p('suid', 'id3', 'num')],
  setresgid: [p('res', 'res', 'res'), p('rgid', 'id', 'num'), p('egid', 'id2', 'num'), p('sgid', 'id3', 'num')],
  setreuid: [p('res', 'res', 'res'), p('ruid', 'id', 'num'), p('euid', 'id2', 'num')],
  setregid: [p('res', 'res', 'res'), p('rgid', 'id', 'num'), p('egid', 'id2', 'num')],
  ptrace: [p('res', 'res', 'res'), p('request', 'op', 'num'), p('pid', 'id', 'num')],
  kill: [p('res', 'res', 'res'), p('pid', 'id', 'num'), p('sig', 'op', 'num')],
  prctl: [p('res', 'res', 'res'), p('option', 'op', 'num'), p('arg2_str', 'name', 'str')],
  bpf: [p('res_or_fd', 'res', 'res'), p('cmd', 'op', 'num')],
  fcntl: [p('res', 'res', 'fd'), p('fd', 'fd', 'fd'), p('cmd', 'op', 'num')],
  ioctl: [p('res', 'res', 'res'), p('fd', 'fd', 'fd'), p('request', 'op', 'num')],
  mmap: [p('res', 'res', 'num'), p('addr', 'addr', 'num'), p('length', 'size', 'num'), p('prot', 'prot', 'prot'), p('flags', 'flags', 'num'), p('fd', 'fd', 'fd')],
  mprotect: [p('res', 'res', 'res'), p('addr', 'addr', 'num'), p('length', 'size', 'num'), p('prot', 'prot', 'prot')],
  memfd_create: [p('fd', 'res', 'fd'), p('name', 'name', 'str'), p('flags', 'flags', 'num')],
  init_module: [p('res', 'res', 'res'), p('length', 'size', 'num'), p('uargs', 'name', 'str')],
  finit_module: [p('res', 'res', 'res'), p('fd', 'fd', 'fd'), p('uargs', 'name', 'str'), p('flags', 'flags', 'num')],
  mount: [p('res', 'res', 'res'), p('dev', 'path', 'str'), p('dir', 'path2', 'str'), p('type', 'name', 'str'), p('flags', 'flags', 'num')],
  umount2: [p('res', 'res', 'res'), p('name', 'path', 'str'), p('flags', 'flags', 'num')],
  chdir: [p('res', 'res', 'res'), p('path', 'path', 'str')],
  fchdir: [p('res', 'res', 'res'), p('fd', 'fd', 'fd')],
  exit_group: [p('status', 'id', 'num')],
  procexit: [p('status', 'id', 'num')],
  pipe: [p('res', 'res', 'res'), p('fd1', 'fd', 'fd'), p('fd2', 'fd2', 'fd'), p('ino', 'ino', 'num')],
  access: [p('res', 'res', 'res'), p('mode', 'mode', 'num'), p('name', 'path', 'str')],
  faccessat: [p('res', 'res', 'res'), p('dirfd', 'dirfd', 'fd'), p('pathname', 'path', 'str'), p('mode', 'mode', 'num')],
  faccessat2: [p('res', 'res', 'res'), p('dirfd', 'dirfd', 'fd'), p('pathname', 'path', 'str'), p('mode', 'mode', 'num'), p('flags', 'flags', 'num')],
  stat: [p('res', 'res', 'res'), p('path', 'path', 'str')],
  lstat: [p('res', 'res', 'res'), p('path', 'path', 'str')],
  fstat: [p('res', 'res', 'res'), p('fd', 'fd', 'fd')],
  newfstatat: [p('res', 'res', 'res'), p('dirfd', 'dirfd', 'fd'), p('path', 'path', 'str'), p('flags', 'flags', 'num')],
  munmap: [p('res', 'res', 'res'), p('length', 'size', 'num')],
  pipe2: [p('res', 'res', 'res'), p('fd1', 'fd', 'fd'), p('fd2', 'fd2', 'fd'), p('flags', 'flags', 'num')],
  socketpair: [p('res', 'res', 'res'), p('fd1', 'fd', 'fd'), p('fd2', 'fd2', 'fd')],
  capset: [p('res', 'res', 'res'), p('cap_inheritable', 'cap_inheritable', 'num'), p('cap_permitted', 'cap_permitted', 'num'), p('cap_effective', 'cap_effective', 'num')],
};

/** Parameters of types not listed: whatever generic columns are set, under their usual names. */
const GENERIC: Param[] = [p('res', 'res', 'res'), p('fd', 'fd', 'fd'), p('path', 'path', 'str'), p('name', 'name', 'str'), p('flags', 'flags', 'num'), p('mode', 'mode', 'mode'), p('size', 'size', 'num')];

export function paramsOf(type: string): Param[] {
  return BY_TYPE[type] ?? GENERIC;
}


/**
 * Parameters of older .scap layouts whose name differs from the one above but whose value is
 * the same (libs' converter moves them so): scap parameter name → column, per event type.
 */
const ALIASES: Record<string, Record<string, ColumnName>> = {
  // execve/execveat: vpgid is the namespace view, what the `pgid` column holds; pgid (global) goes to extra.
  execve: { vpgid: 'pgid' },
  execveat: { vpgid: 'pgid' },
  // dup's old enter event names the duplicated fd `fd`; its exit (and libs' converter, which
  // moves it into DUP_1_X) call it `oldfd`.
  dup: { fd: 'fd' },
};

/** The column and rendering of scap parameter `name` of an event of `type` (undefined: `extra`). */
export function paramMapping(type: string, name: string): Param | undefined {
  const list = paramsOf(type);
  const aliased = ALIASES[type]?.[name];
  if (aliased) return { name, col: aliased, render: list.find((x) => x.col === aliased)?.render ?? 'num' };
  return list.find((x) => x.name === name);
}
