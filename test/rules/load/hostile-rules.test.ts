import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, STACK_LINE, tempDir } from '../../helpers/cli.js';

/**
 * Issue #11: rules files built to explode. Macros that use each other twice double at each level
 * (30 levels: a billion checks per event), and a chain of thousands of macros is deeper than any
 * stack: each gets one Falco-style error naming the file, the line and the rule, at once.
 */

const tmp = tempDir('tsfalco-hostile-rules-');
afterAll(tmp.cleanup);

function validate(name: string, yaml: string) {
  const path = join(tmp.dir, name);
  writeFileSync(path, yaml);
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'rules', 'validate', path], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { path, r, ms: Date.now() - started };
}

const rule = (cond: string) => `- rule: r\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: WARNING\n`;

describe('rules files that explode', () => {
  it('refuses macros that double at each level, naming the rule, instead of expanding them', () => {
    let yaml = '- macro: m0\n  condition: proc.name = x\n';
    for (let i = 1; i <= 31; i++) yaml += `- macro: m${i}\n  condition: (m${i - 1} and m${i - 1})\n`;
    const { path, r, ms } = validate('double.yaml', yaml + rule('evt.type=open and m31'));
    expect(r.error, 'it must not hang').toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${path}:67:14: error LOAD_ERR_COMPILE_CONDITION (Error compiling condition): condition too large once its macros are expanded (4,294,967,297 nodes; at most 1,000,000)`);
    expect(r.stdout).toContain("in rule 'r'");
    expect(ms).toBeLessThan(30_000);
  });

  it('takes a doubling that stays small', () => {
    let yaml = '- macro: m0\n  condition: proc.name = x\n';
    for (let i = 1; i <= 10; i++) yaml += `- macro: m${i}\n  condition: (m${i - 1} and m${i - 1})\n`;
    const { r } = validate('small.yaml', yaml + rule('evt.type=open and m10'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('reports a chain of 2,000 macros as Falco does (max depth 1000), with no stack overflow', () => {
    let yaml = '- macro: c0\n  condition: proc.name = x\n';
    for (let i = 1; i < 2000; i++) yaml += `- macro: c${i}\n  condition: c${i - 1}\n`;
    const { path, r } = validate('chain.yaml', yaml + rule('evt.type=open and c1999'));
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${path}:4003:14: error LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): exceeded max depth limit of 1000`);
    expect(r.stdout + r.stderr).not.toMatch(/RangeError|Maximum call stack/);
    expect(r.stdout + r.stderr).not.toMatch(STACK_LINE);
  });
});
