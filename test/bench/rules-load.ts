/**
 * npm run bench:rules (part 1) — time to load and compile the three upstream Falco rule files:
 * YAML reading, items, macro/list resolution, exceptions, checking against the syscall catalog,
 * event types, and compilation of every condition and output into JavaScript.
 * Runs from dist/ after tsc. Goal: under 300 ms. BENCH_RUNS sets the warm repetitions (default 10).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadRulesFiles } from '../../src/rules/load/loader.js';
import { parseYaml } from '../../src/rules/load/yaml.js';
import { loaderSources } from '../../src/cli/rules-env.js';

const DIR = fileURLToPath(new URL('../../../../shared/falco-rules/', import.meta.url));
const FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'];
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const GOAL_MS = 300;

const files = FILES.map((f) => ({ name: f, text: readFileSync(DIR + f, 'utf8') }));
const bytes = files.reduce((n, f) => n + f.text.length, 0);

function once(): { ms: number; rules: number; errors: number; warnings: number } {
  const t = performance.now();
  const loader = loadRulesFiles(files, { sources: loaderSources() });
  const ms = performance.now() - t;
  return {
    ms,
    rules: loader.compiled?.rules.filter((r) => r.match).length ?? 0,
    errors: loader.results.reduce((n, r) => n + r.errors.length, 0),
    warnings: loader.results.reduce((n, r) => n + r.warnings.length, 0),
  };
}

const cold = once();
const warm: number[] = [];
for (let i = 0; i < RUNS; i++) warm.push(once().ms);
warm.sort((a, b) => a - b);
const median = warm[Math.floor(warm.length / 2)]!;

const tYaml = performance.now();
for (const f of files) parseYaml(f.text);
const yamlMs = performance.now() - tYaml;

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
console.log(`rules load+compile: ${FILES.length} upstream files, ${(bytes / 1024).toFixed(0)} KiB, ${cold.rules} rules compiled, ${cold.errors} errors, ${cold.warnings} warnings`);
console.log(`  cold (first load in the process): ${fmt(cold.ms)}   goal < ${GOAL_MS} ms: ${cold.ms < GOAL_MS ? 'met' : 'MISSED'}`);
console.log(`  warm: median ${fmt(median)}, min ${fmt(warm[0]!)}, max ${fmt(warm[warm.length - 1]!)} over ${RUNS} runs`);
console.log(`  of which YAML reading (warm): ${fmt(yamlMs)}`);
if (cold.errors > 0 || cold.rules !== 93) process.exitCode = 1;
