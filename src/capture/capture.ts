import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { RECORD_TYPES } from '../trace/columns.js';
import type { DictionaryStore } from '../trace/batch-builder.js';
import type { TraceEvent } from '../trace/event.js';
import { createTraceWriter, type TraceWriter } from '../trace/writer.js';
import { UserError } from '../util/errors.js';
import { ioError, isErrnoException } from '../util/io-errors.js';
import type { CpuCounters, Hello } from './decode.js';
import { createColumnDecoder } from './decode-columns.js';
import { capturePrerequisiteProblem, helperFailure, startHelper } from './helper.js';
import { bootTimeNs, containerAccountRows, containerIdOfCgroup, pidInCgroup, takeSnapshot } from './snapshot.js';
import { selectSyscalls } from './syscalls.js';

/**
 * `tsfalco capture`: runs the helper, decodes its records into the trace with the trace writer,
 * writes snapshots at the start and periodically, capture statistics every second and at the
 * end, and stops on SIGINT/SIGTERM, the duration, the size limit, or the command's exit.
 */

export interface CaptureOptions {
  output: string;
  /** Stop after this long (ms). */
  durationMs?: number;
  /** `default`, `all`, or a list of syscall names (see selectSyscalls). */
  events?: string;
  /** Stop when the trace reaches this size (bytes). */
  maxSizeBytes?: number;
  /** Record only these processes and their descendants. */
  pids?: number[];
  /** Record only threads with this comm. */
  comm?: string;
  /** Record only processes of this container (id or prefix, matched against cgroup directories). */
  container?: string;
  /** With a command: record only its process tree. */
  onlyCommand?: boolean;
  /** Record the environment of new processes. */
  env?: boolean;
  /** Overwrite an existing output file. */
  force?: boolean;
  /** Command to run while capturing; the capture stops when it exits. */
  command?: string[];
  /** Ring buffer size in bytes (power of two, default 8 MiB). */
  bufferBytes?: number;
  /** Bytes of read/write/send/recv data recorded per event (0..256, default 0: none). */
  snaplen?: number;
  /** How often the snapshot is repeated (ms, default 60000). */
  snapshotIntervalMs?: number;
  /** Called about once a second while capturing. */
  onProgress?: (p: CaptureProgress) => void;
  /** Called once the kernel side is attached (before the command starts). */
  onReady?: () => void;
}

export interface CaptureProgress {
  elapsedMs: number;
  events: number;
  eventsPerSecond: number;
  drops: bigint;
  bytes: number;
}

export interface CaptureSummary {
  output: string;
  /** Syscall and process-exit rows written. */
  events: number;
  /** All rows written, snapshots and statistics included. */
  rows: number;
  /** What the kernel side counted (all cpus). */
  kernelEvents: bigint;
  drops: bigint;
  bytes: number;
  durationMs: number;
  snapshots: number;
  stopReason: 'signal' | 'duration' | 'max-size' | 'command' | 'helper' | 'write-error';
  /** The command's exit code (128 + signal when killed), when there was a command. */
  commandExitCode: number | null;
  /** Records from the helper per second of the Node process's CPU time (everything it did while capturing: decoding, writing, compressing, periodic snapshots and statistics). */
  decodeRecordsPerCpuSecond: number;
  /** CPU time of the Node process while capturing (from the end of the first snapshot to the end), ms. */
  nodeCpuMs: number;
  /** CPU time of the helper once attached (its loop: reading the ring buffer, writing the pipe), ms; null when unknown. */
  helperCpuMs: number | null;
}

const GATE_SCRIPT = 'read -r _ <&3 || exit 125; exec 3<&-; exec "$@"';

