/**
 * npm run bench:rules (part 1) — time to load and compile the three upstream Falco rule files:
 * YAML reading, items, macro/list resolution, exceptions, checking against the syscall catalog,
 * event types, and compilation of every condition and output into JavaScript.
 * Runs from dist/ after tsc. Goal: under 300 ms.
 *
 * A cold load (the first in a fresh process, what `tsfalco replay` or `rules validate` pays) is
 * measured in BENCH_COLD fresh processes (default 7) with the V8 tiering the tsfalco executable
 * sets (src/cli/v8-tiering.ts), interleaved with as many with V8's defaults, and the medians are
 * compared. Warm loads (BENCH_RUNS, default 10) run in one more process.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tuneTieringForShortLoads } from '../../src/cli/v8-tiering.js';
import { FALCO_RULES, upstreamPath, upstreamProblem } from '../helpers/upstream-paths.js';

const FILES = FALCO_RULES;
const MISSING = upstreamProblem(...FILES);
if (MISSING) {
  console.error(`bench: ${MISSING}`);
  process.exit(1);
}
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const COLD = Number(process.env.BENCH_COLD ?? 7);
const GOAL_MS = 300;

interface Load {
  ms: number;
  rules: number;
  errors: number;
  warnings: number;
}

/** In a child: one cold load (and `warm` more), reported as one JSON line. */
async function child(tiering: 'tsfalco' | 'default', warm: number): Promise<void> {
  if (tiering === 'tsfalco') tuneTieringForShortLoads();
  // Loaded after the tiering is set, as bin/run.js does.
  const { loadRulesFiles } = await import('../../src/rules/load/loader.js');
  const { loaderSources } = await import('../../src/cli/rules-env.js');
  const { parseYaml } = await import('../../src/rules/load/yaml.js');
  const files = FILES.map((f) => ({ name: f, text: readFileSync(upstreamPath(f), 'utf8') }));
  const once = (): Load => {
    const t = performance.now();
    const loader = loadRulesFiles(files, { sources: loaderSources() });
    const ms = performance.now() - t;
    return {
      ms,
      rules: loader.compiled?.rules.filter((r) => r.match).length ?? 0,
      errors: loader.results.reduce((n, r) => n + r.errors.length, 0),
      warnings: loader.results.reduce((n, r) => n + r.warnings.length, 0),
    };
  };
  const cold = once();
  const warmMs: number[] = [];
  for (let i = 0; i < warm; i++) warmMs.push(once().ms);
  const t = performance.now();
  for (const f of files) parseYaml(f.text);
  const yamlMs = performance.now() - t;
  process.stdout.write(JSON.stringify({ cold, warmMs, yamlMs, bytes: files.reduce((n, f) => n + f.text.length, 0) }) + '\n');
}

function spawnChild(tiering: 'tsfalco' | 'default', warm: number): { cold: Load; warmMs: number[]; yamlMs: number; bytes: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { encoding: 'utf8', env: { ...process.env, BENCH_CHILD: `${tiering}:${warm}` } });
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

if (process.env.BENCH_CHILD) {
  const [tiering, warm] = process.env.BENCH_CHILD.split(':');
  await child(tiering as 'tsfalco' | 'default', Number(warm));
} else {
  const tuned: Load[] = [];
  const plain: Load[] = [];
  for (let i = 0; i < COLD; i++) {
    tuned.push(spawnChild('tsfalco', 0).cold);
    plain.push(spawnChild('default', 0).cold);
  }
  const warm = spawnChild('tsfalco', RUNS);
  const first = tuned[0]!;
  const coldMs = median(tuned.map((l) => l.ms));
  const plainMs = median(plain.map((l) => l.ms));
  console.log(`rules load+compile: ${FILES.length} upstream files, ${(warm.bytes / 1024).toFixed(0)} KiB, ${first.rules} rules compiled, ${first.errors} errors, ${first.warnings} warnings`);
  console.log(`  cold (first load in a fresh process), median of ${COLD}: ${fmt(coldMs)} (min ${fmt(Math.min(...tuned.map((l) => l.ms)))}, max ${fmt(Math.max(...tuned.map((l) => l.ms)))})   goal < ${GOAL_MS} ms: ${coldMs < GOAL_MS ? 'met' : 'MISSED'}`);
  console.log(`  cold with V8's default tiering, median of ${COLD}: ${fmt(plainMs)} (tsfalco's tiering takes ${(coldMs / plainMs).toFixed(2)}x the time)`);
  console.log(`  warm: median ${fmt(median(warm.warmMs))}, min ${fmt(Math.min(...warm.warmMs))}, max ${fmt(Math.max(...warm.warmMs))} over ${RUNS} runs`);
  console.log(`  of which YAML reading (warm): ${fmt(warm.yamlMs)}`);
  if (first.errors > 0 || first.rules !== 93) process.exitCode = 1;
}
