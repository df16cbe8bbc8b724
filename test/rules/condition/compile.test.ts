import { describe, expect, it } from 'vitest';
import {
  checkCondition,
  compileCondition,
  ConditionError,
  parseCondition,
  resolveCondition,
  type ExtractorProvider,
} from '../../../src/rules/condition/index.js';
import { syscallCatalog } from '../../../src/engine/fields/catalog.js';
import { objectProvider } from './upstream.js';

const compile = (text: string, provider: ExtractorProvider = objectProvider) =>
  compileCondition(parseCondition(text), syscallCatalog, provider);
const ev = (text: string, cursor: Record<string, unknown>) => compile(text)(cursor);

describe('compileCondition: string operators', () => {
  const c = { 'proc.name': 'bash', 'fd.name': '/etc/ssh/sshd_config', 'proc.cmdline': 'bash -c ID' };
  it.each([
    ['proc.name = bash', true],
    ['proc.name == sh', false],
    ['proc.name != sh', true],
    // numeric operators take numbers only (Falco's grammar); on strings they compare bytes
    ['proc.name > 100', true],
    ['proc.name < 100', false],
    ['proc.name >= 100', true],
    ['proc.name <= 100', false],
    ['proc.cmdline contains "-c"', true],
    ['proc.cmdline contains "-C"', false],
    ['proc.cmdline icontains "-C id"', true],
    ['fd.name startswith /etc/ssh', true],
    ['fd.name endswith _config', true],
    ['fd.name glob /etc/*_config', true],
    ['fd.name glob /etc/ssh/sshd_?onfig', true],
    ['fd.name glob /etc/ssh/[rs]shd_config', true],
    ['fd.name glob /etc/ssh/[!s]shd_config', false],
    ['fd.name glob /ETC/*', false],
    ['fd.name iglob /ETC/*', true],
    ['fd.name pmatch (/etc/ssh)', true],
    ['fd.name pmatch (/etc/ss)', false],
    ['fd.name pmatch (/usr, /etc/*/sshd_config)', true],
    ["fd.name regex '/etc/(ssh|ssl)/.*'", true],
    ["fd.name regex 'ssh'", false],
    ['proc.name in (sh, bash, zsh)', true],
    ['proc.name in (sh, zsh)', false],
    ['proc.name intersects (bash)', true],
    ['proc.name exists', true],
    ['proc.pname exists', false],
  ])('%s -> %s', (text, expected) => {
    expect(ev(text, c)).toBe(expected);
  });

  it('never matches a missing value, whatever the operator', () => {
    for (const op of ['=', '!=', 'contains', 'startswith', 'glob', '<', '>=']) expect(ev(`proc.pname ${op} 1`, {})).toBe(false);
    expect(ev('proc.pname in (x)', {})).toBe(false);
    expect(ev('not proc.pname = x', {})).toBe(true);
  });
});

