/** Big and deep inputs load without stack overflow and without quadratic time. */
import { describe, expect, it } from 'vitest';
import { load } from './helpers.js';

const RULE = (cond: string) => `- rule: r\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: INFO\n`;

function time<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

function bigList(n: number, flow: boolean): string {
  const items = Array.from({ length: n }, (_, i) => `item${i}`);
  const list = flow ? `- list: big\n  items: [${items.join(', ')}]\n` : `- list: big\n  items:\n${items.map((i) => `    - ${i}\n`).join('')}`;
  return list + RULE('evt.type=open and proc.name in (big)');
}

describe('size and nesting', () => {
  it('loads a 100k-item list (flow and block style) in linear time', () => {
    const small = time(() => load(bigList(25_000, true)));
    const large = time(() => load(bigList(100_000, true)));
    expect(large.value.results[0]!.errors).toEqual([]);
    const r = large.value.compiled!.rules[0]!;
    expect(r.name).toBe('r');
    expect(large.value.compiled!.lists[0]!.items).toHaveLength(100_000);
    // 4x the items must not cost anywhere near 16x the time.
    expect(large.ms).toBeLessThan(Math.max(small.ms * 10, 300));
    const block = time(() => load(bigList(100_000, false)));
    expect(block.value.results[0]!.errors).toEqual([]);
    expect(block.ms).toBeLessThan(20_000);
  }, 60_000);

  it('loads a deep macro chain, each macro using the previous one', () => {
    const chain = (n: number) => {
      let text = '- macro: m0\n  condition: proc.name=a0\n';
      for (let i = 1; i < n; i++) text += `- macro: m${i}\n  condition: m${i - 1} or proc.name=a${i}\n`;
      return text + RULE(`evt.type=open and m${n - 1}`);
    };
    const small = time(() => load(chain(200)));
    const large = time(() => load(chain(800)));
    expect(small.value.results[0]!.errors).toEqual([]);
    expect(large.value.results[0]!.errors).toEqual([]);
    expect(large.value.results[0]!.warnings.filter((w) => w.code === 'LOAD_UNUSED_MACRO')).toEqual([]);
    expect(large.ms).toBeLessThan(Math.max(small.ms * 40, 2000));
  }, 60_000);

  it('refuses absurdly deep nesting with a clean error, never a crash', () => {
    for (const text of [
      RULE('('.repeat(20_000) + 'proc.name=x' + ')'.repeat(20_000)),
      RULE('not '.repeat(20_000) + 'proc.name=x'),
      '- list: l\n  items: ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n',
      Array.from({ length: 3000 }, (_, i) => ' '.repeat(i) + '- a:').join('\n'),
    ]) {
      const l = load(text);
      const r = l.results[0]!;
      expect(typeof r.successful).toBe('boolean');
      if (!r.successful) expect(r.errors[0]!.message.length).toBeGreaterThan(0);
    }
  }, 60_000);
});
