import { resolve } from 'node:path';
import { EVENT_TABLE } from '../../src/scap/event-table.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { paramsOf } from '../../src/trace/event-params.js';
import type { SysdigEvent } from './sysdig.js';

/**
 * Compares sysdig's view of a .scap file written from a trace with the trace itself, event by
 * event: `written` says which row (and which half) each event of the file comes from. The expected
 * values come from the rows and the state they imply (what a process runs after exec, which file
 * an fd names after open, dup, close, fork), never from the writer.
 */

/** Syscalls the libscap of sysdig 0.29 records under another event's name. */
export const OLD_NAME: Record<string, string> = {
  dup2: 'dup', dup3: 'dup', pipe2: 'pipe', umount2: 'umount', accept4: 'accept', eventfd2: 'eventfd', signalfd4: 'signalfd', inotify_init1: 'inotify_init', prlimit64: 'prlimit',
};
/** … and how sysdig 0.29 names them (syscall code 298, rt_sigreturn now, was sigreturn). */
const SYSDIG_029_NAME: Record<string, string> = { ...OLD_NAME, rt_sigreturn: 'sigreturn' };
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
export function compareWithSysdig(rows: readonly TraceEvent[], written: readonly (readonly [bigint, '>' | '<', ...unknown[]])[], sysdig: readonly SysdigEvent[], openFlags: ReadonlyMap<number, number>): Comparison {
  const byNum = new Map(rows.map((r) => [r.num, r]));
  // What the trace says each process runs and which file each fd names, as of each row.
  const image = new Map<number, { comm: string; exe: string; args: readonly string[]; cwd: string | undefined }>();
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
    check(i, 'evt.type', e['evt.type'], SYSDIG_029_NAME[r.type] ?? r.type);
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

/** The columns an event layout carries for a trace type: its parameters' columns in event-params. */
function eventColumns(type: string, code: number): ReadonlySet<string> {
  const out = new Set<string>();
  const params = paramsOf(type);
  for (const p of EVENT_TABLE[code].params) {
    const m = params.find((q) => q.name === p.name);
    if (!m || m.col === 'extra') continue;
    if (m.col === 'tuple') for (const c of ['sip', 'sport', 'dip', 'dport']) out.add(c);
    else if (m.col === 'addr') for (const c of ['dip', 'dport']) out.add(c);
    else out.add(m.col);
  }
  return out;
}

/** What the process list of each target carries of a snapshot_proc row. */
const PROC_COLUMNS = ['pid', 'ppid', 'comm', 'exe', 'exepath', 'args', 'cwd', 'euid', 'egid', 'loginuid', 'vtid', 'vpid', 'sid', 'pgid', 'cgroup', 'cap_inheritable', 'cap_permitted', 'cap_effective'] as const;
const PROC_COLUMNS_LATEST = ['tty', 'exe_flags', 'exe_ino', 'exe_ctime', 'exe_mtime'] as const;
const FD_TYPES_OLD: Record<string, string> = { bpf: 'unknown', userfaultfd: 'unknown', io_uring: 'unknown', pidfd: 'unknown', memfd: 'file' };

/**
 * libscap refuses process-list strings longer than these and fd names of 1024 bytes or more (a
 * command line counts its NULs): a longer value is written cut, so only its start can come back.
 */
const SCAP_LIMITS: Record<string, number> = { comm: 1024, exe: 1024, exepath: 1024, cwd: 1024, path: 1023, args: 4096 };

/** True when `want` is longer than `limit` and `got` is its start, cut no more than a character short of the limit. */
function keptByScap(want: unknown, got: unknown, limit: number): boolean {
  const joined = (v: unknown) => (Array.isArray(v) ? v.map((s) => `${s}\0`).join('') : typeof v === 'string' ? v : null);
  const w = joined(want);
  const g = joined(got);
  if (w === null || g === null || Buffer.byteLength(w) <= limit) return false;
  const kept = Array.isArray(want) ? g.replace(/\0$/, '') : g;
  const bytes = Buffer.byteLength(g);
  return w.startsWith(kept) && bytes <= limit && bytes > limit - 5;
}

const text = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));

/**
 * Compares a trace with what our .scap reader reads back from the .scap file written from it:
 * every snapshot row and every event, on the columns the scap format carries (an event's columns
 * are those its layout's parameters map to in src/trace/event-params.ts; the header carries ts,
 * tid and cpu, not the process columns). Columns the trace leaves null are not compared (the
 * format has no null: the writer writes zero or empty).
 */
