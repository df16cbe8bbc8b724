/**
 * Falco's syscall event drop monitoring, on event time. Once per second of trace time the
 * monitor compares the capture's drop counters (capture_stats records) with the previous check
 * (or, with `simulate_drops`, pretends one event was dropped, as Falco's tests do); when the
 * share of dropped events exceeds `threshold`, a drop is detected and, as a token bucket
 * (`rate` tokens per second, `max_burst` at most) allows, the actions run: `log`, `alert`, `exit`
 * (or `ignore`). At the end it reports how many drops it detected and how many times it acted.
 */

const ONE_SECOND = 1_000_000_000n;
const MAX_TS = (1n << 63n) - 1n;
const MIN_TS = -(1n << 63n);

export type DropAction = 'ignore' | 'log' | 'alert' | 'exit';

export interface DropConfig {
  threshold: number;
  actions: readonly DropAction[];
  rate: number;
  maxBurst: number;
  simulateDrops: boolean;
}

export interface DropSink {
  log(message: string): void;
  alert(message: string, ts: bigint, fields: Record<string, number>): void;
}

export interface DropMonitor {
  /** Called for syscall events; returns false when an `exit` action asks to stop. */
  onEvent(ts: bigint): boolean;
  /**
   * Events with a timestamp up to this one need no `onEvent` call (it would do nothing for
   * them); replay compares each event's time with it instead of calling.
   */
  deadline(): bigint;
  /** Called for every capture_stats record (cumulative counters, cpu -1 = all CPUs). */
  onStats(cpu: number, events: bigint, drops: bigint): void;
  report(): string;
}

export function newDropMonitor(config: DropConfig, sink: DropSink): DropMonitor {
  let nextCheck = -1n;
  let events = 0n;
  let drops = 0n;
  let lastEvents = 0n;
  let lastDrops = 0n;
  let detected = 0;
  let actionsTaken = 0;
  let tokens = config.maxBurst;
  let lastRefill = -1n;

  const claim = (ts: bigint): boolean => {
    if (lastRefill >= 0n) tokens = Math.min(config.maxBurst, tokens + (Number(ts - lastRefill) / 1e9) * config.rate);
    lastRefill = ts;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  return {
    onStats(cpu, n, d) {
      // The total row carries the totals; per-CPU rows are summed when there is no total.
      if (cpu === -1) {
        events = n;
        drops = d;
      }
    },
    onEvent(ts) {
      if (config.actions.length === 0) return true;
      if (nextCheck < 0n) {
        nextCheck = ts + ONE_SECOND;
        return true;
      }
      if (!(nextCheck < ts)) return true;
      nextCheck = ts + ONE_SECOND;
      let deltaDrops = Number(drops - lastDrops);
      const deltaEvents = Number(events - lastEvents);
      lastDrops = drops;
      lastEvents = events;
      // Simulated drops (Falco's tests) add one drop per check and lower the threshold to zero.
      if (config.simulateDrops) deltaDrops++;
      if (deltaDrops <= 0) return true;
      // n_events counts the dropped events too; with no counters at all the ratio is infinite.
      const ratio = deltaDrops / deltaEvents;
      if (!(ratio > (config.simulateDrops ? 0 : config.threshold))) return true;
      detected++;
      if (!claim(ts)) return true;
      actionsTaken++;
      const message = `Falco internal: syscall event drop. ${deltaDrops} system calls dropped in last second.`;
      for (const action of config.actions) {
        if (action === 'log') sink.log(message);
        else if (action === 'alert') sink.alert(message, ts, { n_drops: deltaDrops, n_evts: deltaEvents });
        else if (action === 'exit') {
          sink.log(message);
          sink.log('Exiting.');
          return false;
        }
      }
      return true;
    },
    deadline() {
      if (config.actions.length === 0) return MAX_TS;
      return nextCheck < 0n ? MIN_TS : nextCheck;
    },
    report() {
      return `Syscall event drop monitoring:\n   - event drop detected: ${detected} occurrences\n   - num times actions taken: ${actionsTaken}\n`;
    },
  };
}
