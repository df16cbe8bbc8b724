import type { Reporter, TestCase, TestModule } from 'vitest/node';

/**
 * Prints, after vitest's own summary, one short paragraph per failed test: its file and name and
 * the start of each error, long values clipped. When only the end of a long CI log can be read,
 * that end still says what failed and why.
 */
const CLIP = 240;
const LINES = 8;

const clip = (line: string) => (line.length > CLIP ? `${line.slice(0, CLIP)}… (${line.length} chars)` : line);

function digest(test: TestCase): string {
  const errors = test.result().errors ?? [];
  const body = errors.flatMap((e) => [e.message ?? String(e), ...(e.diff ? e.diff.split('\n') : [])])
    .flatMap((m) => m.split('\n'))
    .filter((l) => l.trim() !== '')
    .slice(0, LINES)
    .map((l) => `    ${clip(l)}`);
  return [`  ${test.module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`, ...body].join('\n');
}

export default class FailureDigest implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const failed: TestCase[] = [];
    for (const m of modules) for (const t of m.children.allTests()) if (t.result().state === 'failed') failed.push(t);
    const moduleErrors = modules.filter((m) => m.state() === 'failed' && [...m.children.allTests()].every((t) => t.result().state !== 'failed'));
    if (failed.length === 0 && moduleErrors.length === 0) return;
    const lines = ['', `Failure digest (${failed.length} failed tests):`, ...failed.map(digest)];
    for (const m of moduleErrors) lines.push(`  ${m.moduleId}: ${clip(m.errors().map((e) => e.message).join('; '))}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
