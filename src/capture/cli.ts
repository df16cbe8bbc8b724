import { UserError } from '../util/errors.js';
import { formatBytes, formatCount } from '../util/format.js';
import { sanitize } from '../util/terminal.js';
import { runCapture, type CaptureSummary } from './capture.js';

/**
 * What `tsfalco capture` does around runCapture: flag values in human units, live progress on
 * stderr when it is a terminal, the summary, and the exit code.
 */

/** "30s", "5m", "1h30m", "500ms", "2" (seconds) → milliseconds. */
export function parseDuration(text: string, flag = '--duration'): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(t))) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms']!;
    at = re.lastIndex;
  }
  if (at !== t.length || at === 0 || total <= 0) throw new UserError(`${flag} ${text}: expected a duration such as 30s, 5m, 1h30m or 500ms`);
  return total;
}

/** "1G", "512M", "64k", "1000" (bytes); binary multiples. */
export function parseSize(text: string, flag = '--max-size'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UserError(`${flag} ${text}: expected a size such as 1G, 512M or 64K`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '']!;
  const n = Math.round(Number(m[1]) * mult);
  if (n <= 0) throw new UserError(`${flag} ${text}: must be positive`);
  return n;
}

export interface CaptureCommandInput {
  output: string;
  duration?: string;
  events?: string;
  maxSize?: string;
  pid?: number[];
  comm?: string;
  container?: string;
  onlyCommand?: boolean;
  env?: boolean;
  force?: boolean;
  bufferSize?: string;
  snaplen?: number;
  snapshotInterval?: string;
  quiet?: boolean;
  command: string[];
}

export function renderSummary(s: CaptureSummary): string {
  const why = { signal: 'interrupted', duration: 'duration reached', 'max-size': 'size limit reached', command: 'command exited', helper: 'helper stopped', 'write-error': 'write failed' }[s.stopReason];
  const lines = [
    `tsfalco: wrote ${sanitize(s.output)} (${why}): ${formatCount(s.events)} events in ${(s.durationMs / 1000).toFixed(1)}s, ${formatBytes(s.bytes)}` +
      (s.events > 0 ? ` (${(s.bytes / s.events).toFixed(1)} bytes/event)` : ''),
    `  kernel side: ${formatCount(s.kernelEvents)} events, ${formatCount(s.drops)} dropped; ${s.snapshots} snapshot${s.snapshots === 1 ? '' : 's'}, ${formatCount(s.rows)} rows in all`,
  ];
  if (s.drops > 0n) lines.push('  some events were dropped (ring buffer full): try --buffer-size 64M, or fewer --events');
  if (s.commandExitCode !== null) lines.push(`  command exit code: ${s.commandExitCode}`);
  return lines.join('\n') + '\n';
}

/** Runs a capture as the command line asked; returns the process exit code. */
export async function runCaptureCommand(input: CaptureCommandInput): Promise<number> {
  const tty = process.stderr.isTTY === true && !input.quiet;
  let shown = false;
  const summary = await runCapture({
    output: input.output,
    durationMs: input.duration ? parseDuration(input.duration) : undefined,
    events: input.events,
    maxSizeBytes: input.maxSize ? parseSize(input.maxSize) : undefined,
    pids: input.pid,
    comm: input.comm,
    container: input.container,
    onlyCommand: input.onlyCommand,
    env: input.env,
    force: input.force,
    command: input.command.length ? input.command : undefined,
    bufferBytes: input.bufferSize ? parseSize(input.bufferSize, '--buffer-size') : undefined,
    snaplen: input.snaplen,
    snapshotIntervalMs: input.snapshotInterval ? parseDuration(input.snapshotInterval, '--snapshot-interval') : undefined,
    onReady: () => {
      if (tty && !input.command.length) process.stderr.write('tsfalco: capturing (Ctrl-C to stop)\n');
    },
    onProgress: (p) => {
      if (!tty) return;
      shown = true;
      process.stderr.write(
        `\r\x1b[Kcapturing ${(p.elapsedMs / 1000).toFixed(0)}s: ${formatCount(p.events)} events (${formatCount(Math.round(p.eventsPerSecond))}/s), ${formatCount(p.drops)} drops, ${formatBytes(p.bytes)}`,
      );
    },
  });
  if (shown) process.stderr.write('\r\x1b[K');
  if (!input.quiet) process.stderr.write(renderSummary(summary));
  if (summary.commandExitCode !== null) return summary.commandExitCode;
  return 0;
}
