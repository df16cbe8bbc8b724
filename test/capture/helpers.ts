import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capturePrerequisiteProblem } from '../../src/capture/helper.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { openTrace } from '../../src/trace/reader.js';
import { batchEvents } from '../../src/trace/rows.js';
import { BIN, ROOT } from '../helpers/cli.js';

/**
 * Real captures need root, eBPF with BTF and the built helper. Elsewhere the suites are skipped
 * with the reason in their name; with TSFALCO_REQUIRE_CAPTURE=1 (CI) a missing prerequisite fails.
 */
export const CAPTURE_PROBLEM = capturePrerequisiteProblem();
const REQUIRED = process.env.TSFALCO_REQUIRE_CAPTURE === '1';

export function captureSuite(name: string, body: () => void): void {
  if (CAPTURE_PROBLEM && !REQUIRED) {
    describe.skip(`${name} (skipped: ${CAPTURE_PROBLEM})`, body);
    return;
  }
  describe(name, () => {
    it('has what a capture needs: root, eBPF, BTF, the built helper', () => {
      expect(CAPTURE_PROBLEM).toBeNull();
    });
    body();
  });
}

export interface Run {
  pid: number;
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real tsfalco asynchronously (the test process stays responsive, e.g. to accept connections). */
export function runTsfalco(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid ?? -1, status, signal, stdout, stderr });
    });
  });
}

export function readEvents(path: string): TraceEvent[] {
  const trace = openTrace(path);
  const out: TraceEvent[] = [];
  for (const batch of trace.batches()) out.push(...batchEvents(batch));
  trace.close();
  return out;
}

export const isSyscallRow = (e: TraceEvent) => !e.type.startsWith('snapshot_') && e.type !== 'capture_stats';

/** Where the cgroup v2 hierarchy is mounted (all of /sys/fs/cgroup, or a hybrid's unified part). */
export function cgroup2Root(): string | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, where, type] = line.split(' ');
    if (type === 'cgroup2') return where;
  }
  return undefined;
}
