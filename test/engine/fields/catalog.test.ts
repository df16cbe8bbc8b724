import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitFieldName } from '../../../src/rules/catalog.js';
import { syscallCatalog, syscallEventTypes } from '../../../src/engine/fields/catalog.js';
import { fieldListJson, renderFieldList } from '../../../src/engine/fields/listing.js';
import { FALCO_RULES, upstreamIt, upstreamPath } from '../../helpers/upstream.js';

describe('syscall field catalog', () => {
  const COMPAT_RULES = 'falco-compat/rules';
  upstreamIt('declares every field the upstream and falco-compat rules use', [...FALCO_RULES, COMPAT_RULES], () => {
    const compat = readdirSync(upstreamPath(COMPAT_RULES)).filter((f) => f.endsWith('.yaml')).map((f) => `${COMPAT_RULES}/${f}`);
    const text = [...FALCO_RULES, ...compat]
      .map((f) => readFileSync(upstreamPath(f), 'utf8'))
      .join('\n')
      .split('\n')
      // list items and comments hold strings like "user.log" that are not fields
      .filter((l) => !/^\s*(#|items:|- )/.test(l) || /condition|output/.test(l))
      .join('\n');
    const used = new Set(text.match(/\b(?:evt|proc|thread|fd|user|group|container|fs\.path|syscall)\.[a-zA-Z0-9_.]+/g) ?? []);
    const missing = [...used].filter((u) => !u.endsWith('.') && !['proc.nobody', 'not.exist'].includes(u) && !splitFieldName(syscallCatalog, u));
    expect(missing).toEqual([]);
  });

  it('has Falco types, argument shapes and flags', () => {
    expect(syscallCatalog.lookup('proc.pid')).toMatchObject({ type: 'int64', arg: 'none' });
    expect(syscallCatalog.lookup('proc.aname')).toMatchObject({ type: 'charbuf', arg: 'optional', argKind: 'index', matchAnyWithoutArg: true, noRhs: true });
    expect(syscallCatalog.lookup('fd.types')).toMatchObject({ isList: true });
    expect(syscallCatalog.lookup('evt.around')).toMatchObject({ filterOnly: true });
    expect(splitFieldName(syscallCatalog, 'evt.arg.flags')).toMatchObject({ field: { name: 'evt.arg' }, dotArg: 'flags' });
    expect(syscallCatalog.all().length).toBeGreaterThan(250);
  });

  it('knows the event types evt.type accepts', () => {
    expect(syscallEventTypes.names).toContain('execve');
    expect(syscallEventTypes.names).toContain('openat2');
    expect(syscallEventTypes.codes('open')).toBeGreaterThanOrEqual(2);
    expect(syscallEventTypes.names).not.toContain('some_invalid_event');
  });

  it('lists fields like falco --list, as text and JSON', () => {
    const text = renderFieldList(syscallCatalog, { filter: 'proc.aname', verbose: true });
    expect(text).toContain('Field Class:                  process');
    expect(text).toMatch(/^proc\.aname {20}\(Type: CHARBUF\) The proc\.name/m);
    const json = fieldListJson(syscallCatalog, { filter: 'fd.types' }) as Array<{ name: string; fields: Array<Record<string, unknown>> }>;
    expect(json).toHaveLength(1);
    expect(json[0]!.fields[0]).toMatchObject({ name: 'fd.types', type: 'CHARBUF', is_list: true, argument: { required: false } });
    expect(renderFieldList(syscallCatalog, { namesOnly: true }).split('\n')).toContain('evt.num');
    // hidden (table-only) fields are not listed
    expect(renderFieldList(syscallCatalog, { namesOnly: true })).not.toContain('evt.count.procinfo');
  });
});
