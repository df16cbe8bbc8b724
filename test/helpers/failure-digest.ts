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
    const lines: string[] = [];
    let failedTests = 0;
    for (const m of modules) {
      const file = m.moduleId.replace(`${process.cwd()}/`, '');
      // A failing beforeAll or import fails a suite or the file without failing a test in it.
      const setupErrors = [...m.errors(), ...[...m.children.allSuites()].flatMap((s) => s.errors())];
      for (const e of setupErrors) lines.push(`  ${file} (setup): ${clip((e.message ?? String(e)).split('\n')[0] ?? '')}`);
      for (const t of m.children.allTests()) {
        if (t.result().state !== 'failed') continue;
        failedTests++;
        lines.push(digest(t));
      }
    }
    if (lines.length === 0) return;
    process.stdout.write(`\nFailure digest (${failedTests} failed tests):\n${lines.join('\n')}\n`);
  }
}
