import { unlinkSync } from 'node:fs';
import { isRecordType, RECORD_TYPES } from '../trace/columns.js';
import type { TraceFile } from '../trace/reader.js';
import { openTrace } from '../trace/reader.js';
import { UserError } from '../util/errors.js';
import { ioError } from '../util/io-errors.js';
import { ByteBuilder, ByteSink } from './byte-sink.js';
import { type EventContext, MAX_EVENT_BLOCK, type ProcView, planFor, writeEventBlock } from './event-writer.js';
import { fdLists, interfaceList, machineInfo, processList, sectionHeader, Snapshot, userList } from './metadata-blocks.js';
import { RowCursor } from './row-cursor.js';
import { GENERIC_E, type ScapTarget, targetProfile } from './targets.js';

/**
 * Writes a trace as a .scap capture file: the first snapshot becomes the metadata blocks
 * (machine, network interfaces, users and groups, processes, their fds), then each row becomes
 * events. A completed
 * syscall row of our capture (dir `<`, enter and exit arguments together) becomes an enter event
 * at `ts - latency` followed by its exit event at `ts`, each with the parameters of its event
 * layout, as a live driver would have sent them; rows of a trace read from a .scap (enter and exit
 * as rows of their own) become one event each. The two events of a syscall are written next to
 * each other, so a blocking syscall's enter event appears after events that happened while it
 * waited (timestamps are not monotonic across threads); libsinsp pairs enter and exit per thread.
 *
 * Streaming: one record batch at a time, output flushed every few MiB; what is kept is one entry
 * per live process (for the clone parameters a driver reads from the task) and the first snapshot.
 */

export interface ScapWriteOptions {
  /** The libscap the file is for (see targets.ts); default `sysdig-0.29`, which current libs reads too. */
  target?: ScapTarget;
  /** gzip the output (libscap reads gzip files transparently). Default: when the path ends in .gz. */
  gzip?: boolean;
  /** Replace the output if it exists (default: refuse). */
  overwrite?: boolean;
  /** Called after each record batch with the bytes of the trace read so far and its size. */
  onProgress?: (done: number, total: number) => void;
  /** Called for each event written, in file order: the trace row (`num`) it comes from, its direction and event code. */
  onEvent?: (num: bigint, dir: '>' | '<', code: number) => void;
}

export interface ScapWriteSummary {
  input: string;
  output: string;
  target: ScapTarget;
  gzip: boolean;
  /** Rows of the trace read (all kinds). */
  rows: number;
  /** Event blocks written. */
  events: number;
  /** Syscall rows written (as one or two events). */
  syscalls: number;
  /** Rows of event types the target cannot represent, by type. */
  skipped: Record<string, number>;
  threads: number;
  /** Open fds written (fd list entries). */
  fds: number;
  fdProcesses: number;
  users: number;
  groups: number;
  /** Bytes written to the file. */
  bytes: number;
}

const CLONE_TYPES = new Set(['clone', 'clone3', 'fork', 'vfork']);
const EXEC_TYPES = new Set(['execve', 'execveat']);

/** What the writer reads: a trace (.arrow) or any source with the same record batches (a .scap). */
export type ScapWriterSource = Pick<TraceFile, 'path' | 'size' | 'metadata' | 'batches' | 'position' | 'close'>;

/** Converts `input` (.arrow trace) to `output` (.scap, or .scap.gz). */
export function writeScap(input: string, output: string, options: ScapWriteOptions = {}): ScapWriteSummary {
  const trace = openTrace(input);
  try {
    return writeScapFrom(trace, output, options);
  } finally {
    trace.close();
  }
}

