import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFuzz } from './runner.js';
import { TARGETS } from './targets.js';

/**
 * The short, fixed-seed fuzz run of `npm test`: every target, a few dozen inputs each, under the
 * same limits as `npm run fuzz` (10 s, 512 MiB). A failure prints what failed, how, and the
 * command that makes that one input again. Long runs: `npm run fuzz -- --per-target 10000`.
 */

const PER_TARGET = 30;
const SEED = 20261204;
const findings = mkdtempSync(join(tmpdir(), 'tsfalco-fuzz-findings-'));
afterAll(() => rmSync(findings, { recursive: true, force: true }));

describe('fuzz (short fixed-seed run)', () => {
  it(`${PER_TARGET} inputs per target: no crash, hang, stack trace, internal message, unnamed error or blow-up`, async () => {
    const report = await runFuzz({
      targets: TARGETS,
      perTarget: PER_TARGET,
      seed: SEED,
      workers: 2,
      limits: { timeoutMs: 10_000, rssBytes: 512 * 2 ** 20 },
      findingsDir: findings,
    });
    // Every target ran all its inputs, and each input ran at least one command line.
    expect(report.targets.map((t) => [t.name, t.cases])).toEqual(TARGETS.map((t) => [t.name, PER_TARGET]));
    for (const t of report.targets) expect(t.runs).toBeGreaterThanOrEqual(PER_TARGET);
    // Inputs that fail are part of the fuzz: some exit 1 (with a clean message) in every target.
    expect(report.targets.filter((t) => (t.exits['1'] ?? 0) > 0).map((t) => t.name)).toEqual(TARGETS.map((t) => t.name));
    const described = report.findings.map(
      (f) => `${f.target} #${f.index} ${f.failure.kind} (${f.note}): ${f.failure.detail.split('\n').slice(0, 3).join(' / ')}\n  again: npm run fuzz -- --target ${f.target} --seed ${SEED} --from ${f.index} --per-target 1`,
    );
    expect(described).toEqual([]);
  }, 120_000);
});
