import { resolve } from 'node:path';
import type { TraceEvent } from '../../src/trace/event.js';
import type { SysdigEvent } from './sysdig.js';

/**
 * Compares sysdig's view of a .scap file written from a trace with the trace itself, event by
 * event: `written` says which row (and which half) each event of the file comes from. The expected
 * values come from the rows and the state they imply (what a process runs after exec, which file
 * an fd names after open, dup, close, fork), never from the writer.
 */

/** Syscalls the libscap of sysdig 0.29 records under another event's name. */
export const OLD_NAME: Record<string, string> = {
  dup2: 'dup', dup3: 'dup', pipe2: 'pipe', umount2: 'umount', accept4: 'accept', eventfd2: 'eventfd', signalfd4: 'signalfd', inotify_init1: 'inotify_init', rt_sigreturn: 'sigreturn', prlimit64: 'prlimit',
};
/** Exit events that carry the syscall's result. */
const WITH_RESULT = new Set(['open', 'openat', 'openat2', 'creat', 'read', 'write', 'pread', 'pwrite', 'close', 'connect', 'socket', 'execve', 'clone', 'clone3', 'fork', 'vfork', 'dup', 'dup2', 'dup3', 'mmap', 'fcntl', 'unlink', 'unlinkat', 'mkdir', 'mkdirat']);
const OPENS = new Set(['open', 'openat', 'openat2', 'creat']);
const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork']);

export const SYSDIG_FIELDS = [
  'evt.num', 'evt.type', 'evt.dir', 'thread.tid', 'proc.name', 'proc.pid', 'proc.ppid', 'proc.exe', 'proc.args', 'proc.cwd',
  'fd.num', 'fd.name', 'evt.rawres', 'evt.arg.name', 'fd.cip', 'fd.cport', 'fd.sip', 'fd.sport',
];

export interface Comparison {
  mismatches: string[];
  /** Events whose fd name was compared. */
  fdNames: number;
  /** Exit events whose result was compared. */
  results: number;
}

