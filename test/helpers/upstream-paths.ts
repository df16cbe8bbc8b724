/**
 * Where the material from outside the repository is (see upstream.ts, which the tests import):
 * the paths alone, without vitest, for the benches, which run with plain node from dist/ and
 * whose cold-load timings must not include loading vitest.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: the first folder above this module with a package.json (this file also runs compiled, from dist/test/helpers). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const UPSTREAM_DIR = resolve(process.env.TSFALCO_UPSTREAM_DIR || join(repoRoot(), '..', 'shared'));

/** Falco's three rule files (falcosecurity/rules), as paths relative to the upstream folder. */
export const FALCO_RULES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => `falco-rules/${f}`);

/** Falco's capture files (scripts/fetch-upstream.sh fetches exactly these). */
export const FALCO_CAPTURES = [
  'cat_write.scap',
  'connect_localhost.scap',
  'empty.scap',
  'libs_curl_google.scap',
  'libs_curl_google_comments.scap',
  'libs_single_ipv6_conn.scap',
  'libs_test_ipv6_client.scap',
  'open-multiple-files.scap',
  'ping_sendto.scap',
  'syscall.scap',
];

/** A capture's path relative to the upstream folder. */
export const capture = (name: string) => `fixtures/scap/${name}`;

export function upstreamPath(rel: string): string {
  return join(UPSTREAM_DIR, rel);
}

/** Null when every path is there; otherwise which are missing and how to get them. */
export function upstreamProblem(...rels: string[]): string | null {
  const missing = rels.filter((r) => !existsSync(upstreamPath(r)));
  if (missing.length === 0) return null;
  const shown = missing.slice(0, 2).join(', ') + (missing.length > 2 ? ` and ${missing.length - 2} more` : '');
  // falco-compat is our own conversion of falcosecurity/testing: nothing publishes it to fetch.
  const how = missing.some((r) => r.startsWith('falco-compat'))
    ? 'falco-compat is not published; set TSFALCO_UPSTREAM_DIR to a folder that has it'
    : 'run scripts/fetch-upstream.sh or set TSFALCO_UPSTREAM_DIR';
  return `${UPSTREAM_DIR} lacks ${shown}; ${how}`;
}
