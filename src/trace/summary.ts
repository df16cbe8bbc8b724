import type { Data, RecordBatch, Vector } from 'apache-arrow';
import { isUserError } from '../util/errors.js';
import { isRecordType, RECORD_TYPES } from './columns.js';
import { openTrace, type TraceEnding, type TraceFile } from './reader.js';
import type { TraceMetadata } from './schema.js';

/**
 * What `tsfalco trace info` reports about one trace, computed in one pass over its batches
 * straight from the column buffers (dictionary codes are counted, strings looked up once).
 */

export interface ProcessSummary {
  pid: number;
  name: string;
  exepath: string;
  events: number;
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
}

export interface TraceSummary {
  path: string;
  fileSize: number;
  metadata: TraceMetadata;
  ending: TraceEnding;
  /** Rows of every kind, snapshots included. */
  rows: number;
  /** Syscall events (rows that are not snapshot or statistics records). */
  events: number;
  firstTs: bigint | null;
  lastTs: bigint | null;
  eventsByType: { type: string; count: number }[];
  processCount: number;
  topProcesses: ProcessSummary[];
  containers: ContainerSummary[];
  snapshots: number;
  /** From the last capture_stats record; null when the trace has none. */
  capturedEvents: bigint | null;
  droppedEvents: bigint | null;
  bytesPerEvent: number | null;
  /** Set when reading stopped at damaged data: what and where (the counts cover what came before). */
  problem: string | null;
}

function column(batch: RecordBatch, name: string): Data {
  return (batch.getChild(name) as Vector).data[0];
}

function isValid(data: Data, row: number): boolean {
  return data.nullCount === 0 || (data.nullBitmap !== undefined && (data.nullBitmap[row >> 3] & (1 << (row & 7))) !== 0);
}

function dictString(data: Data, row: number): string | null {
  if (!isValid(data, row)) return null;
  return (data.dictionary as Vector).get((data.values as Int32Array)[row]) as string;
}

export interface SummaryOptions {
  topTypes?: number;
  topProcesses?: number;
  /** Called after each batch with the bytes read so far and the file size. */
  onProgress?: (bytesRead: number, fileSize: number) => void;
}

/** What the summary reads: a trace file by path, or an opened source of trace batches (a .scap reader). */
export type SummarySource = Pick<TraceFile, 'path' | 'size' | 'metadata' | 'batches' | 'ending' | 'position' | 'close'>;

export function summarizeTrace(input: string | SummarySource, options: SummaryOptions = {}): TraceSummary {
  const trace = typeof input === 'string' ? openTrace(input) : input;
  const path = trace.path;
  try {
    const typeCounts = new Map<number, number>();
    let typeDictionary: Vector | null = null;
    const processes = new Map<number, ProcessSummary>();
    const containers = new Map<string, ContainerSummary>();
    let rows = 0;
    let events = 0;
    let firstTs: bigint | null = null;
    let lastTs: bigint | null = null;
    let snapshots = 0;
    let capturedEvents: bigint | null = null;
    let droppedEvents: bigint | null = null;
    const perCpuStats = new Map<number, { events: bigint; drops: bigint }>();

    let problem: string | null = null;
    try {
      for (const batch of trace.batches()) {
        const type = column(batch, 'type');
        const ts = column(batch, 'ts').values as BigInt64Array;
        const pid = column(batch, 'pid');
        const pids = pid.values as Int32Array;
        const comm = column(batch, 'comm');
        typeDictionary = type.dictionary as Vector;
        const codes = type.values as Int32Array;
        // Which dictionary codes are record types, decided once per code.
        const recordCode = new Map<number, string | null>();
        for (let row = 0; row < batch.numRows; row++) {
          const code = codes[row];
          let record = recordCode.get(code);
          if (record === undefined) {
            const name = typeDictionary.get(code) as string;
            record = isRecordType(name) ? name : null;
            recordCode.set(code, record);
          }
          if (record !== null) {
            if (record === RECORD_TYPES.snapshotMachine) snapshots++;
            else if (record === RECORD_TYPES.snapshotContainer) {
              const id = dictString(column(batch, 'container_id'), row);
              if (id) {
                containers.set(id, {
                  id,
                  name: dictString(column(batch, 'name'), row) ?? '',
                  image: dictString(column(batch, 'image'), row) ?? '',
                });
              }
            } else if (record === RECORD_TYPES.captureStats) {
              const cpuData = column(batch, 'cpu');
              const cpu = isValid(cpuData, row) ? (cpuData.values as Int16Array)[row] : -1;
              const ev = column(batch, 'n_events');
              const dr = column(batch, 'n_drops');
              perCpuStats.set(cpu, {
                events: isValid(ev, row) ? (ev.values as BigUint64Array)[row] : 0n,
                drops: isValid(dr, row) ? (dr.values as BigUint64Array)[row] : 0n,
              });
            } else if (record === RECORD_TYPES.snapshotProc && isValid(pid, row) && !processes.has(pids[row])) {
              processes.set(pids[row], {
                pid: pids[row],
                name: dictString(comm, row) ?? '',
                exepath: dictString(column(batch, 'exepath'), row) ?? '',
                events: 0,
              });
            }
            continue;
          }
          events++;
          typeCounts.set(code, (typeCounts.get(code) ?? 0) + 1);
          const t = ts[row];
          if (firstTs === null || t < firstTs) firstTs = t;
          if (lastTs === null || t > lastTs) lastTs = t;
          if (isValid(pid, row)) {
            const p = pids[row];
            let proc = processes.get(p);
            if (!proc) {
              proc = { pid: p, name: '', exepath: '', events: 0 };
              processes.set(p, proc);
            }
            proc.events++;
            const name = dictString(comm, row);
            if (name) proc.name = name;
            const exe = dictString(column(batch, 'exepath'), row);
            if (exe) proc.exepath = exe;
          }
        }
        rows += batch.numRows;
        options.onProgress?.(trace.position(), trace.size);
      }
    } catch (err) {
      if (!isUserError(err)) throw err;
      problem = err.message;
    }

    if (perCpuStats.size > 0) {
      const total = perCpuStats.get(-1);
      if (total) {
        capturedEvents = total.events;
        droppedEvents = total.drops;
      } else {
        capturedEvents = 0n;
        droppedEvents = 0n;
        for (const s of perCpuStats.values()) {
          capturedEvents += s.events;
          droppedEvents += s.drops;
        }
      }
    }

    const eventsByType = [...typeCounts]
      .map(([code, count]) => ({ type: typeDictionary!.get(code) as string, count }))
      .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type))
      .slice(0, options.topTypes ?? 15);
    const topProcesses = [...processes.values()]
      .sort((a, b) => b.events - a.events || a.pid - b.pid)
      .slice(0, options.topProcesses ?? 10);
    return {
      path,
      fileSize: trace.size,
      metadata: trace.metadata,
      ending: trace.ending(),
      rows,
      events,
      firstTs,
      lastTs,
      eventsByType,
      processCount: processes.size,
      topProcesses,
      containers: [...containers.values()],
      snapshots,
      capturedEvents,
      droppedEvents,
      bytesPerEvent: rows > 0 ? trace.size / rows : null,
      problem,
    };
  } finally {
    trace.close();
  }
}
