import cliProgress from 'cli-progress';
import { sanitize } from '../util/terminal.js';

/**
 * A progress bar on stderr for long reads, shown only when stderr is a terminal and the work is
 * big enough to be worth it; otherwise a no-op, so piped output and tests stay clean.
 */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const NONE: Progress = { update() {}, stop() {} };

export function byteProgress(label: string, totalBytes: number, minBytes = 64 << 20): Progress {
  if (!process.stderr.isTTY || totalBytes < minBytes) return NONE;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${sanitize(label)} [{bar}] {percentage}% | {value}/{total} MiB | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const mib = (n: number) => Math.round(n / (1 << 20));
  bar.start(mib(totalBytes), 0);
  return {
    update(done) {
      bar.update(mib(done));
    },
    stop() {
      bar.stop();
    },
  };
}
