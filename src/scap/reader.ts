import { basename } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { createBatchBuilder } from '../trace/batch-builder.js';
import { RECORD_TYPES } from '../trace/columns.js';
import type { TraceEvent } from '../trace/event.js';
import type { TraceEnding, TraceFile } from '../trace/reader.js';
import { FORMAT_VERSION, type TraceMetadata, traceSchema } from '../trace/schema.js';
import { UserError } from '../util/errors.js';
import { TSFALCO_VERSION } from '../util/version.js';
import { BLOCK, BlockReader, eventBlockKind, isStateBlock, procListVersion, readSectionHeader, type SectionHeader } from './blocks.js';
import { ScapFormatError, ScapInput } from './input.js';
import { containerRow, isContainerEvent } from './containers.js';
import { ScapEvent } from './scap-event.js';
import {
  type MachineInfo,
  machineRow,
  type PendingSocket,
  readFdList,
  readInterfaces,
  readMachineInfo,
  readProcList,
  readUserList,
  settleSockets,
  type StateRow,
} from './state-blocks.js';
import { ColumnMapper } from './to-columns.js';
import { EventMapper } from './to-events.js';

/**
 * A .scap file as a trace source: the same lazy record batches a .arrow trace yields, built on
 * the fly. The state blocks before the events (machine, processes, fds, users, groups) become a
 * snapshot (snapshot_machine … snapshot_end) ahead of the first event; state blocks met later
 * (a file with several sections) become another snapshot, in a batch of its own.
 *
 * Event rows are numbered as libsinsp numbers events (evt.num: position among the file's events
 * of known types); snapshot rows carry num 0.
 */

export interface ScapStats {
  /** Events turned into event rows. */
  events: number;
  /** Container events, turned into snapshot_container rows. */
  containerEvents: number;
  /** Events skipped because their code is unknown to this reader's event table. */
  unknownEvents: number;
  /** Blocks skipped because their type is unknown. */
  unknownBlocks: number;
  /** Section header blocks seen. */
  sections: number;
  /** Decompressed bytes read. */
  bytes: number;
}

/** Marks where a new record batch must start in `rows()`. */
export const BATCH_BREAK = Symbol('batch break');

export interface ScapSource extends Pick<TraceFile, 'path' | 'size' | 'metadata' | 'batches' | 'ending' | 'position' | 'close'> {
  readonly compressed: boolean;
  /** The rows one by one (instead of `batches()`; a source is read once, one way or the other). */
  rows(): Generator<TraceEvent | typeof BATCH_BREAK>;
  stats(): ScapStats;
}

export const SCAP_BATCH_ROWS = 16384;

/** State collected from state blocks until the events they describe start. */
class PendingSnapshot {
  machine: MachineInfo | null;
  interfaces: string[] = [];
  rows: StateRow[] = [];
  sockets: PendingSocket[] = [];
  /** Where the row of a thread, user or group is in `rows`: a later entry for it replaces it. */
  private readonly at = new Map<string, number>();
  listening = new Set<string>();
  pidOfTid = new Map<number, number>();

  constructor(machine: MachineInfo | null) {
    this.machine = machine;
  }

  /**
   * Adds a state row; one for a thread (tid), user (uid) or group (gid) already there replaces
   * it, as libscap's tables do. Besides being right, this bounds the snapshot by the distinct
   * entities of the file, not by its byte count: a list block of zeros (a few KB of .scap.gz
   * for tens of MB) is one entry, not millions.
   */
  put(row: StateRow, key: string): void {
    const i = this.at.get(key);
    if (i === undefined) {
      this.at.set(key, this.rows.length);
      this.rows.push(row);
    } else this.rows[i] = row;
  }

  /** The snapshot's rows in order, machine first and end last, stamped with `ts`. */
  finish(ts: bigint): TraceEvent[] {
    const out: TraceEvent[] = [];
    const add = (row: StateRow) => {
      row.ts = ts;
      row.num = 0n;
      out.push(row as TraceEvent);
    };
    add(machineRow(this.machine, this.interfaces));
    for (const row of this.rows) add(row);
    settleSockets(this.sockets, this.listening, add);
    add({ type: RECORD_TYPES.snapshotEnd });
    return out;
  }
}

function describe(path: string, input: ScapInput, err: ScapFormatError, events: number): string {
  const where = input.gzip ? `at byte ${err.offset} of the decompressed stream` : `at byte ${err.offset}`;
  return `${path}: damaged .scap data ${where}: ${err.detail} (${events} events were read before it)`;
}

/** Decoding errors other than ours (a bounds check we missed) still become one clear message. */
function asFormatError(err: unknown, offset: number): ScapFormatError | null {
  if (err instanceof ScapFormatError) return err;
  if (err instanceof RangeError || err instanceof TypeError) return new ScapFormatError(`cannot decode the block (${err.message})`, offset);
  return null;
}

