import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLUMNS, type ColumnKind } from '../../src/trace/columns.js';
import { RECORD_TYPES } from '../../src/trace/columns.js';
import { ROOT } from '../helpers/cli.js';

const ARROW_TYPE: Record<ColumnKind, string> = {
  timestamp: 'Timestamp(ns, UTC)',
  int64: 'Int64',
  uint64: 'UInt64',
  int32: 'Int32',
  uint32: 'UInt32',
  int16: 'Int16',
  uint16: 'UInt16',
  uint8: 'UInt8',
  bool: 'Bool',
  string: 'Dictionary<Int32, Utf8>',
  strings: 'List<Utf8>',
  binary: 'Binary',
  map: 'Map<Utf8, Utf8>',
};

describe('src/trace/README.md', () => {
  const readme = readFileSync(join(ROOT, 'src/trace/README.md'), 'utf8');
  const rows = new Map(
    readme
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => {
        const cells = l.split(/(?<!\\)\|/).map((c) => c.trim());
        return [cells[1].replace(/`/g, ''), cells] as const;
      }),
  );

  it('documents every column with its Arrow type, meaning and Falco fields', () => {
    for (const col of COLUMNS) {
      const cells = rows.get(col.name);
      expect(cells, `column ${col.name} is missing from the README`).toBeDefined();
      expect(cells![2]).toBe(ARROW_TYPE[col.kind] + (col.required ? ' (not null)' : ''));
      expect(cells![3].length).toBeGreaterThan(10);
      expect(cells![3].replace(/\\\|/g, '|')).toBe(col.doc);
    }
  });

  it('documents every record type', () => {
    for (const type of Object.values(RECORD_TYPES)) expect(readme).toContain(`| \`${type}\` |`);
  });
});