/** `openFlags`: event number → the open flags sysdig shows (sysdig 0.29 cannot print them raw in JSON). */
export function compareWithSysdig(rows: readonly TraceEvent[], written: readonly (readonly [bigint, '>' | '<'])[], sysdig: readonly SysdigEvent[], openFlags: ReadonlyMap<number, number>): Comparison {
  const byNum = new Map(rows.map((r) => [r.num, r]));
  // What the trace says each process runs and which file each fd names, as of each row.
  const image = new Map<number, { comm: string; exe: string; args: string[]; cwd: string | undefined }>();
  const fds = new Map<number, Map<bigint, string>>();
  const fdsOf = (pid: number) => {
    let m = fds.get(pid);
    if (!m) fds.set(pid, (m = new Map()));
    return m;
  };
  for (const r of rows) {
    if (r.type === 'snapshot_proc' && r.tid === r.pid) image.set(r.pid!, { comm: r.comm ?? '', exe: r.exe ?? '', args: r.args ?? [], cwd: r.cwd ?? '' });
    if (r.type === 'snapshot_fd' && (r.fd_type === 'file' || r.fd_type === 'directory') && r.path) fdsOf(r.pid!).set(r.fd!, resolve(r.path));
  }

  const mismatches: string[] = [];
  const check = (i: number, what: string, got: unknown, want: unknown) => {
    if (got !== want) mismatches.push(`event ${i + 1} (${sysdig[i]['evt.type']} ${sysdig[i]['evt.dir']} tid ${sysdig[i]['thread.tid']}): ${what}: sysdig ${JSON.stringify(got)}, trace ${JSON.stringify(want)}`);
  };
  let fdNames = 0;
  let results = 0;
  for (let i = 0; i < written.length; i++) {
    const [num, dir] = written[i];
    const r = byNum.get(num)!;
    const e = sysdig[i];
    const exit = dir === '<';
    check(i, 'evt.type', e['evt.type'], OLD_NAME[r.type] ?? r.type);
    check(i, 'evt.dir', e['evt.dir'], dir);
    check(i, 'thread.tid', e['thread.tid'], r.tid);
    check(i, 'proc.pid', e['proc.pid'], r.pid);
    check(i, 'proc.ppid', e['proc.ppid'], r.ppid);

    // A clone child starts with its parent's image and fds (its own return may come first).
    if (CLONES.has(r.type) && r.res === 0n) {
      const parent = image.get(r.ppid!);
      if (parent && !image.has(r.pid!)) image.set(r.pid!, { ...parent });
      if (!fds.has(r.pid!)) fds.set(r.pid!, new Map(fdsOf(r.ppid!)));
    }
    if (CLONES.has(r.type) && r.res! > 0n) {
      const parent = image.get(r.pid!);
      if (parent && !image.has(Number(r.res))) image.set(Number(r.res), { ...parent });
      if (!fds.has(Number(r.res))) fds.set(Number(r.res), new Map(fdsOf(r.pid!)));
    }
    // An exec changes the image at its exit.
    if (exit && r.type === 'execve' && r.res === 0n) image.set(r.pid!, { comm: r.comm!, exe: r.exe!, args: r.args!, cwd: r.cwd! });
    // chdir changes the cwd at its exit (fchdir to a directory the trace may not name: unknown).
    if (exit && (r.type === 'chdir' || r.type === 'fchdir') && r.res === 0n && image.has(r.pid!)) {
      const old = image.get(r.pid!)!;
      const cwd = r.type === 'fchdir' || !r.path ? undefined : resolve(old.cwd ?? '/', r.path);
      image.set(r.pid!, { ...old, cwd });
    }
    const img = image.get(r.pid!);
    if (exit || r.type !== 'execve') check(i, 'proc.name', e['proc.name'], r.comm);
    if (img) {
      check(i, 'proc.exe', e['proc.exe'], img.exe);
      check(i, 'proc.args', e['proc.args'], img.args.join(' '));
      if (img.cwd !== undefined) check(i, 'proc.cwd', String(e['proc.cwd']).replace(/(.)\/$/, '$1'), img.cwd);
    }

    // Results and arguments of exit events.
    if (exit && WITH_RESULT.has(r.type) && r.res !== undefined && r.res !== null && r.res < 2n ** 53n && r.res > -(2n ** 53n)) {
      check(i, 'evt.rawres', e['evt.rawres'], Number(r.res));
      results++;
    }
    const table = fdsOf(r.pid!);
    if (exit && OPENS.has(r.type)) {
      check(i, 'evt.arg.name', e['evt.arg.name'], r.path);
      check(i, 'evt.rawarg.flags', openFlags.get(i + 1), r.flags);
      if (r.res! >= 0n && r.path?.startsWith('/')) {
        // sysdig shows the path normalised (no trailing slash, no . or ..).
        table.set(r.res!, resolve(r.path));
        check(i, 'fd.name', e['fd.name'], resolve(r.path));
        fdNames++;
      }
    } else if (exit && r.type === 'connect' && r.res === 0n && r.dip) {
      const name = `${r.sip}:${r.sport}->${r.dip}:${r.dport}`;
      table.set(r.fd!, name);
      check(i, 'fd.name', e['fd.name'], name);
      check(i, 'fd.cip', e['fd.cip'], r.sip);
      check(i, 'fd.cport', e['fd.cport'], r.sport);
      check(i, 'fd.sip', e['fd.sip'], r.dip);
      check(i, 'fd.sport', e['fd.sport'], r.dport);
      fdNames++;
    } else if ((r.type === 'read' || r.type === 'write' || (r.type === 'close' && !exit)) && r.fd !== undefined && r.fd !== null && table.has(r.fd)) {
      check(i, 'fd.num', e['fd.num'], Number(r.fd));
      check(i, 'fd.name', e['fd.name'], table.get(r.fd));
      fdNames++;
    }
    if (!exit) continue;
    // The fd table as the trace implies it.
    if (r.type === 'close' && r.res === 0n) table.delete(r.fd!);
    else if ((r.type === 'dup2' || r.type === 'dup3') && r.res! >= 0n) {
      const name = table.get(r.fd!);
      if (name === undefined) table.delete(r.fd2!);
      else table.set(r.fd2!, name);
    } else if (r.type === 'dup' && r.res! >= 0n) {
      const name = table.get(r.fd!);
      if (name === undefined) table.delete(r.res!);
      else table.set(r.res!, name);
    } else if (r.type === 'fcntl' && r.res! >= 0n) table.delete(r.res!);
    else if (r.type === 'socket' && r.res! >= 0n) table.delete(r.res!);
  }
  return { mismatches, fdNames, results };
}
