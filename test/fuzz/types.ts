/**
 * The plain data the fuzz harness passes around. A target makes cases; a case is files plus
 * command lines; the runner runs them in workers (worker.ts) and judges the results (judge.ts).
 */

/** A seeded source of randomness (mulberry32, test/helpers/rng.ts): values in [0, 1). */
export type Rand = () => number;

/**
 * One fuzz input. `files` are written into a fresh job directory; in `runs`, an argument
 * `@name` is replaced by the path of file `name` in that directory (and `@dir` by the directory).
 * Every command line of `runs` is run, in order, on the same files.
 */
export interface FuzzCase {
  files: Record<string, Uint8Array | string>;
  runs: string[][];
  /** One of these strings must appear in the error line of a run that fails (exit 1): the file, the flag. */
  mustName: string[];
  /** What the mutator did, for the report (`flip 3 bits at 1200`, `macro chain 2000`). */
  note: string;
  /** What the target knows of the input, for its `agree` (e.g. that a trace carries frame checksums). */
  facts?: Record<string, string | number | boolean>;
}

export interface FuzzTarget {
  name: string;
  /** What the target covers, one line for the report. */
  description: string;
  /** Builds one case. `seeds` is what `prepare` returned. */
  generate(rand: Rand, seeds: unknown): FuzzCase;
  /** Called once per run before any case: seed material (files of the repository, conversions). */
  prepare(ctx: PrepareContext): Promise<unknown> | unknown;
  /**
   * An extra verdict over the results of all the runs of a case (e.g. `trace info` and `replay`
   * must agree on whether a trace is damaged): a problem, or null.
   */
  agree?(results: RunOutcome[], c: FuzzCase): string | null;
}

export interface PrepareContext {
  /** The repository (fixtures/, rules/, dist/). */
  root: string;
  /** A scratch directory for seed material, removed after the run. */
  scratch: string;
  /** Runs the real tsfalco CLI (a fresh process): for making seeds. */
  tsfalco(args: string[]): { status: number | null; stdout: string; stderr: string };
}

export interface RunOutcome {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  crash?: string;
  hang?: boolean;
  /** The worker process died (a V8 fatal error, out of memory, a signal): its last stderr. */
  died?: string;
  peakRss: number;
  ms: number;
}
