/** Human formatting of sizes, counts, durations and times, shared by the commands' reports. */

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}

export function formatCount(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

/** Formats a duration given in nanoseconds: `1h02m03.456s`, `2.500s`, `12.3ms`. */
export function formatDurationNs(ns: bigint): string {
  if (ns < 0n) return '-' + formatDurationNs(-ns);
  if (ns < 1_000_000n) return `${Number(ns) / 1000}µs`;
  if (ns < 1_000_000_000n) return `${(Number(ns) / 1e6).toFixed(3)}ms`;
  const totalMs = ns / 1_000_000n;
  const h = totalMs / 3_600_000n;
  const m = (totalMs % 3_600_000n) / 60_000n;
  const s = Number(totalMs % 60_000n) / 1000;
  if (h > 0n) return `${h}h${String(m).padStart(2, '0')}m${s.toFixed(3).padStart(6, '0')}s`;
  if (m > 0n) return `${m}m${s.toFixed(3).padStart(6, '0')}s`;
  return `${s.toFixed(3)}s`;
}

/** RFC 3339 in UTC with nanoseconds, as Falco prints `evt.time.iso8601`: 2016-08-04T16:17:57.881781397Z */
export function formatTimestampNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const frac = ns % 1_000_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2016-08-04T16:17:57.881Z
  return `${iso.slice(0, 19)}.${String(frac).padStart(9, '0')}Z`;
}