/** Writes the rows of an opened source as a .scap file (the caller closes the source). */
export function writeScapFrom(trace: ScapWriterSource, output: string, options: ScapWriteOptions = {}): ScapWriteSummary {
  const input = trace.path;
  const target = options.target ?? 'sysdig-0.29';
  const profile = targetProfile(target);
  const gzip = options.gzip ?? /\.gz$/i.test(output);
  let sink: ByteSink;
  try {
    sink = new ByteSink(output, gzip, options.overwrite ?? false);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UserError(`${output}: already exists (use --force to overwrite it)`);
    throw ioError(err, output, 'cannot create');
  }
  const summary: ScapWriteSummary = { input, output, target, gzip, rows: 0, events: 0, syscalls: 0, skipped: {}, threads: 0, fds: 0, fdProcesses: 0, users: 0, groups: 0, bytes: 0 };
  const fromScap = trace.metadata.source.startsWith('scap:');
  const procs = new Map<number, ProcView>();
  const cur = new RowCursor();
  const ctx: EventContext = { cur, proc: undefined };

  // The first snapshot, while it is being read; null once the metadata blocks are written.
  let snapshot: Snapshot | null = null;
  let headerWritten = false;
  const writeHeader = () => {
    const b = new ByteBuilder();
    sectionHeader(b);
    machineInfo(b, snapshot, trace.metadata.host, trace.metadata.bootTimeNs ?? 0n);
    if (snapshot) {
      interfaceList(b, snapshot);
      userList(b, snapshot);
      processList(b, snapshot, profile);
      fdLists(b, snapshot, profile);
      summary.threads = snapshot.threads.length;
      summary.fdProcesses = snapshot.fds.size;
      for (const list of snapshot.fds.values()) summary.fds += list.length;
      summary.users = snapshot.users.length;
      summary.groups = snapshot.groups.length;
      for (const t of snapshot.threads) procs.set(t.tid, t);
    }
    sink.reserve(b.pos);
    sink.bytes(b.bytesView);
    headerWritten = true;
    snapshot = null;
  };

  const generic: [number, number] = [0, 0];
  const onEvent = options.onEvent;
  const event = (code: number, ts: bigint, tid: number, cpu: number, type: string, isGeneric: boolean) => {
    sink.reserve(MAX_EVENT_BLOCK);
    writeEventBlock(sink, planFor(type, code), ts, tid, cpu, ctx, isGeneric ? generic : null, fromScap);
    summary.events++;
    onEvent?.(cur.big('num') ?? 0n, (code & 1) === 0 ? '>' : '<', code);
  };

  try {
    for (const batch of trace.batches()) {
      cur.setBatch(batch);
      const n = batch.numRows;
      for (let row = 0; row < n; row++) {
        cur.row = row;
        summary.rows++;
        const type = cur.str('type') ?? '';
        if (isRecordType(type)) {
          if (headerWritten) continue; // later snapshots: the events already tell what changed
          if (type === RECORD_TYPES.snapshotMachine && !snapshot) snapshot = new Snapshot();
          if (!snapshot) continue;
          snapshot.add(type, cur);
          if (type === RECORD_TYPES.snapshotEnd) writeHeader();
          continue;
        }
        if (!headerWritten) writeHeader();

        let choice = profile.choose(type);
        // A row read from a generic syscall event (it kept the native syscall number) is written
        // as one again: its layout has no result or arguments to fill.
        if (fromScap && choice.kind === 'pair' && cur.map('extra')?.nativeID !== undefined) {
          const g = profile.genericOf(type);
          if (g.kind === 'generic') choice = g;
        }
        if (choice.kind === 'none') {
          summary.skipped[type] = (summary.skipped[type] ?? 0) + 1;
          continue;
        }
        const tid = cur.int('tid') ?? 0;
        const cpu = Math.max(0, cur.int('cpu') ?? 0);
        const ts = cur.big('ts') ?? 0n;
        const res = cur.big('res');
        const dir = cur.str('dir');
        // The child's return from clone runs the parent's image (its own row may come first).
        ctx.proc = procs.get(tid) ?? (CLONE_TYPES.has(type) && res === 0n ? procs.get(cur.int('ppid') ?? -1) : undefined);

        let enterCode: number | null;
        let exitCode: number | null;
        let isGeneric = false;
        if (choice.kind === 'generic') {
          enterCode = GENERIC_E;
          exitCode = GENERIC_E + 1;
          isGeneric = true;
          generic[0] = choice.ppmSc;
          // The native syscall number, when the row kept it (a trace read from a .scap).
          const native = cur.map('extra')?.nativeID;
          generic[1] = native && /^\d+$/.test(native) ? Number(native) : 0;
        } else {
          enterCode = choice.enter;
          exitCode = choice.exit;
          // A successful execveat returns in the new image as execve does: the drivers send its
          // enter event and execve's exit event (falcosecurity/libs#552), and libsinsp parses
          // only that (sysdig 0.29's libsinsp crashes on an execveat exit of AT_EMPTY_PATH).
          if (type === 'execveat' && !fromScap && res !== null && res >= 0n) {
            const execve = profile.choose('execve');
            if (execve.kind === 'pair' && execve.exit !== null) exitCode = execve.exit;
          }
        }
        // Which halves this row stands for.
        let withEnter: boolean;
        let withExit: boolean;
        if (dir === '>') [withEnter, withExit] = [true, false];
        else if (fromScap) [withEnter, withExit] = [false, true];
        else {
          // A syscall that never returns (exit, exit_group) or a one-event type (procexit):
          // recorded at entry. The child's return from clone has no enter half.
          const child = CLONE_TYPES.has(type) && res === 0n;
          withEnter = !child;
          withExit = res !== null && exitCode !== null;
        }
        if (exitCode === null) withExit = false;
        if (enterCode === null) withEnter = false;
        if (!withEnter && !withExit) {
          // Only the half the target has no layout for.
          summary.skipped[type] = (summary.skipped[type] ?? 0) + 1;
          continue;
        }
        summary.syscalls++;
        if (withEnter) {
          const latency = cur.big('latency');
          event(enterCode!, withExit && latency !== null ? ts - latency : ts, tid, cpu, type, isGeneric);
        }
        if (withExit) event(exitCode!, ts, tid, cpu, type, isGeneric);
        trackProcess(type, res, cur, procs, tid);
        sink.maybeFlush();
      }
      options.onProgress?.(trace.position(), trace.size);
    }
    if (!headerWritten) writeHeader();
    sink.close();
  } catch (err) {
    if (err instanceof UserError) {
      // The input is damaged: keep what was converted before the damage, as a complete file.
      try {
        if (!headerWritten) writeHeader();
        sink.close();
      } catch {
        // nothing more can be saved
      }
      throw new UserError(`${err.message}; ${output} holds the ${summary.events} events before it`);
    }
    sink.abandon();
    try {
      unlinkSync(output);
    } catch {
      // already gone
    }
    throw err;
  }
  summary.bytes = sink.written;
  return summary;
}

