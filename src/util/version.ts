import { readFileSync } from 'node:fs';

/** tsfalco's version, from package.json (two levels above dist/src/util or src/util). */
function readVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tsfalco' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const TSFALCO_VERSION = readVersion();
