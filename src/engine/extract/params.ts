import type { ColumnName } from '../../trace/columns.js';
import { PPM_EXE } from '../../trace/flags.js';
import type { Cursor } from '../cursor.js';
import { FD_CREATING } from '../cursor.js';
import { renderCloneFlags, renderMode, renderOpenFlags, renderProt, renderRes } from './render.js';

/**
 * Event parameters by Falco name (`evt.arg.NAME`, `evt.rawarg.NAME`, `evt.args`): which column
 * holds each parameter for each event type, and how Falco renders it. The trace keeps arguments
 * in shared typed columns; this table is what gives them back their per-syscall names.
 */

type Render = 'num' | 'str' | 'fd' | 'res' | 'openflags' | 'cloneflags' | 'prot' | 'mode' | 'tuple' | 'addr' | 'list' | 'bytes';

interface Param {
  name: string;
  col: ColumnName | 'tuple' | 'addr';
  render: Render;
}

const p = (name: string, col: Param['col'], render: Render): Param => ({ name, col, render });

const OPEN = [p('fd', 'res', 'fd'), p('dirfd', 'dirfd', 'fd'), p('name', 'path', 'str'), p('flags', 'flags', 'openflags'), p('mode', 'mode', 'mode'), p('dev', 'dev', 'num'), p('ino', 'ino', 'num')];
const EXEC = [p('res', 'res', 'res'), p('exe', 'exe', 'str'), p('args', 'args', 'list'), p('tid', 'tid', 'num'), p('pid', 'pid', 'num'), p('ptid', 'ppid', 'num'), p('cwd', 'cwd', 'str'), p('comm', 'comm', 'str'), p('env', 'env', 'list'), p('tty', 'tty', 'num'), p('pgid', 'pgid', 'num'), p('loginuid', 'loginuid', 'num'), p('flags', 'exe_flags', 'num'), p('cap_inheritable', 'cap_inheritable', 'num'), p('cap_permitted', 'cap_permitted', 'num'), p('cap_effective', 'cap_effective', 'num'), p('exe_ino', 'exe_ino', 'num'), p('exe_ino_ctime', 'exe_ctime', 'num'), p('exe_ino_mtime', 'exe_mtime', 'num'), p('uid', 'euid', 'num'), p('trusted_exepath', 'exepath', 'str'), p('filename', 'path', 'str')];
const CLONE = [p('res', 'res', 'res'), p('exe', 'exe', 'str'), p('args', 'args', 'list'), p('tid', 'tid', 'num'), p('pid', 'pid', 'num'), p('ptid', 'ppid', 'num'), p('cwd', 'cwd', 'str'), p('comm', 'comm', 'str'), p('flags', 'flags', 'cloneflags'), p('uid', 'euid', 'num'), p('gid', 'egid', 'num'), p('vtid', 'vtid', 'num'), p('vpid', 'vpid', 'num')];
const CONNECT = [p('res', 'res', 'res'), p('tuple', 'tuple', 'tuple'), p('fd', 'fd', 'fd'), p('addr', 'addr', 'addr')];
const ACCEPT = [p('fd', 'res', 'fd'), p('tuple', 'tuple', 'tuple'), p('queuepct', 'extra', 'str'), p('flags', 'flags', 'num')];
const RW = [p('res', 'res', 'res'), p('data', 'buffer', 'bytes'), p('fd', 'fd', 'fd'), p('size', 'size', 'num')];

const BY_TYPE: Record<string, Param[]> = {
  open: OPEN,
  openat: OPEN,
  openat2: OPEN,
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
  socket: [p('fd', 'res', 'fd'), p('domain', 'sock_family', 'num'), p('type', 'sock_type', 'num'), p('proto', 'l4proto', 'num')],
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
  pipe: [p('res', 'res', 'res'), p('fd1', 'fd', 'fd'), p('fd2', 'fd2', 'fd')],
  pipe2: [p('res', 'res', 'res'), p('fd1', 'fd', 'fd'), p('fd2', 'fd2', 'fd'), p('flags', 'flags', 'num')],
  socketpair: [p('res', 'res', 'res'), p('fd1', 'fd', 'fd'), p('fd2', 'fd2', 'fd')],
  capset: [p('res', 'res', 'res'), p('cap_inheritable', 'cap_inheritable', 'num'), p('cap_permitted', 'cap_permitted', 'num'), p('cap_effective', 'cap_effective', 'num')],
};

