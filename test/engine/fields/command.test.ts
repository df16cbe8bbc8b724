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

  it('says in --json which fields tsfalco\'s capture cannot fill, and why', () => {
    const json = JSON.parse(run('--json')) as Array<{ fields: Array<{ name: string; desc: string }> }>;
    const desc = new Map(json.flatMap((c) => c.fields).map((f) => [f.name, f.desc]));
    // resource figures libscap reads from /proc and the driver from the task: our capture records none
    for (const name of ['proc.fdlimit', 'proc.vmsize', 'proc.vmrss', 'thread.pfmajor', 'thread.vmsize', 'thread.cpu']) {
      expect(desc.get(name), name).toMatch(/tsfalco's capture does not record (it|them)?[^.]*\.scap traces/);
    }
    // and fields it fills are not marked
    for (const name of ['proc.name', 'fd.name', 'proc.cwd']) expect(desc.get(name), name).not.toMatch(/does not record/);
  });

  it('rejects an unknown source with one line and exit 1', () => {
    const r = spawnSync(process.execPath, [join(repo, 'bin', 'run.js'), 'fields', '--source', 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("tsfalco: unknown event source 'nope' (known: syscall)");
  });
});
