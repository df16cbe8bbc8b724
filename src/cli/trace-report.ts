import Table from 'cli-table3';
import type { TraceSummary } from '../trace/summary.js';
import { formatBytes, formatCount, formatDurationNs, formatTimestampNs } from '../util/format.js';
import { sanitize } from '../util/terminal.js';

/** Renders `tsfalco trace info` reports: cli-table3 tables for people, plain JSON for programs. */

// Compact tables: no rule between rows; bold headings only on a terminal.
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function table(head: string[]): Table.Table {
  return new Table({ head, chars: COMPACT, style: { head: process.stdout.isTTY ? ['bold'] : [], border: [] } });
}

/** The capture settings in a few words: long lists become counts, empty settings are left out. */
function captureSummary(capture: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(capture)) {
    if (value === null || value === false || value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (Array.isArray(value) && key === 'syscalls') parts.push(`${value.length} syscalls`);
    else if (Array.isArray(value)) parts.push(`${key}=${value.join(' ')}`);
    else parts.push(`${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
  return parts.join(', ');
}

export function renderTraceSummary(s: TraceSummary): string {
  const m = s.metadata;
  const overview = new Table({ chars: COMPACT, style: { head: [], border: [] }, colWidths: [38, 82], wordWrap: true, wrapOnWordBoundary: false });
  const captureFilter = captureSummary(m.capture);
  const durationNs = s.firstTs !== null && s.lastTs !== null ? s.lastTs - s.firstTs : null;
  const rows: [string, string][] = [
    ['file', sanitize(s.path)],
    ['status', s.problem ? 'damaged (see below)' : s.ending.complete ? 'complete' : `incomplete (data ends at byte ${s.ending.stoppedAt})`],
    ['format version', m.formatVersion],
    ['written by', `tsfalco ${sanitize(m.tsfalcoVersion)} (${sanitize(m.source)})`],
    ['host', sanitize(m.host)],
    ['kernel', sanitize(m.kernel)],
    ['start', s.firstTs !== null ? formatTimestampNs(s.firstTs) : '-'],
    ['end', s.lastTs !== null ? formatTimestampNs(s.lastTs) : '-'],
    ['duration', durationNs !== null ? formatDurationNs(durationNs) : '-'],
    ['events', formatCount(s.events)],
    ['records (events + snapshots + stats)', formatCount(s.rows)],
    ['snapshots', formatCount(s.snapshots)],
    ['processes', formatCount(s.processCount)],
    ['containers', formatCount(s.containers.length)],
    ['dropped events', s.droppedEvents === null ? 'unknown (no capture statistics)' : `${formatCount(s.droppedEvents)} of ${formatCount(s.capturedEvents ?? 0n)} seen`],
    ['file size', `${formatBytes(s.fileSize)} (${formatCount(s.fileSize)} bytes)`],
    ['bytes/event', s.bytesPerEvent === null ? '-' : s.bytesPerEvent.toFixed(1)],
  ];
  if (captureFilter) rows.splice(6, 0, ['capture settings', sanitize(captureFilter)]);
  for (const [k, v] of rows) overview.push({ [k]: v });

  const types = table(['event type', 'count', '%']);
  for (const { type, count } of s.eventsByType) {
    types.push([sanitize(type), formatCount(count), s.events ? ((100 * count) / s.events).toFixed(1) : '0']);
  }
  const procs = table(['pid', 'name', 'executable', 'events']);
  for (const p of s.topProcesses) procs.push([String(p.pid), sanitize(p.name), sanitize(p.exepath), formatCount(p.events)]);

  let out = `${overview.toString()}\n\nEvents by type (top ${s.eventsByType.length})\n${types.toString()}\n\nProcesses (top ${s.topProcesses.length} by events)\n${procs.toString()}\n`;
  if (s.containers.length > 0) {
    const ctr = table(['container id', 'name', 'image']);
    for (const c of s.containers) ctr.push([sanitize(c.id), sanitize(c.name), sanitize(c.image)]);
    out += `\nContainers\n${ctr.toString()}\n`;
  }
  return out + '\n';
}

/** JSON form: bigints become decimal strings for nanosecond times, numbers for counts. */
export function traceSummaryJson(s: TraceSummary): Record<string, unknown> {
  return {
    path: s.path,
    complete: s.ending.complete && !s.problem,
    problem: s.problem ?? (s.ending.complete ? null : s.ending.detail),
    stopped_at_byte: s.ending.stoppedAt ?? null,
    format_version: s.metadata.formatVersion,
    tsfalco_version: s.metadata.tsfalcoVersion,
    source: s.metadata.source,
    host: s.metadata.host,
    kernel: s.metadata.kernel,
    boot_time_ns: s.metadata.bootTimeNs?.toString() ?? null,
    capture: s.metadata.capture,
    start: s.firstTs !== null ? formatTimestampNs(s.firstTs) : null,
    end: s.lastTs !== null ? formatTimestampNs(s.lastTs) : null,
    start_ns: s.firstTs?.toString() ?? null,
    end_ns: s.lastTs?.toString() ?? null,
    duration_ns: s.firstTs !== null && s.lastTs !== null ? (s.lastTs - s.firstTs).toString() : null,
    events: s.events,
    records: s.rows,
    batches: s.ending.batches,
    snapshots: s.snapshots,
    events_by_type: s.eventsByType,
    processes: s.processCount,
    top_processes: s.topProcesses,
    containers: s.containers,
    captured_events: s.capturedEvents === null ? null : Number(s.capturedEvents),
    dropped_events: s.droppedEvents === null ? null : Number(s.droppedEvents),
    file_size: s.fileSize,
    bytes_per_event: s.bytesPerEvent,
  };
}