describe('compileCondition: numbers, booleans, IPs, buffers, lists', () => {
  it('compares integers given as number or bigint', () => {
    expect(ev('proc.pid = 42', { 'proc.pid': 42 })).toBe(true);
    expect(ev('proc.pid = 42', { 'proc.pid': 42n })).toBe(true);
    expect(ev('proc.pid < 43 and proc.pid >= 42', { 'proc.pid': 42n })).toBe(true);
    expect(ev('proc.pid in (1, 2, 42)', { 'proc.pid': 42n })).toBe(true);
    expect(ev('evt.rawres < 0', { 'evt.rawres': -2 })).toBe(true);
    expect(ev('evt.num > 18446744073709551614', { 'evt.num': 18446744073709551615n })).toBe(true);
  });

  it('compares booleans', () => {
    expect(ev('evt.is_open_read = true', { 'evt.is_open_read': true })).toBe(true);
    expect(ev('evt.is_open_read = false', { 'evt.is_open_read': true })).toBe(false);
    expect(ev('evt.is_open_read != false', { 'evt.is_open_read': 1 })).toBe(true);
  });

  it('compares IP addresses and networks', () => {
    expect(ev('fd.sip = 10.1.2.3', { 'fd.sip': '10.1.2.3' })).toBe(true);
    expect(ev('fd.sip in (10.1.2.4, 10.1.2.3)', { 'fd.sip': '10.1.2.3' })).toBe(true);
    expect(ev('fd.net = 10.0.0.0/8', { 'fd.net': '10.200.0.1' })).toBe(true);
    expect(ev('fd.net = 10.0.0.0/8', { 'fd.net': '11.0.0.1' })).toBe(false);
    expect(ev('fd.net in (fe80::/10)', { 'fd.net': 'fe80::1' })).toBe(true);
    expect(ev('fd.sip != 127.0.0.1', { 'fd.sip': '::1' })).toBe(true);
  });

  it('searches byte buffers', () => {
    const buf = new TextEncoder().encode('#!/bin/sh\n');
    expect(ev('evt.buffer bcontains 2f62696e', { 'evt.buffer': buf })).toBe(true);
    expect(ev('evt.buffer bstartswith 2321', { 'evt.buffer': buf })).toBe(true);
    expect(ev('evt.buffer bstartswith 2f', { 'evt.buffer': buf })).toBe(false);
    expect(ev('evt.buffer contains /bin', { 'evt.buffer': buf })).toBe(true);
  });

  it('applies in (subset) and intersects (overlap) to list fields', () => {
    const c = { 'fd.types': ['ipv4', 'file'] };
    expect(ev('fd.types intersects (ipv4, ipv6)', c)).toBe(true);
    expect(ev('fd.types in (ipv4, ipv6)', c)).toBe(false);
    expect(ev('fd.types in (ipv4, file, pipe)', c)).toBe(true);
  });

  it('matches any ancestor for proc.aname without argument, and the given one with', () => {
    const c = { 'proc.aname': ['sh', 'sshd', 'systemd'], 'proc.aname[1]': 'sh' };
    expect(ev('proc.aname = sshd', c)).toBe(true);
    expect(ev('proc.aname in (cron, systemd)', c)).toBe(true);
    expect(ev('proc.aname = cron', c)).toBe(false);
    expect(ev('proc.aname[1] = sh', c)).toBe(true);
  });

  it('applies transformers and compares fields with val()', () => {
    const c = { 'proc.name': 'BaSh', 'fd.name': '/usr/bin/python3', 'proc.pname': 'BaSh', 'proc.cmdline': 'aGVsbG8=' };
    expect(ev('tolower(proc.name) = bash', c)).toBe(true);
    expect(ev('toupper(proc.name) = BASH', c)).toBe(true);
    expect(ev('basename(fd.name) = python3', c)).toBe(true);
    expect(ev('len(fd.name) = 16', c)).toBe(true);
    expect(ev('b64(proc.cmdline) = hello', c)).toBe(true);
    expect(ev('proc.name = val(proc.pname)', c)).toBe(true);
    expect(ev('proc.name != val(proc.pname)', c)).toBe(false);
    expect(ev('len(proc.name) < len(fd.name)', c)).toBe(true);
  });
});

