/** `tsfalco rules validate` and `tsfalco rules list` as a user runs them (the built binary). */
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_LINE, tempDir, tsfalco } from '../../helpers/cli.js';
import { FALCO_RULES, upstreamIt, upstreamPath } from '../../helpers/upstream.js';

const UPSTREAM = FALCO_RULES.map(upstreamPath);

describe('tsfalco rules validate', () => {
  upstreamIt('accepts the three upstream files: exit 0, one JSON line, all successful', FALCO_RULES, () => {
    const r = tsfalco(['rules', 'validate', ...UPSTREAM, '--json']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!);
    expect(doc.falco_load_results.map((x: { successful: boolean; errors: unknown[] }) => [x.successful, x.errors.length])).toEqual([
      [true, 0], [true, 0], [true, 0],
    ]);
  });

  it('exits 1 on an error and points at file:line:col with the offending text', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'bad.yaml');
      writeFileSync(f, '- rule: r\n  desc: d\n  condition: evt.type=open and proc.nobody=cat\n  output: o\n  priority: INFO\n');
      const r = tsfalco(['rules', 'validate', f]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`${f}: Invalid`);
      expect(r.stdout).toContain(`${f}:3:32: error LOAD_ERR_COMPILE_CONDITION (Error compiling condition): filter_check called with nonexistent field proc.nobody`);
      expect(r.stdout).toMatch(/3 \|   condition: evt\.type=open and proc\.nobody=cat\n\s+\|\s+\^/);
      expect(r.stdout + r.stderr).not.toMatch(STACK_LINE);
    } finally {
      t.cleanup();
    }
  });

  it('exits 0 with only warnings', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'warn.yaml');
      writeFileSync(f, '- list: unused\n  items: [a]\n');
      const r = tsfalco(['rules', 'validate', f, '--json']);
      expect(r.status).toBe(0);
      const res = JSON.parse(r.stdout).falco_load_results[0];
      expect(res.warnings.map((w: { code: string }) => w.code)).toEqual(['LOAD_UNUSED_LIST']);
    } finally {
      t.cleanup();
    }
  });

  it('reports a missing file and a bad option in one line, exit 1', () => {
    const r = tsfalco(['rules', 'validate', '/nonexistent/rules.yaml']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('tsfalco: Could not read rules file /nonexistent/rules.yaml: no such file or directory');
    const o = tsfalco(['rules', 'validate', UPSTREAM[0]!, '-o', 'priority=loud']);
    expect(o.status).toBe(1);
    expect(o.stderr).toMatch(/^tsfalco: -o priority=loud: Unknown priority "loud"/);
  });
});

describe('tsfalco rules list', () => {
  upstreamIt('lists rules with description, priority, source and tags', FALCO_RULES.slice(0, 1), () => {
    const r = tsfalco(['rules', 'list', '-r', UPSTREAM[0]!]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Rule {47}Description\n---- {47}-----------\n/);
    expect(r.stdout).toContain('Terminal shell in container');
    expect(r.stdout).toMatch(/\[Notice, syscall; .*maturity_stable/);
    expect(r.stdout).toContain('25 rule(s)');
    const j = tsfalco(['rules', 'list', '-r', UPSTREAM[0]!, '--json']);
    const doc = JSON.parse(j.stdout);
    expect(doc.rules).toHaveLength(25);
    expect(doc.rules[0].info).toMatchObject({ name: 'Directory traversal monitored file read', priority: 'Warning', source: 'syscall' });
  });

  it('needs -r while the bundled rules file does not exist', () => {
    if (existsSync(join(__dirname, '..', '..', '..', 'rules', 'tsfalco_rules.yaml'))) return;
    const r = tsfalco(['rules', 'list']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tsfalco: no rules to list: give a rules file with -r FILE/);
  });
});
