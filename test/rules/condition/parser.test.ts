import { describe, expect, it } from 'vitest';
import { ConditionError, exprDepth, parseCondition, type CheckExpr, type Expr } from '../../../src/rules/condition/index.js';
import { loadUpstream } from './upstream.js';
import { FALCO_RULES, upstreamIt } from '../../helpers/upstream.js';

const strip = (e: unknown): unknown =>
  JSON.parse(JSON.stringify(e, (k, v) => (k === 'pos' || k === 'opPos' ? undefined : v)));
const check = (text: string): CheckExpr => {
  const e = parseCondition(text);
  expect(e.kind).toBe('check');
  return e as CheckExpr;
};
function parseError(text: string): ConditionError {
  try {
    parseCondition(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConditionError);
    return e as ConditionError;
  }
  throw new Error(`expected a ConditionError for ${JSON.stringify(text)}`);
}

describe('parseCondition: constructs', () => {
  it('parses and/or/not with Falco precedence (not > and > or)', () => {
    expect(strip(parseCondition('a or b and not c or d'))).toEqual({
      kind: 'or',
      children: [
        { kind: 'macro', name: 'a' },
        { kind: 'and', children: [{ kind: 'macro', name: 'b' }, { kind: 'not', child: { kind: 'macro', name: 'c' } }] },
        { kind: 'macro', name: 'd' },
      ],
    });
  });

  it('keeps parenthesised groups as nested nodes and drops redundant parentheses', () => {
    expect(strip(parseCondition('((a)) and (b or c)'))).toEqual({
      kind: 'and',
      children: [{ kind: 'macro', name: 'a' }, { kind: 'or', children: [{ kind: 'macro', name: 'b' }, { kind: 'macro', name: 'c' }] }],
    });
  });

  it('toggles consecutive nots like Falco and accepts not( / and( / or(', () => {
    expect(strip(parseCondition('not not a'))).toEqual({ kind: 'macro', name: 'a' });
    expect(strip(parseCondition('not(a)and(b)or(c)'))).toEqual({
      kind: 'or',
      children: [
        { kind: 'and', children: [{ kind: 'not', child: { kind: 'macro', name: 'a' } }, { kind: 'macro', name: 'b' }] },
        { kind: 'macro', name: 'c' },
      ],
    });
  });

  it.each([
    ['=', 'proc.name = bash'],
    ['==', 'proc.name==bash'],
    ['!=', 'proc.name != bash'],
    ['<', 'proc.pid < 5'],
    ['<=', 'proc.pid <= 5'],
    ['>', 'proc.pid > 5'],
    ['>=', 'proc.pid >= 0x1F'],
    ['contains', 'proc.cmdline contains "-c x"'],
    ['icontains', 'proc.cmdline icontains BASH'],
    ['bcontains', 'evt.buffer bcontains 2f62696e'],
    ['startswith', 'fd.name startswith /etc'],
    ['bstartswith', 'evt.buffer bstartswith 7f454c46'],
    ['endswith', 'fd.name endswith .conf'],
    ['glob', 'fd.name glob /etc/*.conf'],
    ['iglob', 'fd.name iglob /ETC/*'],
    ['pmatch', 'fd.name pmatch (/etc, /usr/bin)'],
    ['in', 'evt.type in (open, openat)'],
    ['intersects', 'fd.types intersects (ipv4, ipv6)'],
    ['regex', "proc.name regex 'ba(s|z)h'"],
  ])('parses the %s operator', (op, text) => {
    const c = check(text);
    expect(c.op).toBe(op);
    expect(c.right).toBeDefined();
  });

  it('parses the unary exists operator', () => {
    const c = check('proc.pname exists');
    expect(c.op).toBe('exists');
    expect(c.right).toBeUndefined();
  });

  it('parses list literals with bare, double- and single-quoted items', () => {
    const c = check(`proc.name in (a, "b c", 'd', /usr/bin/e, x.y)`);
    expect(c.right).toMatchObject({
      kind: 'list',
      items: [
        { value: 'a', quoted: false },
        { value: 'b c', quoted: true },
        { value: 'd', quoted: true },
        { value: '/usr/bin/e', quoted: false },
        { value: 'x.y', quoted: false },
      ],
    });
    expect(check('proc.name in ()').right).toMatchObject({ kind: 'list', items: [] });
  });

  it('parses field arguments: index, path keys, quoted keys, dotted args', () => {
    expect(check('proc.aname[2] = bash').left).toMatchObject({ kind: 'field', name: 'proc.aname', arg: '2' });
    expect(check('json.value[/a/b] = x').left).toMatchObject({ name: 'json.value', arg: '/a/b' });
    expect(check('fd.types[0] exists').left).toMatchObject({ name: 'fd.types', arg: '0' });
    expect(check('container.mount.dest[/var/run/docker.sock] exists').left).toMatchObject({ arg: '/var/run/docker.sock' });
    expect(check('k8s.pod.label["app x"] = y').left).toMatchObject({ arg: 'app x' });
    expect(check('evt.arg.flags contains O_CREAT').left).toMatchObject({ name: 'evt.arg.flags' });
    expect(check('evt.arg[0] = 3').left).toMatchObject({ name: 'evt.arg', arg: '0' });
  });

  it('parses transformers on the left and val()/transformers on the right', () => {
    const c = check('tolower(toupper(proc.name)) = bash');
    expect(strip(c.left)).toEqual({
      kind: 'transform',
      name: 'tolower',
      value: { kind: 'transform', name: 'toupper', value: { kind: 'field', name: 'proc.name' } },
    });
    for (const t of ['b64', 'basename', 'len']) expect(check(`${t}(fd.name) exists`).left).toMatchObject({ kind: 'transform', name: t });
    expect(strip(check('proc.name = val(proc.pname)').right)).toEqual({ kind: 'transform', name: 'val', value: { kind: 'field', name: 'proc.pname' } });
    expect(check('len(proc.name) > len(proc.pname)').right).toMatchObject({ kind: 'transform', name: 'len' });
  });

  it('unescapes quoted strings as Falco does', () => {
    expect(check(`proc.name = "a\\"b\\x41\\tz"`).right).toMatchObject({ value: 'a"bA\tz' });
    expect(check(`proc.name = ""`).right).toMatchObject({ value: '', quoted: true });
  });

  it('records 0-based positions within the condition text', () => {
    const e = parseCondition('a and\n  proc.name = bash') as Expr & { children: CheckExpr[] };
    const c = e.children[1]!;
    expect(c.pos).toEqual({ offset: 8, line: 1, column: 2 });
    expect(c.opPos).toEqual({ offset: 18, line: 1, column: 12 });
    expect((c.right as { pos: unknown }).pos).toEqual({ offset: 20, line: 1, column: 14 });
  });

  it('keeps keyword-prefixed identifiers and fields as names', () => {
    expect(strip(parseCondition('inbound and order_x or notify or exists_x'))).toMatchObject({ kind: 'or' });
    expect(check('proc.name = and').right).toMatchObject({ value: 'and' });
  });
});

