import { describe, expect, it } from 'vitest';
import { get, parseYaml, valueOffsetToSource, type YNode } from '../../../src/rules/load/yaml.js';

function docs(text: string): (YNode | undefined)[] {
  const r = parseYaml(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.docs;
}

describe('yaml-cpp compatible reading', () => {
  it('reports parse errors in yaml-cpp wording and 1-based position', () => {
    const r = parseYaml('this : is : not : yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toBe('yaml-cpp: error at line 1, column 11: illegal map value');
      expect(r.error.mark).toEqual({ offset: 10, line: 0, column: 10 });
    }
  });

  it('keeps every scalar as text and ignores unknown tags such as !=', () => {
    const [d] = docs('- desc: != some text\n  eq: =\n  n: 5\n  b: true\n');
    const item = (d as { items: YNode[] }).items[0]!;
    expect(get(item, 'desc')).toMatchObject({ kind: 'scalar', value: 'some text' });
    expect(get(item, 'eq')).toMatchObject({ kind: 'scalar', value: '=' });
    expect(get(item, 'n')).toMatchObject({ kind: 'scalar', value: '5' });
    expect(get(item, 'b')).toMatchObject({ kind: 'scalar', value: 'true' });
  });

  it('reads ~, null and empty plain values as null but quoted ones as strings', () => {
    const [d] = docs('a: ~\nb: null\nc:\nd: ""\ne: "null"\n');
    expect(get(d, 'a')?.kind).toBe('null');
    expect(get(d, 'b')?.kind).toBe('null');
    expect(get(d, 'c')?.kind).toBe('null');
    expect(get(d, 'd')).toMatchObject({ kind: 'scalar', value: '' });
    expect(get(d, 'e')).toMatchObject({ kind: 'scalar', value: 'null' });
  });

  it('allows duplicate keys and finds the first, as yaml-cpp does', () => {
    const [d] = docs('a: 1\na: 2\n');
    expect(get(d, 'a')).toMatchObject({ value: '1' });
  });

  it('reads several documents', () => {
    const d = docs('---\n- a: 1\n---\n- b: 2\n');
    expect(d).toHaveLength(2);
  });

  it('gives 0-based marks for items', () => {
    const [d] = docs('\n- rule: x\n  desc: y\n');
    const item = (d as { items: YNode[] }).items[0]!;
    expect(item.mark).toEqual({ offset: 3, line: 1, column: 2 });
    expect(get(item, 'desc')!.mark).toEqual({ offset: 19, line: 2, column: 8 });
  });

  it('shares aliased nodes and rejects undefined anchors cleanly', () => {
    const [d] = docs('a: &x [1, 2]\nb: *x\n');
    expect(get(d, 'b')).toBe(get(d, 'a'));
    const r = parseYaml('a: *nope\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('the referenced anchor is not defined: nope');
  });

  it('rejects absurd nesting without overflowing the stack', () => {
    const r = parseYaml('['.repeat(5000) + ']'.repeat(5000));
    expect(r.ok).toBe(false);
  });

  it('maps offsets of a folded scalar back into the file', () => {
    const text = '- macro: m\n  condition: >\n    evt.type = open\n    and proc.name = cat\n';
    const [d] = docs(text);
    const node = get((d as { items: YNode[] }).items[0], 'condition');
    if (node?.kind !== 'scalar') throw new Error('no scalar');
    const valueOffset = node.value.indexOf('proc.name');
    const src = valueOffsetToSource(text, node, valueOffset);
    expect(text.slice(src, src + 9)).toBe('proc.name');
  });
});