/** Opens the .scap file at `path`, or the capture held in `bytes` (then `path` only names it in messages). */
export function openScapFile(path: string, bytes: Uint8Array | null = null): ScapSource {
  let input: ScapInput;
  try {
    input = new ScapInput(path, bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open: ${(err as Error).message}`);
  }
  const r = new BlockReader(input);
  const ev = new ScapEvent();
  const stats: ScapStats = { events: 0, containerEvents: 0, unknownEvents: 0, unknownBlocks: 0, sections: 0, bytes: 0 };
  let header: SectionHeader;
  let machine: MachineInfo | null = null;
  let pending: PendingSnapshot;
  /** The block the reader stands on after open: the first event block, or -1 at the end. */
  let current: number;

  /** Applies a state block to the pending snapshot; false when the block is not a state block. */
  const stateBlock = (type: number, snap: PendingSnapshot): boolean => {
    if (type === BLOCK.MI || type === BLOCK.MI_INT) {
      machine = readMachineInfo(r);
      snap.machine = machine;
      return true;
    }
    const plVersion = procListVersion(type);
    if (plVersion !== 0) {
      readProcList(r, plVersion, (row) => {
        snap.pidOfTid.set(row.tid as number, row.pid as number);
        snap.put(row, `t${row.tid}`);
      });
      return true;
    }
    switch (type) {
      case BLOCK.FDL:
      case BLOCK.FDL_INT:
      case BLOCK.FDL_V2:
        readFdList(r, (tid) => snap.pidOfTid.get(tid) ?? tid, (row) => snap.put(row, `f${row.tid}:${row.fd}`), snap.sockets, snap.listening);
        return true;
      case BLOCK.UL:
      case BLOCK.UL_INT:
      case BLOCK.UL_V2:
        readUserList(r, (row) => snap.put(row, row.type === RECORD_TYPES.snapshotUser ? `u${row.uid}` : `g${row.gid}`));
        return true;
      case BLOCK.IL:
      case BLOCK.IL_INT:
      case BLOCK.IL_V2:
        snap.interfaces = readInterfaces(r);
        return true;
    }
    return false;
  };

  try {
    let first: number;
    try {
      first = r.next();
    } catch (err) {
      if (err instanceof ScapFormatError && input.gzip && err.offset === 0) throw new ScapFormatError(`not a .scap file (${err.detail})`, 0);
      throw err;
    }
    if (first !== BLOCK.SHB) {
      const what = first < 0 ? 'the data is empty' : `block type 0x${first.toString(16)}`;
      throw new UserError(`${path}: not a .scap file: no section header block at byte 0 (${what})`);
    }
    header = readSectionHeader(r);
    stats.sections = 1;
    pending = new PendingSnapshot(null);
    // Like libscap, read every state block up to the first event block before going on.
    for (;;) {
      current = r.next();
      if (current < 0 || eventBlockKind(current) !== null) break;
      if (current === BLOCK.SHB) {
        readSectionHeader(r);
        stats.sections++;
        continue;
      }
      if (!stateBlock(current, pending)) stats.unknownBlocks++;
    }
  } catch (err) {
    input.close();
    if (err instanceof UserError) throw err;
    const e = asFormatError(err, r.offset);
    if (e) throw new UserError(describe(path, input, e, 0));
    throw err;
  }

  const m = machine as MachineInfo | null;
  const capture: Record<string, unknown> = { format: 'scap', scap_version: `${header.major}.${header.minor}`, compressed: input.gzip };
  if (header.comments.length > 0) capture.comments = header.comments;
  if (m) capture.cpus = m.cpus;
  const metadata: TraceMetadata = {
    formatVersion: `${FORMAT_VERSION.major}.${FORMAT_VERSION.minor}`,
    tsfalcoVersion: TSFALCO_VERSION,
    host: m?.hostname ?? '',
    // scap files do not record the kernel.
    kernel: '',
    bootTimeNs: m && m.bootTimeNs !== 0n ? m.bootTimeNs : null,
    capture,
    source: `scap:${basename(path)}`,
    createdAt: new Date().toISOString(),
  };

  let batchesRead = 0;
  let finished = false;
  let started = false;

  type Sink = (row: TraceEvent | typeof BATCH_BREAK) => void;
  /** Where event rows go: row objects (`rows()`), or straight into a batch's columns (`batches()`). */
  interface Events {
    event(ev: ScapEvent, num: number): void;
    reset(): void;
  }
  let snap: PendingSnapshot | null = pending;
  let lastTs = 0n;
  let num = 0;
  let containers = 0;
  let block = current;

  /**
   * Reads blocks and hands their rows to `sink` (`BATCH_BREAK` where a new record batch must
   * start: a snapshot after events) until `enough()` says so or the data ends; false once it
   * has ended. A damaged block ends it with a UserError, after every row before it was handed on.
   */
  function pump(sink: Sink, events: Events, enough: () => boolean): boolean {
    let failure: ScapFormatError | null = null;
    try {
      while (block >= 0) {
        if (eventBlockKind(block) !== null) {
          if (!ev.decode(r)) {
            stats.unknownEvents++;
          } else {
            if (snap !== null) {
              for (const row of snap.finish(ev.ts)) sink(row);
              snap = null;
            }
            num++;
            lastTs = ev.ts;
            if (isContainerEvent(ev)) {
              // Numbered like any event (libsinsp's evt.num counts it), but a record row.
              const row = containerRow(ev);
              if (row) sink({ ...row, num: 0n } as TraceEvent);
              containers++;
            } else {
              events.event(ev, num);
            }
          }
        } else {
          if (block === BLOCK.SHB) {
            readSectionHeader(r);
            stats.sections++;
            events.reset();
          }
          if (snap === null && (block === BLOCK.SHB || isStateBlock(block))) {
            // State after events: a new snapshot, starting a batch of its own.
            sink(BATCH_BREAK);
            snap = new PendingSnapshot(machine);
          }
          if (block !== BLOCK.SHB && !(snap !== null && stateBlock(block, snap))) stats.unknownBlocks++;
        }
        block = r.next();
        if (enough()) return true;
      }
      if (snap !== null) {
        for (const row of snap.finish(lastTs)) sink(row);
        snap = null;
      }
    } catch (err) {
      failure = asFormatError(err, r.offset);
      if (failure === null) throw err;
      block = -1;
    } finally {
      stats.events = num - containers;
      stats.containerEvents = containers;
      stats.bytes = input.offset;
    }
    if (failure !== null) throw new UserError(describe(path, input, failure, num - containers));
    finished = true;
    return false;
  }

  const begin = () => {
    if (started) throw new Error('a ScapSource is read once');
    started = true;
  };

  /** The rows, lazily (for converters and tests; replay takes batches). */
  function* rows(): Generator<TraceEvent | typeof BATCH_BREAK> {
    begin();
    const queue: (TraceEvent | typeof BATCH_BREAK)[] = [];
    const sink: Sink = (row) => queue.push(row);
    const mapper = new EventMapper();
    const events: Events = { event: (ev, n) => queue.push(mapper.map(ev, BigInt(n))), reset: () => mapper.reset() };
    const enough = () => queue.length >= 256;
    let more = true;
    while (more) {
      try {
        more = pump(sink, events, enough);
      } catch (err) {
        yield* queue;
        throw err;
      }
      yield* queue;
      queue.length = 0;
    }
  }

  function* batches(): Generator<RecordBatch> {
    begin();
    const builder = createBatchBuilder(traceSchema(metadata), SCAP_BATCH_ROWS);
    const ready: RecordBatch[] = [];
    // Event rows are written into the builder's columns; snapshot and container rows (rare) are appended as objects.
    const columns = new ColumnMapper(builder);
    const take = () => {
      columns.newBatch();
      ready.push(builder.take()!);
    };
    const sink: Sink = (row) => {
      if (row === BATCH_BREAK) {
        if (builder.pending > 0) take();
      } else if (builder.append(row) >= SCAP_BATCH_ROWS) {
        take();
      }
    };
    const events: Events = {
      event: (ev, n) => {
        columns.write(ev, n);
        if (builder.pending >= SCAP_BATCH_ROWS) take();
      },
      reset: () => columns.reset(),
    };
    const enough = () => ready.length > 0;
    let more = true;
    while (more) {
      try {
        more = pump(sink, events, enough);
      } catch (err) {
        // What was read before a break is still delivered, then the break is reported.
        if (builder.pending > 0) take();
        for (const b of ready) {
          batchesRead++;
          yield b;
        }
        throw err;
      }
      if (!more && builder.pending > 0) take();
      for (const b of ready) {
        batchesRead++;
        yield b;
      }
      ready.length = 0;
    }
  }

  return {
    path,
    size: input.size,
    metadata,
    compressed: input.gzip,
    batches,
    rows,
    position: () => input.fileOffset,
    ending(): TraceEnding {
      return finished ? { complete: true, batches: batchesRead } : { complete: false, batches: batchesRead, stoppedAt: input.offset, detail: 'reading stopped early' };
    },
    close: () => input.close(),
    stats: () => ({ ...stats, bytes: input.offset }),
  };
}
