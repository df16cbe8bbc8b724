import { describe, expect, it } from 'vitest';
import { checkOutput, compileOutput, OutputError, parseOutput } from '../../../src/rules/output/index.js';
import { syscallCatalog } from '../../../src/engine/fields/catalog.js';

const provider = {
  extractor: (f: { name: string }, arg: string | undefined) => {
    const key = arg === undefined ? f.name : `${f.name}[${arg}]`;
    return (c: unknown) => (c as Record<string, unknown>)[key];
  },
};
const fmt = (format: string, cursor: Record<string, unknown>) => compileOutput(format, syscallCatalog, provider).format(cursor);

describe('output formats', () => {
  it('substitutes fields, keeps literal text, prints <NA> for missing values', () => {
    expect(fmt('Shell (user=%user.name cmd=%proc.cmdline pid=%proc.pid)', { 'user.name': 'root', 'proc.pid': 42n })).toBe(
      'Shell (user=root cmd=<NA> pid=42)',
    );
  });

  it('handles arguments, dotted event arguments, transformers, %(field) and widths', () => {
    const c = { 'proc.aname[2]': 'sshd', 'evt.arg[flags]': 'O_RDONLY', 'proc.name': 'BaSh', 'fd.name': '/etc/passwd' };
    expect(fmt('%proc.aname[2] %evt.arg.flags) %tolower(proc.name) %(fd.name) [%6proc.name] [%2fd.name]', c)).toBe(
      'sshd O_RDONLY) bash /etc/passwd [BaSh  ] [/e]',
    );
  });

  it('matches field names by longest prefix like libsinsp', () => {
    expect(fmt('%proc.names', { 'proc.name': 'x' })).toBe('xs');
  });

  it('renders booleans, list fields and ancestor lists as Falco prints them', () => {
    expect(fmt('%evt.is_open_read %fd.types %proc.aname', { 'evt.is_open_read': true, 'fd.types': ['ipv4', 'file'], 'proc.aname': ['sh', 'init'] })).toBe(
      'true (ipv4,file) sh init',
    );
  });

  it('lists the output fields (keys for JSON output_fields), transformed ones flagged', () => {
    const o = compileOutput('%proc.name %proc.name %tolower(proc.name) %proc.aname[2] %evt.arg.flags', syscallCatalog, provider);
    expect(o.fields.map((f) => [f.key, f.transformed])).toEqual([
      ['proc.name', false],
      ['tolower(proc.name)', true],
      ['proc.aname[2]', false],
      ['evt.arg.flags', false],
    ]);
    expect(o.values({ 'proc.name': 'A' })).toEqual({ 'proc.name': 'A', 'proc.aname[2]': '<NA>', 'evt.arg.flags': '<NA>' });
    expect(o.values({ 'proc.name': 'A' }, true)['tolower(proc.name)']).toBe('a');
  });

  it.each([
    ['An open was seen %not_a_real_field', 'invalid formatting token not_a_real_field', true],
    ['x %proc.nobody y', 'invalid formatting token proc.nobody y', true],
    ['ends with %', 'invalid formatting syntax: formatting cannot end with a %', false],
    ['%20', 'invalid formatting syntax: formatting cannot end with a number', false],
    ['%tolower(proc.name', 'missing closing transformer parenthesis: e', false],
    ['%evt.around[1]', 'evt.around[1] is filter only and cannot be used as a display field', false],
    ['', 'empty formatting token', false],
  ])('%j -> %s', (format, message, unknown) => {
    const e = checkOutput(format, syscallCatalog);
    expect(e).toBeInstanceOf(OutputError);
    expect(e!.message).toBe(message);
    expect(e!.unknown).toBe(unknown);
    expect(e!.code).toBe('LOAD_ERR_COMPILE_OUTPUT');
  });

  it('accepts a leading * (missing values allowed)', () => {
    expect(parseOutput('*%proc.name', syscallCatalog).requireAll).toBe(false);
    expect(parseOutput('%proc.name', syscallCatalog).requireAll).toBe(true);
  });
});
