import { existsSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { isRecordType } from '../trace/columns.js';
import type { TraceEvent } from '../trace/event.js';
import type { TraceCompression } from '../trace/compression.js';
import { batchEvents } from '../trace/rows.js';
import { createTraceWriter } from '../trace/writer.js';
import { BATCH_BREAK, type ScapSource } from '../scap/reader.js';
import { isScapFile, openAnyTrace, openScap, type AnyTraceSource } from '../scap/index.js';
import type { ScapTarget } from '../scap/targets.js';
import { writeScapFrom } from '../scap/writer.js';
import { UserError } from '../util/errors.js';
import { ioError, isErrnoException } from '../util/io-errors.js';

/**
 * `tsfalco convert IN OUT`: reads a trace in any format tsfalco reads (.scap, .arrow) and
 * writes it in the format OUT's extension names. Each output format is one writer function in
 * OUTPUTS; a format without one is refused with a clear message.
 */

export interface ConvertRequest {
  input: string;
  output: string;
  /** Replace OUT if it exists. */
  force: boolean;
  compression?: TraceCompression;
  /** .scap output: the libscap it is for (default sysdig-0.29, which current libs reads too). */
  scapTarget?: ScapTarget;
  onProgress?: (bytesRead: number, fileSize: number) => void;
}

export interface ConvertResult {
  input: string;
  output: string;
  format: string;
  /** Event rows written (snapshots and other records not counted). */
  events: number;
  /** Record rows written (snapshots, containers, capture statistics). */
  records: number;
  bytesWritten: number;
  elapsedMs: number;
  /** .scap input: events skipped because their type is unknown to tsfalco's event table. */
  unknownEvents: number;
  /** A word on what the output format could not hold, for the summary line. */
  note?: string;
}

type Rows = Iterable<TraceEvent | typeof BATCH_BREAK>;

/** The rows of an input, with the markers where a new batch starts. */
function* rowsOf(source: AnyTraceSource): Rows {
  if ('rows' in source) {
    yield* (source as ScapSource).rows();
    return;
  }
  for (const batch of source.batches()) {
    yield* batchEvents(batch);
    yield BATCH_BREAK;
  }
}

type OutputWriter = (source: AnyTraceSource, rows: Rows, req: ConvertRequest, path: string) => Omit<ConvertResult, 'input' | 'output' | 'format' | 'elapsedMs' | 'unknownEvents'>;

/** .scap (or .scap.gz): src/scap/writer.ts reads the source's batches itself. */
function writeScapOutput(source: AnyTraceSource, _rows: Rows, req: ConvertRequest, path: string): ReturnType<OutputWriter> {
  const s = writeScapFrom(source, path, { target: req.scapTarget, overwrite: false, onProgress: req.onProgress });
  const left = Object.entries(s.skipped).sort((a, b) => b[1] - a[1]);
  const leftCount = left.reduce((n, [, c]) => n + c, 0);
  const note =
    `for ${s.target}` +
    (leftCount > 0 ? `; ${leftCount} syscalls it has no event for left out (${left.slice(0, 5).map(([t, c]) => `${t} ×${c}`).join(', ')}${left.length > 5 ? ', …' : ''})` : '');
  return { events: s.events, records: s.threads + s.fds + s.users + s.groups, bytesWritten: s.bytes, note };
}

function writeArrow(source: AnyTraceSource, rows: Rows, req: ConvertRequest, path: string): ReturnType<OutputWriter> {
  const writer = createTraceWriter(path, source.metadata, { overwrite: false, compression: req.compression });
  let events = 0;
  let records = 0;
  let batches = 0;
  try {
    for (const row of rows) {
      if (row === BATCH_BREAK) {
        writer.flush();
        req.onProgress?.(source.position(), source.size);
        continue;
      }
      if (isRecordType(row.type)) records++;
      else events++;
      writer.append(row);
      if (writer.batchesWritten !== batches) {
        batches = writer.batchesWritten;
        req.onProgress?.(source.position(), source.size);
      }
    }
  } catch (err) {
    // Keep what was converted before the input broke: the output is a complete, readable trace of it.
    if (err instanceof UserError) {
      writer.close();
      throw new UserError(`${err.message}; ${req.output} holds the ${events} events before it`);
    }
    throw err; // a write error: runConvert removes the incomplete output
  }
  writer.close();
  return { events, records, bytesWritten: writer.bytesWritten };
}

/** Output formats by file extension; null: known, not writable yet. */
const OUTPUTS: Record<string, { name: string; write: OutputWriter | null }> = {
  '.arrow': { name: 'arrow', write: writeArrow },
  '.scap': { name: 'scap', write: writeScapOutput },
};

export function runConvert(req: ConvertRequest): ConvertResult {
  const started = performance.now();
  const ext = /\.scap\.gz$/i.test(req.output) ? '.scap' : extname(req.output).toLowerCase();
  const out = OUTPUTS[ext];
  if (!out) {
    throw new UserError(`${req.output}: unknown output format "${ext || '(no extension)'}": name the output file .arrow or .scap (${Object.keys(OUTPUTS).join(', ')}, .scap.gz are known)`);
  }
  if (!out.write) throw new UserError(`${req.output}: writing .${out.name} files is not supported yet; convert to .arrow`);
  if (resolve(req.input) === resolve(req.output)) throw new UserError(`${req.output}: the output would overwrite the input`);
  if (!req.force && existsSync(req.output)) throw new UserError(`${req.output}: already exists (use --force to overwrite it)`);
  if (req.force && isDirectory(req.output)) throw new UserError(`${req.output}: cannot replace: is a directory`);
  const source = isScapFile(req.input) ? openScap(req.input) : openAnyTrace(req.input);
  // Replacing a file: the new one is written beside it and renamed over it, so that the old file
  // stays whole until the new one is, a symbolic link is replaced (its target is not written
  // through) and the new file is created 0600 like any trace, not with the old file's mode.
  const path = req.force ? temporaryBeside(req.output) : req.output;
  const named = (text: string) => (path === req.output ? text : text.split(path).join(req.output));
  let finished = false;
  try {
    const written = out.write(source, rowsOf(source), req, path);
    finished = true;
    if (path !== req.output) renameSync(path, req.output);
    return {
      input: req.input,
      output: req.output,
      format: out.name,
      ...written,
      elapsedMs: performance.now() - started,
      unknownEvents: 'stats' in source ? (source as ScapSource).stats().unknownEvents : 0,
    };
  } catch (err) {
    if (err instanceof UserError) {
      // The input is damaged; the output holds what came before the damage (in place, replaced).
      if (!finished && path !== req.output && existsSync(path)) {
        try {
          renameSync(path, req.output);
        } catch (renameErr) {
          removeQuietly(path);
          throw ioError(renameErr, req.output, 'cannot replace');
        }
      }
      throw new UserError(named(err.message), err.exitCode);
    }
    if (!isErrnoException(err)) throw err;
    removeQuietly(path);
    const left = req.force ? `${req.output} is unchanged` : 'the incomplete output was removed';
    if (finished) throw new UserError(`${ioError(err, req.output, 'cannot replace').message} (${left})`);
    throw new UserError(`${ioError(err, req.output, 'write failed').message} (${left})`);
  } finally {
    source.close();
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A new file name in the same directory (so that rename(2) replaces atomically). */
function temporaryBeside(path: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  // The extension stays last: the writers choose gzip by it.
  return join(dirname(path), `.${basename(path)}.${process.pid}-${rand}.tmp${/\.gz$/i.test(path) ? '.gz' : ''}`);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already removed
  }
}
