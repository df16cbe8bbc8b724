/**
 * A fuzz worker: a child process that runs tsfalco command lines in-process, one at a time, as
 * the runner (runner.ts) sends them, and reports how each ended: exit code, what it printed, its
 * peak RSS, and whether it crashed (an uncaught error, a rejection oclif did not turn into an
 * exit). Running in-process is ~50x cheaper than a process per input, which is what lets a run
 * try tens of thousands of inputs; the runner confirms every finding in a fresh `tsfalco` process.
 * The runner gives it a heap limit and kills it on a hang, so a blow-up costs one worker.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, Errors, run } from '@oclif/core';

export interface WorkerJob {
  id: number;
  argv: string[];
}

export interface WorkerResult {
  id: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** A JavaScript error that escaped the command (a bug), with its stack. */
  crash?: string;
  /** Peak resident set size during this job, bytes (0 when the kernel cannot tell). */
  peakRss: number;
  ms: number;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CAP = 64 * 1024;

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

let out = '';
let err = '';
const capture = (which: 'out' | 'err') =>
  ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (which === 'out') out = out.length < CAP ? out + text : out;
    else err = err.length < CAP ? err + text : err;
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (cb) queueMicrotask(cb);
    return true;
  }) as typeof process.stdout.write;

function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return process.memoryUsage().rss;
  }
}

let crash: string | undefined;
process.on('uncaughtException', (e) => {
  crash ??= `uncaught: ${(e as Error)?.stack ?? String(e)}`;
});
process.on('unhandledRejection', (e) => {
  crash ??= `unhandled rejection: ${(e as Error)?.stack ?? String(e)}`;
});

async function main(): Promise<void> {
  const config = await Config.load({ root: ROOT });
  process.stdout.write = capture('out');
  process.stderr.write = capture('err');
  process.exit = ((code?: number) => {
    throw new ExitCalled(code ?? 0);
  }) as typeof process.exit;
  const gc = (globalThis as { gc?: () => void }).gc;

  process.on('message', async (job: WorkerJob) => {
    out = '';
    err = '';
    crash = undefined;
    process.exitCode = undefined;
    gc?.();
    const canTell = resetPeak();
    const t0 = performance.now();
    let exitCode = 0;
    try {
      await run(job.argv, config);
      exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
    } catch (e) {
      if (e instanceof ExitCalled) exitCode = e.code;
      else if (e instanceof Errors.ExitError) exitCode = e.oclif.exit ?? 0;
      else {
        crash ??= `escaped the command: ${(e as Error)?.stack ?? String(e)}`;
        exitCode = 1;
      }
    }
    // Let stray callbacks and rejections of this job surface before reporting it.
    await new Promise((r) => setImmediate(r));
    const result: WorkerResult = { id: job.id, exitCode, stdout: out, stderr: err, crash, peakRss: canTell ? peakRss() : 0, ms: performance.now() - t0 };
    process.send!(result);
  });
  process.send!({ ready: true });
}

void main();