/** Keeps each thread's image and cwd, which a driver reads from the task for clone events. */
function trackProcess(type: string, res: bigint | null, cur: RowCursor, procs: Map<number, ProcView>, tid: number): void {
  if (type === 'procexit') {
    procs.delete(tid);
    return;
  }
  if (EXEC_TYPES.has(type)) {
    if (res !== 0n) return;
    procs.set(tid, {
      comm: cur.str('comm') ?? '',
      exe: cur.str('exe') ?? '',
      exepath: cur.str('exepath') ?? '',
      args: cur.list('args') ?? [],
      cwd: cur.str('cwd') ?? procs.get(tid)?.cwd ?? '',
      env: cur.list('env') ?? procs.get(tid)?.env ?? [],
      cgroup: cur.str('cgroup') ?? procs.get(tid)?.cgroup ?? '',
    });
    return;
  }
  if (CLONE_TYPES.has(type) && res !== null) {
    if (res > 0n) {
      const parent = procs.get(tid);
      if (parent && !procs.has(Number(res))) procs.set(Number(res), parent);
    } else if (res === 0n && !procs.has(tid)) {
      const parent = procs.get(cur.int('ppid') ?? -1);
      if (parent) procs.set(tid, parent);
    }
    return;
  }
  if (type === 'chdir' && res === 0n) {
    const p = procs.get(tid);
    const path = cur.str('path');
    if (p && path) procs.set(tid, { ...p, cwd: path.startsWith('/') ? path : `${p.cwd.replace(/\/$/, '')}/${path}` });
  }
}
