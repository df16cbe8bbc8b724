/**
 * `tsfalco fields` through the built CLI (`npm test` compiles first; after editing, run
 * `npm run build` before running this file alone).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const run = (...args: string[]) => execFileSync(process.execPath, [join(repo, 'bin', 'run.js'), 'fields', ...args], { encoding: 'utf8' });

describe('tsfalco fields', () => {
  it('lists classes with fields, types and descriptions', () => {
    const out = run('-v');
    expect(out).toContain('Field Class:                  evt (All event types)');
    expect(out).toContain('Field Class:                  process');
    expect(out).toMatch(/^proc\.name {21}\(Type: CHARBUF\) /m);
  });

  it('filters by substring and prints JSON', () => {
    const json = JSON.parse(run('fd.sport', '--json')) as Array<{ name: string; fields: Array<{ name: string; type: string }> }>;
    expect(json.map((c) => c.name)).toEqual(['fd']);
    expect(json[0]!.fields).toEqual([expect.objectContaining({ name: 'fd.sport', type: 'PORT' })]);
  });

  it('rejects an unknown source with one line and exit 1', () => {
    const r = spawnSync(process.execPath, [join(repo, 'bin', 'run.js'), 'fields', '--source', 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("tsfalco: unknown event source 'nope' (known: syscall)");
  });
});