describe('compileCondition: structure', () => {
  it('short-circuits and/or and negates', () => {
    let calls = 0;
    const counting: ExtractorProvider = {
      extractor: (f) => (c) => {
        calls++;
        return (c as Record<string, unknown>)[f.name];
      },
    };
    const fn = compile('proc.name = a and proc.pid = 1 or not proc.pname = b', counting);
    calls = 0;
    expect(fn({ 'proc.name': 'x', 'proc.pname': 'c' })).toBe(true);
    expect(calls).toBe(2); // proc.pid never extracted
  });

  it('compiles 10000-term chains and 3000-deep trees into working functions', () => {
    const chain = Array.from({ length: 10000 }, (_, i) => `proc.pid = ${i}`).join(' or ');
    const fn = compile(chain);
    expect(fn({ 'proc.pid': 9999 })).toBe(true);
    expect(fn({ 'proc.pid': 10000 })).toBe(false);
    let deep = 'proc.pid = 0';
    for (let i = 1; i <= 3000; i++) deep = `(proc.pid = ${i} ${i % 2 ? 'and' : 'or'} ${deep})`;
    const d = compile(deep);
    expect(d({ 'proc.pid': 3000 })).toBe(true);
    expect(d({ 'proc.pid': 7 })).toBe(false);
    expect(() => compile('not ('.repeat(5000) + 'proc.pid = 1' + ')'.repeat(5000))({ 'proc.pid': 1 })).not.toThrow();
  });

  it('turns a 100k-item list into a set', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => `/p/${i}`);
    const fn = compile(`fd.name in (${items.join(', ')})`);
    expect(fn({ 'fd.name': '/p/99999' })).toBe(true);
    expect(fn({ 'fd.name': '/p/100000' })).toBe(false);
  });

  it('throws ConditionError for checks that do not type-check and for unresolved macros', () => {
    expect(() => compile('proc.nobody = 1')).toThrow(ConditionError);
    expect(() => compile('some_macro')).toThrow("filter error: unexpected identifier 'some_macro'");
  });

  it('offers each constant comparison to the provider as a pure predicate (memoisation hook)', () => {
    const seen: string[] = [];
    const memo = new Map<unknown, boolean>();
    let predCalls = 0;
    const provider: ExtractorProvider = {
      extractor: objectProvider.extractor,
      predicate(field, arg, pred) {
        seen.push(field.name);
        const ex = objectProvider.extractor(field, arg);
        return (c) => {
          const v = ex(c);
          let r = memo.get(v);
          if (r === undefined) {
            predCalls++;
            memo.set(v, (r = pred(v)));
          }
          return r;
        };
      },
    };
    const fn = compile('fd.name glob /etc/* and proc.name = val(proc.pname)', provider);
    expect(seen).toEqual(['fd.name']);
    for (let i = 0; i < 100; i++) fn({ 'fd.name': '/etc/passwd', 'proc.name': 'a', 'proc.pname': 'a' });
    expect(predCalls).toBe(1);
  });

  it('works on resolved conditions after checkCondition', () => {
    const e = resolveCondition(parseCondition('open_read and proc.name in (shells)'), {
      macro: (n) => (n === 'open_read' ? parseCondition('evt.type in (open, openat) and evt.is_open_read = true') : undefined),
      list: (n) => (n === 'shells' ? ['bash', 'sh'] : undefined),
    });
    expect(checkCondition(e, syscallCatalog).errors).toEqual([]);
    const fn = compileCondition(e, syscallCatalog, objectProvider);
    expect(fn({ 'evt.type': 'openat', 'evt.is_open_read': true, 'proc.name': 'sh' })).toBe(true);
    expect(fn({ 'evt.type': 'openat', 'evt.is_open_read': false, 'proc.name': 'sh' })).toBe(false);
  });
});

describe('compileCondition: closures mode', () => {
  it('gives the same answers as generated code', () => {
    const texts = [
      'proc.name in (bash, sh) and not fd.name startswith /etc or proc.pid > 10',
      'fd.name glob /etc/* and (evt.is_open_read = true or proc.aname = sshd)',
      'not (proc.pid = 1 or proc.pid = 2) and proc.cmdline contains x',
    ];
    const cursors = [
      { 'proc.name': 'bash', 'fd.name': '/etc/x', 'proc.pid': 5, 'evt.is_open_read': true, 'proc.cmdline': 'x' },
      { 'proc.name': 'sh', 'fd.name': '/tmp/x', 'proc.pid': 1, 'proc.aname': ['sshd'], 'proc.cmdline': 'y' },
      { 'proc.name': 'zsh', 'fd.name': '/etc/y', 'proc.pid': 11n, 'proc.cmdline': 'axb' },
      {},
    ];
    for (const t of texts) {
      const e = parseCondition(t);
      const a = compileCondition(e, syscallCatalog, objectProvider);
      const b = compileCondition(e, syscallCatalog, objectProvider, { mode: 'closures' });
      for (const c of cursors) expect(b(c), `${t} on ${JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`).toBe(a(c));
    }
  });
});
