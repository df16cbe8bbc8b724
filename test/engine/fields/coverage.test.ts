import { describe, expect, it } from 'vitest';
import { hasExtractor } from '../../../src/engine/extract/fields.js';
import { syscallCatalog } from '../../../src/engine/fields/catalog.js';

describe('field catalog coverage', () => {
  it('every field `tsfalco fields` lists has an extractor', () => {
    const missing = [...syscallCatalog.all()].filter((f) => !hasExtractor(f.name)).map((f) => f.name);
    expect(missing).toEqual([]);
  });
});
