/**
 * Material from outside the repository, which a clone does not have: Falco's rule files
 * (falco-rules/), Falco's capture files (fixtures/scap/) and tsfalco's conversion of Falco's legacy
 * regression tests (falco-compat/). It is looked for in $TSFALCO_UPSTREAM_DIR, by default in
 * ../shared next to the repository. Every test that reads it goes through this module: where a
 * file is missing the test is skipped with the reason in its name, except with
 * TSFALCO_REQUIRE_CAPTURE=1 (CI), where the absence fails instead (as captureSuite does for
 * capture prerequisites). The paths themselves are in upstream-paths.ts (re-exported here),
 * which the benches import without vitest.
 */
import { describe, expect, it } from 'vitest';
import { upstreamProblem } from './upstream-paths.js';

export * from './upstream-paths.js';

const REQUIRED = process.env.TSFALCO_REQUIRE_CAPTURE === '1';

const skippedName = (name: string, problem: string) => `${name} (skipped: ${problem})`;

/**
 * A suite that reads `needs` (paths relative to the upstream folder). Its body is still run to
 * collect the tests when skipped, so it must read the material only inside its tests or hooks.
 * `define` is the suite function when it runs (e.g. sysdigSuite for suites that also compare with sysdig).
 */
export function upstreamSuite(name: string, needs: readonly string[], body: () => void, options: { define?: (name: string, body: () => void) => void } = {}): void {
  const problem = upstreamProblem(...needs);
  if (problem && !REQUIRED) {
    describe.skip(skippedName(name, problem), body);
    return;
  }
  (options.define ?? describe)(name, () => {
    it("has Falco's material it reads", () => {
      expect(problem).toBeNull();
    });
    body();
  });
}

type TestFn = (name: string, fn: () => unknown, timeout?: number) => void;

/** One test that reads `needs`, for files whose other tests need nothing from outside. `test` is the test function when it runs (e.g. it.skipIf(…)). */
export function upstreamIt(name: string, needs: readonly string[], fn: () => unknown, options: { test?: TestFn; timeout?: number } = {}): void {
  const problem = upstreamProblem(...needs);
  if (problem && !REQUIRED) {
    it.skip(skippedName(name, problem), fn);
    return;
  }
  (options.test ?? it)(
    name,
    async () => {
      expect(problem).toBeNull();
      await fn();
    },
    options.timeout,
  );
}
