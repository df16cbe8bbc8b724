/**
 * YAML fuzzing: mutated pieces of the upstream rule files (cut, duplicated or swapped lines,
 * flipped characters, changed indentation, swapped values) go through the loader. Every input
 * must end in a clean load result — never an exception, a crash or a hang.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadResultsJson } from '../../../src/rules/load/loader.js';
import { ERROR_DESCS, WARNING_DESCS } from '../../../src/rules/load/result.js';
import { load } from './helpers.js';
import { rng } from '../../helpers/rng.js';
import { FALCO_RULES, upstreamPath, upstreamSuite } from '../../helpers/upstream.js';

const FILES = FALCO_RULES.map(upstreamPath);

const NOISE = [':', '-', ' ', '\t', '[', ']', '{', '}', '"', "'", '#', '&', '*', '!', '|', '>', '%', '@', '`', '\\', '\n', '(', ')', ',', '=', '?', '~', '\u00e9', '\u0000'];

function mutate(lines: string[], rand: () => number): string {
  const out = lines.slice();
  const pick = (n: number) => Math.floor(rand() * n);
  const steps = 1 + pick(4);
  for (let s = 0; s < steps && out.length > 0; s++) {
    const i = pick(out.length);
    switch (pick(9)) {
      case 0: // cut a run of lines
        out.splice(i, 1 + pick(5));
        break;
      case 1: // duplicate a run of lines
        out.splice(i, 0, ...out.slice(i, i + 1 + pick(6)));
        break;
      case 2: { // flip characters
        const line = out[i]!;
        const chars = [...line];
        for (let k = 0; k < 1 + pick(3); k++) chars[pick(chars.length + 1)] = NOISE[pick(NOISE.length)]!;
        out[i] = chars.join('');
        break;
      }
      case 3: // change indentation
        out[i] = ' '.repeat(pick(9)) + out[i]!.trimStart();
        break;
      case 4: { // swap the values of two "key: value" lines
        const j = pick(out.length);
        const a = /^(\s*-?\s*[\w-]+:)(.*)$/.exec(out[i]!);
        const b = /^(\s*-?\s*[\w-]+:)(.*)$/.exec(out[j]!);
        if (a && b) {
          out[i] = a[1] + b[2];
          out[j] = b[1] + a[2];
        }
        break;
      }
      case 5: // swap two lines
        [out[i], out[pick(out.length)]] = [out[pick(out.length)]!, out[i]!];
        break;
      case 6: // cut a line in half
        out[i] = out[i]!.slice(0, pick(out[i]!.length + 1));
        break;
      case 7: { // replace a value by another scalar kind
        const kinds = ['', '~', 'true', '[]', '{}', '[a, [b]]', '{a: 1}', '"', '!!str 1', '&x y', '*x', '- a', '0.57.0', '99999999999999999999'];
        out[i] = out[i]!.replace(/:\s.*$/, ': ' + kinds[pick(kinds.length)]);
        break;
      }
      default: // insert a document marker or a stray item
        out.splice(i, 0, ['---', '...', '- ', '-', 'rule: x', '- rule:', '- macro: m', '  append: true', '  override:', '    condition: append'][pick(10)]!);
    }
  }
  return out.join('\n');
}

upstreamSuite('YAML fuzz', FALCO_RULES, () => {
  it('10,000 mutated rule files give only clean results', () => {
    const sources = FILES.map((f) => readFileSync(f, 'utf8').split('\n'));
    const rand = rng(20240611);
    const errorCodes = new Set(Object.keys(ERROR_DESCS));
    const warningCodes = new Set(Object.keys(WARNING_DESCS));
    let failures = 0;
    let worstMs = 0;
    const outcomes = { ok: 0, failed: 0 };
    for (let n = 0; n < 10_000; n++) {
      const src = sources[Math.floor(rand() * sources.length)]!;
      const len = 10 + Math.floor(rand() * 120);
      const start = Math.floor(rand() * Math.max(1, src.length - len));
      const text = mutate(src.slice(start, start + len), rand);
      const t = performance.now();
      let loader;
      try {
        loader = load({ 'fuzz.yaml': text });
      } catch (e) {
        failures++;
        if (failures <= 3) console.error(`input ${n} threw: ${(e as Error).stack}\n---\n${text}\n---`);
        continue;
      }
      worstMs = Math.max(worstMs, performance.now() - t);
      const r = loader.results[0]!;
      expect(r.successful).toBe(r.errors.length === 0);
      for (const e of r.errors) {
        expect(errorCodes.has(e.code)).toBe(true);
        expect(e.message.length).toBeGreaterThan(0);
        expect(e.context.locations.length).toBeGreaterThan(0);
      }
      for (const w of r.warnings) expect(warningCodes.has(w.code)).toBe(true);
      const doc = JSON.parse(JSON.stringify(loadResultsJson(loader)));
      expect(doc.falco_load_results[0].name).toBe('fuzz.yaml');
      outcomes[r.successful ? 'ok' : 'failed']++;
    }
    expect(failures).toBe(0);
    // Both kinds of outcome must occur, or the mutations are not exercising anything.
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.failed).toBeGreaterThan(1000);
    expect(worstMs).toBeLessThan(2000);
  }, 300_000);
});
