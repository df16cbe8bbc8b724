import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { conditionEventTypes, parseCondition } from '../../../src/rules/condition/index.js';
import { syscallEventTypes } from '../../../src/engine/fields/catalog.js';
import { upstreamIt, upstreamPath } from '../../helpers/upstream.js';

const ALL = ['open', 'openat', 'execve', 'connect', 'close', 'read'];
const types = (c: string) => conditionEventTypes(parseCondition(c), ALL);

describe('conditionEventTypes', () => {
  it.each([
    ['evt.type = execve', ['execve']],
    ['evt.type in (open, openat) and proc.name = x', ['open', 'openat']],
    ['evt.type != execve', ['close', 'connect', 'open', 'openat', 'read']],
    ['not evt.type in (open, openat)', ['close', 'connect', 'execve', 'read']],
    ['evt.type = execve and proc.name = foo or evt.type = open', ['execve', 'open']],
    ['evt.type = execve and not proc.name = foo', ['execve']],
    ['evt.type in (execve, open) and evt.type in (open, close)', ['open']],
    ['not (evt.type = open or evt.type = read)', ['close', 'connect', 'execve', 'openat']],
    ['not (evt.type = open and proc.name = x)', ALL.slice().sort()],
    ['not not evt.type = open', ['open']],
    ['syscall.type = connect', ['connect']],
    ['evt.num = 0', []],
    ['evt.num > 0 and evt.type = open', ['open']],
    ['evt.type = open and not evt.type exists', []],
    ['evt.type = nosuchevent', []],
  ])('%s', (cond, expected) => {
    expect([...types(cond)].sort()).toEqual(expected);
  });

  it('flags conditions that do not restrict the type', () => {
    expect(types('proc.name = foo').matchesAll).toBe(true);
    expect(types('evt.type = open').matchesAll).toBe(false);
  });

  it('rejects evt.type compared with a field or under a transformer', () => {
    expect(() => types('evt.type = val(proc.name)')).toThrow('right-hand field comparisons');
    expect(() => types('tolower(evt.type) = open')).toThrow('event code search does not support `evt.type` checks with transformers');
  });

  const WARNINGS = 'falco-compat/rules/falco_rules_warnings.yaml';
  upstreamIt('matches the LOAD_NO_EVTTYPE warnings of Falco test falco_rules_warnings.yaml', [WARNINGS], () => {
    const rules = parse(readFileSync(upstreamPath(WARNINGS), 'utf8'), { logLevel: 'error' }) as Array<{ rule: string; condition: string }>;
    const warned = rules
      .filter((r) => conditionEventTypes(parseCondition(r.condition), syscallEventTypes).tooMany)
      .map((r) => r.rule);
    expect(warned.sort()).toEqual(
      [
        'no_evttype',
        'evttype_not_equals',
        'leading_not',
        'not_equals_at_end',
        'not_at_end',
        'not_equals_and_not',
        'leading_in_not_equals_at_evttype',
        'not_with_evttypes',
        'not_with_evttypes_addl',
      ].sort(),
    );
  });

  it('handles 10000-term chains and deep nesting', () => {
    const big = Array.from({ length: 10000 }, (_, i) => `(evt.type = open and proc.pid = ${i})`).join(' or ');
    expect([...conditionEventTypes(parseCondition(big), syscallEventTypes)]).toEqual(['open']);
    const deep = 'not ('.repeat(2001) + 'evt.type = open' + ')'.repeat(2001);
    expect(conditionEventTypes(parseCondition(deep), syscallEventTypes).has('open')).toBe(false);
  });
});
