import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type FuzzReport, runFuzz } from './runner.js';
import { TARGETS } from './targets.js';

/**
 * `npm run fuzz [-- --per-target N --seed S --target a,b --from I --workers K --out DIR]`:
 * a long fuzz run. Prints progress, the findings, and a table for the closing note; exits 1
 * when anything failed. Failing inputs are saved under --out (default fuzz-findings/).
 */

const { values } = parseArgs({
  options: {
    'per-target': { type: 'string', default: '1000' },
    seed: { type: 'string' },
    target: { type: 'string' },
    from: { type: 'string', default: '0' },
    workers: { type: 'string', default: String(Math.max(1, cpus().length)) },
    timeout: { type: 'string', default: '10000' },
    'rss-mib': { type: 'string', default: '512' },
    out: { type: 'string', default: 'fuzz-findings' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    `usage: npm run fuzz -- [--per-target N] [--seed S] [--target ${TARGETS.map((t) => t.name).join(',')}] [--from I] [--workers K] [--timeout MS] [--rss-mib M] [--out DIR]\n`,
  );
  process.exit(0);
}

const wanted = values.target?.split(',');
const unknown = wanted?.filter((n) => !TARGETS.some((t) => t.name === n));
if (unknown?.length) {
  process.stderr.write(`fuzz: unknown target ${unknown.join(', ')} (targets: ${TARGETS.map((t) => t.name).join(', ')})\n`);
  process.exit(1);
}
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() % 2 ** 31) >>> 0;
process.stdout.write(`fuzz: seed ${seed}, ${values['per-target']} case(s) per target, ${values.workers} worker(s)\n`);

const report = await runFuzz({
  targets: wanted ? TARGETS.filter((t) => wanted.includes(t.name)) : TARGETS,
  perTarget: Number(values['per-target']),
  seed,
  from: Number(values.from),
  workers: Number(values.workers),
  limits: { timeoutMs: Number(values.timeout), rssBytes: Number(values['rss-mib']) * 2 ** 20 },
  findingsDir: resolve(values.out!),
  log: (line) => process.stdout.write(`${line}\n`),
});

process.stdout.write(`\n${table(report)}\n`);
for (const f of report.findings) process.stdout.write(`${f.target} #${f.index} ${f.failure.kind} (${f.note}) → ${f.saved}\n  fresh process: ${f.fresh}\n`);
process.exit(report.findings.length ? 1 : 0);

function table(r: FuzzReport): string {
  const rows = r.targets.map((t) => {
    const failures = Object.entries(t.failures).map(([k, n]) => `${k} ${n}`).join(', ') || '0';
    const exits = Object.entries(t.exits).map(([k, n]) => `${k}: ${n}`).join(', ');
    return `| ${t.name} | ${t.cases} | ${t.runs} | ${exits} | ${failures} | ${t.unconfirmed} | ${t.maxRssMiB} | ${t.maxMs} | ${t.seconds.toFixed(0)} |`;
  });
  return [
    `seed ${r.seed}, ${r.seconds.toFixed(0)} s`,
    '| target | cases | runs | exit codes | failures | not reproduced | max RSS MiB | slowest ms | s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