describe('parseCondition: errors', () => {
  it.each([
    ['evt.type=execve foo', "unexpected token after 'execve', expecting 'or', 'and'", 16],
    ['a)', "unexpected token after 'a', expecting 'or', 'and'", 1],
    ['(a', "expected a ')' token", 2],
    ['a and', "expected a '(' token, a field check, or an identifier", 5],
    ['   ', "expected a '(' token, a field check, or an identifier", 3],
    ['', 'filter input string is empty', 0],
    ['proc.name', "expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'", 9],
    ['proc.name = ', "expected a string value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len'", 12],
    ['proc.pid > abc', "expected a number value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len'", 11],
    ['proc.name in (a, b', "expected a ')' token", 18],
    ['proc.name in (a,)', 'expected a string value', 16],
    ['proc.name = val(x)', "expected a field within 'val' transformer", 16],
    ['tolower(proc.name = x', "expected a ')' token closing the transformer", 18],
    ['proc.name = "a\\qb"', 'unsupported string escape sequence: \\q', 12],
    ['evt.type in open.x', "unexpected token after 'open', expecting 'or', 'and'", 16],
    ['a andb', "expected blank or '(' after 'and'", 5],
    ['a ornot b', "expected blank or '(' after 'or'", 4],
  ])('%j -> %s at %d', (text, message, offset) => {
    const e = parseError(text);
    expect(e.message).toBe(message);
    expect(e.pos.offset).toBe(offset);
    expect(e.code).toBe('LOAD_ERR_COMPILE_CONDITION');
  });

  it('gives line and column of errors on later lines', () => {
    const e = parseError('evt.type = open and\n   proc.name = x y');
    expect(e.pos).toEqual({ offset: 37, line: 1, column: 17 });
  });
});

describe('parseCondition: size limits', () => {
  it('parses 5000 nested parentheses without recursion', () => {
    const text = '('.repeat(5000) + 'proc.name = a' + ')'.repeat(5000);
    expect(check(text).op).toBe('=');
    const t2 = 'not ('.repeat(3000) + 'a' + ')'.repeat(3000);
    const e = parseCondition(t2);
    expect(exprDepth(e)).toBe(3001);
  });

  it('parses a 10000-term or chain as one flat node, in linear time', () => {
    const terms = Array.from({ length: 10000 }, (_, i) => `proc.pid = ${i}`);
    const t0 = performance.now();
    const e = parseCondition(terms.join(' or '));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(e.kind).toBe('or');
    expect((e as { children: unknown[] }).children).toHaveLength(10000);
  });

  it('parses a list of 100k items', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => `/p/${i}`);
    const t0 = performance.now();
    const c = check(`fd.name in (${items.join(', ')})`);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((c.right as { items: unknown[] }).items).toHaveLength(100_000);
  });
});

describe('parseCondition: upstream rules', () => {
  upstreamIt('parses every macro and rule condition of the three upstream files', FALCO_RULES, () => {
    const up = loadUpstream();
    expect(up.rules).toHaveLength(93);
    for (const [name, c] of up.macros) expect(() => parseCondition(c), name).not.toThrow();
    for (const r of up.rules) expect(() => parseCondition(r.condition), r.rule).not.toThrow();
  });
});