function parseSizeOrThrow(n: number | undefined, what: string): number | undefined {
  if (n === undefined) return undefined;
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${what} must be positive`);
  return n;
}

/** cgroup v2 ids (directory inode numbers) of every cgroup whose name holds the container id. */
export function containerCgroupIds(id: string): bigint[] {
  const ids: bigint[] = [];
  const walk = (dir: string, depth: number, inside: boolean) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      const match = inside || e.name.includes(id);
      if (match) {
        try {
          ids.push(statSync(path, { bigint: true }).ino);
        } catch {
          // gone
        }
      }
      if (depth < 8) walk(path, depth + 1, match);
    }
  };
  walk('/sys/fs/cgroup', 0, false);
  return ids;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 4096 && (n & (n - 1)) === 0;
}

export async function runCapture(o: CaptureOptions): Promise<CaptureSummary> {
  if (o.onlyCommand && !o.command?.length) throw new UserError('--only-command needs a command after "--"');
  const problem = capturePrerequisiteProblem();
  if (problem) throw new UserError(problem);
  const selection = selectSyscalls(o.events);
  parseSizeOrThrow(o.durationMs, '--duration');
  parseSizeOrThrow(o.maxSizeBytes, '--max-size');
  const bufferBytes = o.bufferBytes ?? 8 << 20;
  if (!isPowerOfTwo(bufferBytes)) throw new UserError('--buffer-size must be a power of two of at least 4096 bytes (e.g. 8M)');
  const snaplen = o.snaplen ?? 0;
  if (snaplen < 0 || snaplen > 256) throw new UserError('--snaplen must be between 0 and 256');
  let cgroupIds: bigint[] = [];
  if (o.container) {
    if (!/^[0-9a-f]{3,64}$/i.test(o.container)) throw new UserError(`--container ${o.container}: expected a container id (hex digits)`);
    cgroupIds = containerCgroupIds(o.container.toLowerCase());
    if (cgroupIds.length === 0) throw new UserError(`--container ${o.container}: no cgroup under /sys/fs/cgroup holds this container id`);
  }

  const boot = bootTimeNs();
  const settings = {
    events: selection.description,
    syscalls: [...selection.names.values()].sort(),
    buffer_bytes: bufferBytes,
    snaplen,
    env: !!o.env,
    pids: o.pids ?? [],
    comm: o.comm ?? null,
    container: o.container ?? null,
    only_command: !!o.onlyCommand,
    command: o.command ?? null,
    duration_ms: o.durationMs ?? null,
    max_size_bytes: o.maxSizeBytes ?? null,
  };
  // Replacing a file means a new one: created 0600 like any trace, not the old file's mode.
  if (o.force) rmSync(o.output, { force: true });
  let writer: TraceWriter;
  try {
    writer = createTraceWriter(o.output, { source: 'capture', bootTimeNs: boot, capture: settings }, {
      overwrite: !!o.force,
      maxBytes: o.maxSizeBytes,
      // Under a size limit, batches small against it: the batch that would cross it is left out whole.
      batchRows: o.maxSizeBytes !== undefined ? Math.max(256, Math.min(16384, Math.floor(o.maxSizeBytes / 256))) : undefined,
    });
  } catch (err) {
    // Created but its header could not be written (a full disk): leave no empty trace behind.
    if (!isErrnoException(err)) throw err;
    rmSync(o.output, { force: true });
    throw new UserError(`${ioError(err, o.output, 'write failed').message} (no trace was left)`);
  }
  // The first write error (a full disk, a quota): the capture stops, the trace keeps every batch
  // written before it (see writeFailure).
  let writeError: NodeJS.ErrnoException | null = null;
  const closeWriter = () => {
    try {
      writer.close();
    } catch (err) {
      if (!isErrnoException(err)) throw err;
      writeError ??= err;
    }
  };

  let gate: ChildProcess | undefined;
  let commandExitCode: number | null = null;
  let commandDone: Promise<void> = Promise.resolve();
  if (o.command?.length) {
    gate = spawn('/bin/sh', ['-c', GATE_SCRIPT, 'tsfalco-gate', ...o.command], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
    commandDone = new Promise((resolve) => {
      gate!.on('exit', (code, signal) => {
        commandExitCode = code ?? 128 + (signal ? osSignal(signal) : 0);
        resolve();
      });
      gate!.on('error', () => {
        commandExitCode = 127;
        resolve();
      });
    });
  }

  const follow = [...(o.pids ?? [])];
  if (o.onlyCommand && gate?.pid) follow.push(gate.pid);
  const helper = startHelper({
    syscalls: selection.helperArg,
    ringbufBytes: bufferBytes,
    follow,
    exclude: [process.pid],
    comm: o.comm,
    cgroupIds,
    env: !!o.env,
    snaplen,
  });

  const started = Date.now();
  const counter = { num: 0 }; // evt.num of every row, the decoder's and ours
  let snapshots = 0;
  let hello: Hello | null = null;
  let lastStats: CpuCounters[] = [];
  let stopReason: CaptureSummary['stopReason'] = 'signal';
  let stopping = false;
  let helperStderr = '';
  let streamError: Error | null = null;
  let cpuStart: NodeJS.CpuUsage | null = null;
  let helperCpuMs: number | null = null;
  let helperCpuStart: number | null = null;
  // tsfalco and its helper stay in the snapshots (they are the parents of a recorded command);
  // only their syscalls are left out, in the kernel.
  const skipPids = new Set<number>();

  const append = (e: TraceEvent) => {
    e.num = BigInt(++counter.num);
    writer.append(e);
  };
  // Each container's own users and groups: in every snapshot for the containers it finds, and for
  // a container first seen in a record's cgroup (new to the trace's cgroup dictionary) at the next
  // tick, read through /proc/PID/root of a process still in it.
  const accountsRecorded = new Set<string>();
  const newContainerCgroups = new Map<string, string>();
  const cgroupStore = writer.stores.cgroup as DictionaryStore;
  const intern = cgroupStore.intern;
  cgroupStore.intern = (text: string) => {
    const id = containerIdOfCgroup(text);
    if (id !== undefined && !accountsRecorded.has(id) && !newContainerCgroups.has(id)) newContainerCgroups.set(id, text);
    return intern(text);
  };
  const recordNewContainers = () => {
    for (const [id, cgroup] of newContainerCgroups) {
      newContainerCgroups.delete(id);
      if (accountsRecorded.has(id)) continue;
      const pid = pidInCgroup(cgroup);
      if (pid === undefined) continue; // gone already: its names stay unknown
      accountsRecorded.add(id);
      const ts = BigInt(Date.now()) * 1_000_000n;
      for (const row of containerAccountRows(id, pid, ts)) append(row);
    }
  };
  const snapshot = () => {
    writer.flush(); // a snapshot starts a batch of its own, so a reader can start there
    const ts = BigInt(Date.now()) * 1_000_000n;
    for (const row of takeSnapshot(ts, { skipPids, bootNs: boot, accountsRecorded })) append(row);
    snapshots++;
  };
  const writeStats = (perCpu: CpuCounters[], ts: bigint) => {
    let events = 0n;
    let drops = 0n;
    perCpu.forEach((c, cpu) => {
      events += c.events;
      drops += c.drops;
      append({ ts, num: 0n, type: RECORD_TYPES.captureStats, cpu, n_events: c.events, n_drops: c.drops });
    });
    append({ ts, num: 0n, type: RECORD_TYPES.captureStats, cpu: -1, n_events: events, n_drops: drops });
  };

  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  // Syscall and process-exit records go straight into the writer's columns.
  const decoder = createColumnDecoder(selection.names, writer, counter, {
    hello(h) {
      hello = h;
      helperCpuStart = processCpuMs(h.helperPid);
      snapshot();
      cpuStart = process.cpuUsage(); // per-record cost: from here on
      readyResolve();
    },
    stats(perCpu, ts) {
      lastStats = perCpu;
      writeStats(perCpu, ts);
    },
  });

  helper.stdout!.on('data', (chunk: Buffer) => {
    if (streamError || writeError) return;
    try {
      decoder.push(chunk);
    } catch (err) {
      if (isErrnoException(err)) {
        writeError = err;
        stop('write-error');
        return;
      }
      streamError = err as Error;
      helper.kill('SIGTERM');
    }
    if (writer.full) stop('max-size');
  });
  helper.stderr!.on('data', (chunk: Buffer) => {
    if (helperStderr.length < 65536) helperStderr += chunk.toString('utf8');
    if (process.env.TSFALCO_DEBUG) process.stderr.write(chunk);
  });
  const helperDone = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let ended = false;
    const done = () => exit && ended && resolve(exit);
    helper.on('exit', (code, signal) => {
      exit = { code, signal };
      done();
    });
    helper.on('error', (err) => {
      helperStderr += err.message;
      exit = { code: 5, signal: null };
      ended = true;
      done();
    });
    helper.stdout!.on('end', () => {
      ended = true;
      done();
    });
  });

  const stop = (reason: CaptureSummary['stopReason']) => {
    if (stopping) return;
    stopping = true;
    stopReason = reason;
    const helperCpu = processCpuMs(helper.pid);
    helperCpuMs = helperCpu !== null && helperCpuStart !== null ? helperCpu - helperCpuStart : null;
    helper.kill('SIGTERM');
  };
  const onSignal = (sig: NodeJS.Signals) => {
    stop('signal');
    // A command still running gets the signal too, so that it does not outlive the capture.
    if (gate && commandExitCode === null) gate.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let timer: NodeJS.Timeout | undefined;
  let lastSnapshot = Date.now();
  let lastEvents = 0;
  let lastTick = Date.now();
  try {
    const first = await Promise.race([ready.then(() => 'ready' as const), helperDone.then(() => 'exited' as const)]);
    if (first === 'exited' || !hello) {
      const { code, signal } = await helperDone;
      closeWriter();
      rmSync(o.output, { force: true });
      if (gate && commandExitCode === null) gate.kill('SIGKILL');
      if (writeError) throw new UserError(`${ioError(writeError, o.output, 'write failed').message} (no trace was left)`);
      if (streamError) throw new UserError(`capture helper stream: ${(streamError as Error).message}`);
      throw helperFailure(code, helperStderr, signal);
    }
    o.onReady?.();
    if (gate) {
      const fd3 = gate.stdio[3] as NodeJS.WritableStream | null;
      fd3?.write('go\n');
      fd3?.end();
      void commandDone.then(() => stop('command'));
    }
    timer = setInterval(() => {
      if (writeError) return;
      const now = Date.now();
      try {
        if (newContainerCgroups.size > 0) recordNewContainers();
        writer.flush();
        if (o.durationMs !== undefined && now - started >= o.durationMs) stop('duration');
        if (o.maxSizeBytes !== undefined && (writer.full || writer.bytesWritten >= o.maxSizeBytes)) stop('max-size');
        if (!stopping && now - lastSnapshot >= (o.snapshotIntervalMs ?? 60_000)) {
          lastSnapshot = now;
          snapshot();
        }
      } catch (err) {
        if (!isErrnoException(err)) throw err;
        writeError = err;
        stop('write-error');
        return;
      }
      const drops = lastStats.reduce((s, c) => s + c.drops, 0n);
      const dt = (now - lastTick) / 1000;
      const events = decoder.events;
      o.onProgress?.({ elapsedMs: now - started, events, eventsPerSecond: dt > 0 ? (events - lastEvents) / dt : 0, drops, bytes: writer.bytesWritten });
      lastEvents = events;
      lastTick = now;
    }, Math.min(1000, o.durationMs ?? 1000));
    if (o.durationMs !== undefined && o.durationMs < 1000) setTimeout(() => stop('duration'), o.durationMs).unref();

    const result = await helperDone;
    if (!stopping) stopReason = 'helper';
    clearInterval(timer);
    closeWriter();
    if (gate && commandExitCode === null) {
      if ((stopReason as string) !== 'command') gate.kill('SIGTERM');
      await commandDone;
    }
    if (writeError) throw writeFailure(writeError, o.output, writer.batchesWritten);
    if (streamError) throw new UserError(`capture helper stream: ${(streamError as Error).message} (the trace holds everything before it)`);
    if (stopReason === 'helper' && result.code !== 0) throw helperFailure(result.code, helperStderr, result.signal);
    const cpu = cpuStart ? process.cpuUsage(cpuStart) : { user: 0, system: 0 };
    const nodeCpuMs = (cpu.user + cpu.system) / 1000;
    const kernelEvents = lastStats.reduce((s, c) => s + c.events, 0n);
    const drops = lastStats.reduce((s, c) => s + c.drops, 0n);
    return {
      output: o.output,
      events: decoder.events,
      rows: counter.num,
      kernelEvents,
      drops,
      bytes: writer.bytesWritten,
      durationMs: Date.now() - started,
      snapshots,
      stopReason,
      commandExitCode,
      decodeRecordsPerCpuSecond: nodeCpuMs > 0 ? Math.round((decoder.records * 1000) / nodeCpuMs) : 0,
      nodeCpuMs,
      helperCpuMs,
    };
  } finally {
    if (timer) clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGKILL');
    try {
      writer.close();
    } catch (err) {
      // Reported already (the first write error is the one that counts), or after another error.
      if (!isErrnoException(err)) throw err;
    }
  }
}

/**
 * The capture could not write: where the partial trace is (tsfalco reads it as it is; `trace
 * repair` adds the footer other Arrow readers need), or, when no batch of events reached the
 * file, that none was left.
 */
function writeFailure(err: NodeJS.ErrnoException, output: string, batches: number): UserError {
  const what = ioError(err, output, 'write failed').message;
  if (batches === 0) {
    rmSync(output, { force: true });
    return new UserError(`${what} (no trace was left)`);
  }
  return new UserError(`${what}; the partial trace ${output} holds the ${batches} batch(es) written before it (once there is room, "tsfalco trace repair ${output}" finishes it for other Arrow readers)`);
}

/** user + system CPU time of a process from /proc/PID/stat, ms (null when it cannot be read). */
function processCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

function osSignal(name: NodeJS.Signals): number {
  return constants.signals[name] ?? 0;
}
