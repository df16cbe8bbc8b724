import { describe, expect, it } from 'vitest';
import {
  checkCondition,
  ConditionError,
  parseCondition,
  referencedNames,
  resolveCondition,
  type CheckExpr,
  type Expr,
} from '../../../src/rules/condition/index.js';
import { syscallCatalog } from '../../../src/engine/fields/catalog.js';

const env = (macros: Record<string, string>, lists: Record<string, string[]> = {}) => {
  const parsed = new Map(Object.entries(macros).map(([k, v]) => [k, parseCondition(v)]));
  const used = { macros: new Set<string>(), lists: new Set<string>() };
  return { macro: (n: string) => parsed.get(n), list: (n: string) => lists[n], used };
};

describe('referencedNames', () => {
  it('collects macro identifiers and unquoted list candidates', () => {
    const r = referencedNames(parseCondition('spawned_process and proc.name in (shell_binaries, "quoted", bash) and not m2 and proc.pname = lone'));
    expect([...r.macros].sort()).toEqual(['m2', 'spawned_process']);
    expect([...r.lists].sort()).toEqual(['bash', 'lone', 'shell_binaries']);
  });
});

describe('resolveCondition', () => {
  it('substitutes macros recursively and records what it used', () => {
    const e = env({ a: 'b or proc.name = x', b: 'evt.type = open' });
    const out = resolveCondition(parseCondition('a and proc.pid = 1'), e);
    expect(JSON.stringify(out)).not.toContain('"macro"');
    expect([...e.used.macros].sort()).toEqual(['a', 'b']);
  });

  it('reports an undefined macro with Falco code and message', () => {
    try {
      resolveCondition(parseCondition('evt.type = open and bar'), env({}));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConditionError);
      expect((err as ConditionError).message).toBe("Undefined macro 'bar' used in filter.");
      expect((err as ConditionError).code).toBe('LOAD_ERR_VALIDATE');
      expect((err as ConditionError).pos.offset).toBe(20);
    }
  });

  it('detects macro reference loops', () => {
    expect(() => resolveCondition(parseCondition('a'), env({ a: 'b', b: 'a' }))).toThrow("reference loop in macro 'a'");
  });

  it('expands lists, lists inside lists, and unquotes quoted items; quoted names are literal', () => {
    const e = env({}, { inner: ['x', '"y z"'], outer: ['inner', 'w'] });
    const out = resolveCondition(parseCondition('proc.name in (outer, "inner", v)'), e) as CheckExpr;
    expect((out.right as { items: Array<{ value: string }> }).items.map((i) => i.value)).toEqual(['x', 'y z', 'w', 'inner', 'v']);
    expect([...e.used.lists].sort()).toEqual(['inner', 'outer']);
  });

  it('treats a bare value naming a list as Falco textual substitution does', () => {
    const one = resolveCondition(parseCondition('proc.name = single'), env({}, { single: ['bash'] })) as CheckExpr;
    expect(one.right).toMatchObject({ kind: 'value', value: 'bash', fromList: 'single' });
    expect(() => resolveCondition(parseCondition('proc.name in many'), env({}, { many: ['a', 'b'] }))).toThrow(
      "unexpected token after 'a', expecting 'or', 'and'",
    );
  });

  it('shares macro bodies instead of copying them (linear in uses)', () => {
    const uses = Array.from({ length: 2000 }, () => 'm').join(' or ');
    const e = env({ m: 'proc.name in (a, b, c) and evt.type = open' });
    const out = resolveCondition(parseCondition(uses), e) as Expr & { children: Expr[] };
    expect(out.children[0]).toBe(out.children[1999]);
  });
});

const problems = (text: string) => checkCondition(parseCondition(text), syscallCatalog);
const firstError = (text: string) => problems(text).errors[0];

describe('checkCondition', () => {
  it('accepts valid checks of every kind', () => {
    for (const t of [
      'evt.type in (open, openat) and fd.name startswith /etc',
      'proc.aname[2] = bash and proc.apid[1] > 0',
      'evt.arg.flags contains O_CREAT and evt.arg[0] exists',
      'tolower(proc.name) = bash and len(proc.cmdline) > 10 and basename(fd.name) = passwd',
      'proc.name = val(proc.pname)',
      'fd.types intersects (ipv4, ipv6) and fd.types in (file)',
      'fd.net = 10.0.0.0/8 and fd.sip = 127.0.0.1 and fd.sport in (80, 443)',
      'evt.is_open_read = true and evt.buffer bcontains 2f62696e',
      'container.mount.dest[/var/run/docker.sock] exists',
      "fd.name regex '/etc/(passwd|shadow)'",
    ]) {
      expect(problems(t).errors, t).toEqual([]);
    }
  });

  it.each([
    ['proc.nobody = x', 'filter_check called with nonexistent field proc.nobody', true],
    ['proc.name[1] = x', 'filter_check called with nonexistent field proc.name[1]', true],
    ['evt.type = some_invalid_event', 'unknown event type some_invalid_event', true],
    ['evt.arg.nosuchparam = 1', 'unknown event argument nosuchparam', false],
    ['evt.arg.flagsx = 1', 'filter_check called with nonexistent field evt.arg.flagsx', true],
    ['proc.pid contains 1', "filter error: 'contains' operator not supported for numeric filters", false],
    ['proc.pid = abc', 'abc is not a valid number', false],
    ['evt.failed = maybe', 'filter error: unrecognized boolean value maybe', false],
    ['fd.types = ipv4', "filter error: '=' operator not supported list filters", false],
    ['fd.sip startswith 10', "filter error: 'startswith' operator not supported for ip address and network filters", false],
    ['proc.name bcontains zz', "filter error: 'bcontains' operator not supported for string filters", false],
    ['evt.buffer bcontains zz', 'filter error: bcontains and bstartswith operator support hex strings only', false],
    ["proc.name regex 'a('", 'invalid regex pattern: error parsing regexp: missing closing ): `a(`', false],
    ['tolower(proc.pid) = 1', "can't add field transformer: type 'INT64' is not supported by 'tolower' transformer applied on field 'proc.pid'", false],
    ['tolower(proc.aname) = x', "field 'proc.aname' does not support transformers", false],
    ['proc.name = val(proc.pid)', "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'proc.pid' has incompatible type 'INT64'", false],
    ['proc.name pmatch val(proc.pname)', "operator 'PMATCH' doesn't support right-hand side fields", false],
    ['evt.arg = x', 'filter syntax error: evt.arg', false],
  ])('%s -> %s', (text, message, unknown) => {
    const e = firstError(text);
    expect(e?.message).toBe(message);
    expect(e?.code).toBe('LOAD_ERR_COMPILE_CONDITION');
    expect(!!e?.unknown).toBe(unknown);
  });

  it('places errors at the offending token', () => {
    expect(firstError('evt.type = open and proc.nobody = x')?.pos.offset).toBe(20);
    expect(firstError('evt.type in (open, bogus)')?.pos.offset).toBe(19);
  });

  it("warns like Falco's compiler about regexes and misused field names", () => {
    const w = problems("proc.name regex 'bash' and proc.name = proc.pname").warnings.map((x) => x.message);
    expect(w).toContain("regex check with 'bash' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'");
    expect(w).toContain("'proc.pname' may be a valid field misused as a const string value");
    expect(problems("proc.name regex 'ba.h$x'").warnings).toEqual([]);
  });

  it('reports leftover macro references', () => {
    expect(firstError('evt.type = open and m')?.message).toBe("filter error: unexpected identifier 'm'");
  });
});
