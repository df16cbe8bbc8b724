import { closeSync, readSync } from 'node:fs';
import { openRegular } from '../util/input-file.js';
import { openTrace, type TraceFile } from '../trace/reader.js';
import { openScapFile, type ScapSource } from './reader.js';

export { EVENT_TABLE, eventInfo, latestCode, codesOf, PT, PF, EF, EC, type ScapEventInfo, type ScapParamInfo } from './event-table.js';
export type { ScapSource, ScapStats } from './reader.js';

/** Opens a .scap file (gzip or not) as a trace source: lazy record batches of the trace's event model. */
export function openScap(path: string): ScapSource {
  return openScapFile(path);
}

/** A capture held in memory (a download, a test), `name` naming it in messages. */
export function openScapBytes(name: string, bytes: Uint8Array): ScapSource {
  return openScapFile(name, bytes);
}

/**
 * Whether a file is a .scap capture, by its first bytes: a section header block (0x0A0D0D0A), or
 * gzip (tsfalco's own traces are Arrow files, never gzip; a gzip that is not scap inside is
 * reported as such when it is opened).
 */
export function isScapFile(path: string): boolean {
  let fd: number;
  try {
    // a FIFO or a device is not a .scap file (and must not block this check)
    fd = openRegular(path).fd;
  } catch {
    return false;
  }
  try {
    const head = new Uint8Array(4);
    const n = readSync(fd, head, 0, 4, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return n === 4 && head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** What replay, trace info and convert read: a .arrow trace or a .scap capture, told apart by content. */
export type AnyTraceSource = Pick<TraceFile, 'path' | 'size' | 'metadata' | 'batches' | 'ending' | 'position' | 'close'>;

export function openAnyTrace(path: string): AnyTraceSource {
  return isScapFile(path) ? openScap(path) : openTrace(path);
}