/** Parameters of types not listed: whatever generic columns are set, under their usual names. */
const GENERIC: Param[] = [p('res', 'res', 'res'), p('fd', 'fd', 'fd'), p('path', 'path', 'str'), p('name', 'name', 'str'), p('flags', 'flags', 'num'), p('mode', 'mode', 'mode'), p('size', 'size', 'num')];

export function paramsOf(type: string): Param[] {
  return BY_TYPE[type] ?? GENERIC;
}

function paramOf(c: Cursor, name: string): Param | undefined {
  const list = paramsOf(c.type());
  return list.find((x) => x.name === name);
}

function tuple(c: Cursor): string | undefined {
  const sip = c.str('sip');
  const dip = c.str('dip');
  if (sip === undefined && dip === undefined) return c.str('path');
  const f = c.num('sock_family');
  const wrap = (ip: string | undefined) => (f === 10 && ip ? ip : (ip ?? ''));
  return `${wrap(sip)}:${c.num('sport') ?? 0}->${wrap(dip)}:${c.num('dport') ?? 0}`;
}

function rawValue(c: Cursor, param: Param): unknown {
  switch (param.col) {
    case 'tuple':
      return tuple(c);
    case 'addr':
      return c.has('dip') ? `${c.str('dip')}:${c.num('dport') ?? 0}` : c.str('path');
    case 'extra':
      return c.extra()?.[param.name];
  }
  switch (param.render) {
    case 'str':
      return c.str(param.col);
    case 'list':
      return c.strings_(param.col);
    case 'bytes':
      return c.bytes(param.col);
    default: {
      const v = c.big(param.col);
      if (v === undefined) return c.str(param.col);
      return v;
    }
  }
}

function render(c: Cursor, param: Param, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'bigint' ? Number(value) : Number.NaN;
  switch (param.render) {
    case 'res':
      return n < 0 ? renderRes(n) : String(value);
    case 'fd': {
      if (!(n >= 0)) return String(value);
      const fd = c.state.fds.get(c.num('pid') ?? -1)?.get(n);
      return fd ? `${n}(${typeChar(fd.type)}${fd.name})` : String(n);
    }
    case 'openflags':
      return `${renderOpenFlags(n)}`;
    case 'cloneflags':
      return renderCloneFlags(n);
    case 'prot':
      return renderProt(n);
    case 'mode':
      return renderMode(n);
    case 'list':
      return (value as string[]).join(' ');
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    default:
      return String(value);
  }
}

/** `<f>`-style prefix of a rendered fd, as in `3(<f>/etc/passwd)`. */
export function typeChar(type: string): string {
  const ch: Record<string, string> = {
    file: 'f', directory: 'd', ipv4: '4', ipv6: '6', unix: 'u', pipe: 'p', event: 'e', signalfd: 's', eventpoll: 'l',
    inotify: 'i', timerfd: 't', netlink: 'n', bpf: 'b', userfaultfd: 'u', io_uring: 'r', memfd: 'm',
  };
  return `<${ch[type] ?? 'o'}>`;
}

/** evt.arg.NAME / evt.arg[N]: the rendered parameter. */
export function argText(c: Cursor, key: string): string | undefined {
  const param = /^\d+$/.test(key) ? paramsOf(c.type())[Number(key)] : paramOf(c, key);
  if (!param) return c.extra()?.[key];
  return render(c, param, rawValue(c, param));
}

/** evt.rawarg.NAME: the parameter's raw value (numbers as numbers). */
export function argRaw(c: Cursor, key: string): unknown {
  const param = paramOf(c, key);
  if (!param) return c.extra()?.[key];
  const v = rawValue(c, param);
  return typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** evt.args: `name=value` for every parameter present, in the event's order. */
export function argsText(c: Cursor): string {
  const out: string[] = [];
  const isEnter = c.str('dir') === '>';
  for (const param of paramsOf(c.type())) {
    if (isEnter && (param.col === 'res' || param.name === 'res')) continue;
    const text = render(c, param, rawValue(c, param));
    if (text !== undefined) out.push(`${param.name}=${text}`);
  }
  return out.join(' ');
}

/** Whether the event type creates an fd in its return value (for evt.arg.fd of exits). */
export const createsFd = (type: string) => FD_CREATING.has(type);
export const EXE_WRITABLE = PPM_EXE.WRITABLE;