export function compareRoundTrip(
  orig: readonly TraceEvent[],
  written: readonly (readonly [bigint, '>' | '<', number])[],
  back: readonly TraceEvent[],
  target: 'sysdig-0.29' | 'latest',
): Comparison {
  const mismatches: string[] = [];
  const check = (where: string, col: string, want: unknown, got: unknown) => {
    if (want === undefined || want === null) return;
    const limit = SCAP_LIMITS[col];
    if (limit !== undefined && keptByScap(want, got, limit)) return;
    if (text(want) !== text(got)) mismatches.push(`${where}: ${col}: trace ${text(want)}, read back ${text(got)}`);
  };
  // Snapshot rows.
  const backProcs = new Map(back.filter((e) => e.type === 'snapshot_proc').map((e) => [e.tid, e]));
  const backFds = new Map(back.filter((e) => e.type === 'snapshot_fd').map((e) => [`${e.pid}/${e.fd}`, e]));
  const backUsers = new Map(back.filter((e) => e.type === 'snapshot_user').map((e) => [`${e.uid}/${e.name}`, e]));
  const backGroups = new Map(back.filter((e) => e.type === 'snapshot_group').map((e) => [`${e.gid}/${e.name}`, e]));
  const firstSnapshot = orig.slice(0, orig.findIndex((e) => e.type === 'snapshot_end') + 1);
  for (const o of firstSnapshot) {
    if (o.type === 'snapshot_proc') {
      const r = backProcs.get(o.tid);
      if (!r) mismatches.push(`snapshot_proc ${o.tid}: missing`);
      else for (const c of target === 'latest' ? [...PROC_COLUMNS, ...PROC_COLUMNS_LATEST] : PROC_COLUMNS) check(`snapshot_proc ${o.tid}`, c, o[c], r[c]);
      if (r && target !== 'latest') check(`snapshot_proc ${o.tid}`, 'exe_flags & writable', (o.exe_flags ?? 0) & 1, (r.exe_flags ?? 0) & 1);
    } else if (o.type === 'snapshot_fd') {
      const where = `snapshot_fd ${o.pid}/${o.fd}`;
      const r = backFds.get(`${o.pid}/${o.fd}`);
      if (!r) {
        mismatches.push(`${where}: missing`);
        continue;
      }
      const type = target === 'latest' ? o.fd_type : (FD_TYPES_OLD[o.fd_type ?? ''] ?? o.fd_type);
      check(where, 'fd_type', type, r.fd_type);
      check(where, 'path', o.path ?? '', r.path ?? '');
      if (type === 'file') for (const c of ['flags', 'dev', 'ino'] as const) check(where, c, o[c], r[c]);
      // A listening socket (no peer) is a server socket in scap: only its own address.
      const listening = !o.sport && (o.sip === '0.0.0.0' || o.sip === '::' || !o.sip);
      if (type === 'ipv4' || type === 'ipv6') for (const c of listening ? (['dip', 'dport'] as const) : (['sip', 'sport', 'dip', 'dport'] as const)) check(where, c, o[c], r[c]);
    } else if (o.type === 'snapshot_user') {
      const r = backUsers.get(`${o.uid}/${o.name}`);
      if (!r) mismatches.push(`snapshot_user ${o.name}: missing`);
      else for (const c of ['gid', 'path', 'path2'] as const) check(`snapshot_user ${o.name}`, c, o[c], r[c]);
    } else if (o.type === 'snapshot_group') {
      if (!backGroups.has(`${o.gid}/${o.name}`)) mismatches.push(`snapshot_group ${o.name}: missing`);
    }
  }
  // Events, in file order.
  const byNum = new Map(orig.map((r) => [r.num, r]));
  const events = back.filter((e) => !e.type.startsWith('snapshot_'));
  if (events.length !== written.length) mismatches.push(`${written.length} events written, ${events.length} read back`);
  let results = 0;
  for (let i = 0; i < Math.min(events.length, written.length); i++) {
    const [num, dir, code] = written[i];
    const o = byNum.get(num)!;
    const r = events[i];
    const where = `event ${i + 1} (${o.type} ${dir}, row ${num})`;
    check(where, 'dir', dir, r.dir);
    check(where, 'tid', o.tid, r.tid);
    check(where, 'cpu', o.cpu, r.cpu);
    // An enter half happened `latency` before the exit (a syscall recorded at entry: at its time).
    check(where, 'ts', dir === '>' && o.latency != null && o.res != null ? o.ts - o.latency : o.ts, r.ts);
    if (dir === '<') check(where, 'type', target === 'latest' ? o.type : (OLD_NAME[o.type] ?? o.type), r.type);
    const columns = eventColumns(o.type, code);
    if (columns.has('res') && o.res !== null && o.res !== undefined) results++;
    for (const c of columns) check(where, c, o[c as keyof TraceEvent], r[c as keyof TraceEvent]);
  }
  return { mismatches, fdNames: 0, results };
}
