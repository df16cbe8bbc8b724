import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYamlLib } from 'yaml';
import { STOCK_CONFIG_YAML } from '../../src/config/falco-config.js';
import { parseYaml, type YNode } from '../../src/config/yaml-cpp.js';
import { int, pick } from './bytes.js';
import type { FuzzCase, FuzzTarget, PrepareContext, Rand } from './types.js';

/**
 * Text inputs: rules files (`rules validate`, `replay -r`), `--filter` expressions and `-p`
 * formats, `-o key=value` options and `-c falco.yaml` files. Mutations of real seeds (our default
 * ruleset, small rule files covering each rules feature, Falco's stock configuration) plus
 * generators aimed at the expensive paths: macro and list expansion, deep nesting, huge
 * documents, YAML aliases.
 *
 * SAFETY: these runs really execute. No option or configuration generated here may run a
 * program, write a file, load native code or open a connection: every key that could (see
 * UNSAFE_KEY) is never generated as an option and is removed from every falco.yaml, which is then
 * checked once more by parsing it with the parser tsfalco itself uses.
 */

interface Seeds {
  fixture: string;
  /** Seed rules files: the default ruleset and small files for each feature. */
  rules: string[];
  /** Falco's stock configuration text. */
  config: string;
  /** The dotted key paths of the stock configuration, the unsafe ones removed. */
  configKeys: string[];
  /** The stock value of each key (for values of the same kind), undefined for containers. */
  stockValues: Map<string, unknown>;
}

interface Gen {
  text: string;
  note: string;
}

const MAX_FILE = 4 * 1024 * 1024;

/**
 * Keys that could run programs, write outside the job directory, load native code or open
 * connections. `file_output` is here too: enabling it appends to `./events.txt` in the cwd.
 */
const UNSAFE_KEY = /program|filename|library_path|plugins|url|http|grpc|webserver|unix_socket|listen|address|port|ssl|cert|key_file|ca_|file_output/;

/** Lowercase letters, digits and `_` only: `file\_output`, `fi\x1ble_output` still show. */
const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9_]/g, '');
const isUnsafe = (s: string): boolean => UNSAFE_KEY.test(squash(s));

const chance = (rand: Rand, p: number): boolean => rand() < p;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const yq = (s: string): string => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar

/** Keeps a generated file under MAX_FILE bytes. */
function fit(g: Gen): Gen {
  let text = g.text;
  if (Buffer.byteLength(text) < MAX_FILE) return g;
  while (Buffer.byteLength(text) >= MAX_FILE) text = text.slice(0, Math.floor(text.length * 0.9));
  return { text, note: `${g.note}; cut to ${text.length} chars` };
}

// ---- shared vocabulary -------------------------------------------------------------------------

/** Control characters for files (NUL included). */
const CONTROL = ['\x1b', '\u009b', '\x7f', '\x00', '\x01', '\x08', '\t', '\r', '\x1b[31m', '\x1b]0;t\x07', '\u2028', '\ud800', '\uffff'];
/** Control characters for command-line arguments: no NUL, which no process argument can hold. */
const CONTROL_ARG = CONTROL.filter((c) => !c.includes('\x00'));

const FALCO_WORDS = [
  'and', 'or', 'not', 'in', '(', ')', '=', '!=', '<', '>=', 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'pmatch',
  'regex', 'exists', 'intersects', 'bcontains', 'evt.type', 'proc.name', 'fd.name', 'evt.arg[0]', 'proc.aname[2]', 'nope.field',
  'rule:', 'macro:', 'list:', 'condition:', 'output:', 'priority:', 'append:', 'override:', 'exceptions:', 'items:', 'enabled:',
  'required_engine_version:', 'true', 'false', '%proc.name', '%', '-', '[', ']', '{', '}', ':', '|', '>', '&a', '*a', '!!binary',
  '~', 'null', '"', "'", '#', '---',
];

const BOOLS = ['true', 'false', 'yes', 'no', 'on', 'off', 'True', 'FALSE', 'y', 'N', '1', '0'];
const NUMBERS = ['0', '-1', '1e309', '99999999999999999999', '0x10', '0xffffffffffffffff', '-0', '0.5', '.1', 'NaN', '.inf', '-.inf', '1_000', '1e-400', '4294967296', '-2147483649', '007', '0o17'];
const STRINGS = ['x', 'hello world', '/dev/null', 'nonexistent/rules.yaml', 'ünïcödé', '\x1b[31mred', '%proc.name', '*', '~', 'null', 'a,b', '#x', ' '];
const FLOWS = ['{a: 1}', '[1, 2]', '{}', '[]', '{a: {b: [c]}}', '{', '[1,', '{a: 1', "'unterminated", '"unterminated', '{a: *x}', '{<<: *a}', '{? a : b}', '{a: [', '{enabled: false}', '{a: 1, a: 2}'];

/** A value for a config key: bool, number, string, YAML flow fragment, or nothing. */
function randomValue(rand: Rand): string {
  const r = rand();
  if (r < 0.25) return pick(rand, BOOLS);
  if (r < 0.5) return pick(rand, NUMBERS);
  if (r < 0.7) return pick(rand, STRINGS);
  if (r < 0.95) return pick(rand, FLOWS);
  return '';
}

// ---- generic text mutations --------------------------------------------------------------------

/** Line-level edits: delete, duplicate, swap with the next, re-indent, truncate the file. */
function lineOp(rand: Rand, text: string): Gen {
  const lines = text.split('\n');
  const i = int(rand, lines.length);
  switch (int(rand, 5)) {
    case 0:
      lines.splice(i, 1);
      return { text: lines.join('\n'), note: `line delete ${i + 1}` };
    case 1:
      lines.splice(i, 0, lines[i]!);
      return { text: lines.join('\n'), note: `line duplicate ${i + 1}` };
    case 2: {
      const j = Math.min(i + 1, lines.length - 1);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return { text: lines.join('\n'), note: `line swap ${i + 1}/${j + 1}` };
    }
    case 3: {
      const indent = pick(rand, ['', ' ', '   ', '      ', '\t', ' '.repeat(40)]);
      lines[i] = indent + lines[i]!.trimStart();
      return { text: lines.join('\n'), note: `reindent line ${i + 1} to ${JSON.stringify(indent)}` };
    }
    default: {
      const at = int(rand, text.length + 1);
      return { text: text.slice(0, at), note: `truncate at ${at}` };
    }
  }
}

const WORD = /[A-Za-z0-9_.\-/]+/g;

/** Token-level edits: swap a word for another word of the file or a Falco word, paren/quote noise, control characters. */
function tokenOp(rand: Rand, text: string): Gen {
  const words = [...text.matchAll(WORD)].slice(0, 200_000);
  const at = int(rand, text.length + 1);
  const op = words.length ? int(rand, 5) : 2 + int(rand, 3);
  if (op <= 1) {
    const w = pick(rand, words);
    const by = op === 0 ? pick(rand, words)[0] : pick(rand, FALCO_WORDS);
    const pos = w.index ?? 0;
    return { text: text.slice(0, pos) + by + text.slice(pos + w[0].length), note: `word ${JSON.stringify(w[0].slice(0, 30))} -> ${JSON.stringify(by.slice(0, 30))}` };
  }
  if (op === 2) {
    const c = pick(rand, ['(', ')', '"', "'", '[', ']', '{', '}']);
    return { text: text.slice(0, at) + c + text.slice(at), note: `insert ${c} at ${at}` };
  }
  if (op === 3) {
    const found = [...text.matchAll(/[()"'[\]{}]/g)];
    if (!found.length) return { text, note: 'no paren to delete' };
    const pos = pick(rand, found).index ?? 0;
    return { text: text.slice(0, pos) + text.slice(pos + 1), note: `delete ${text[pos]} at ${pos}` };
  }
  const c = pick(rand, CONTROL);
  return { text: text.slice(0, at) + c + text.slice(at), note: `control ${JSON.stringify(c)} at ${at}` };
}

/** A `key: value` line's value replaced by a random value (configuration files). */
function valueOp(rand: Rand, text: string): Gen {
  const lines = text.split('\n');
  const candidates = range(lines.length).filter((i) => /^\s*(?:- )?[\w.]+:\s*\S/.test(lines[i]!) || /^\s*- \S/.test(lines[i]!));
  if (!candidates.length) return tokenOp(rand, text);
  const i = pick(rand, candidates);
  const v = randomValue(rand);
  lines[i] = lines[i]!.replace(/^(\s*(?:- )?(?:[\w.]+:\s*)?).*$/, (_, head: string) => head + v);
  return { text: lines.join('\n'), note: `value of line ${i + 1} -> ${JSON.stringify(v)}` };
}

/** One or a few stacked mutations. */
function mutate(rand: Rand, text: string, ops: Array<(rand: Rand, text: string) => Gen>): Gen {
  const notes: string[] = [];
  const n = 1 + (chance(rand, 0.3) ? int(rand, 3) : 0);
  for (let k = 0; k < n; k++) {
    const m = pick(rand, ops)(rand, text);
    text = m.text;
    notes.push(m.note);
  }
  return { text, note: notes.join('; ') };
}

// ---- YAML hostility (rules and configuration) --------------------------------------------------

/** Anchors on a random item or value and aliases to it, some undefined or forward. */
function anchors(rand: Rand, text: string): Gen {
  const lines = text.split('\n');
  const items = range(lines.length).filter((i) => /^\s*-\s|:\s+\S/.test(lines[i]!));
  if (!items.length) return { text: `${text}\n- *nope\n`, note: 'undefined alias' };
  const i = pick(rand, items);
  lines[i] = lines[i]!.replace(/^(\s*-\s|.*?:\s+)/, (m) => `${m}&fz `);
  const j = int(rand, lines.length + 1);
  const alias = pick(rand, ['- *fz', 'x: *fz', '  - *fz', '- *nope', '*fz', '- [*fz, *fz, *fz]', '<<: *fz']);
  lines.splice(j, 0, alias);
  return { text: lines.join('\n'), note: `anchor line ${i + 1}, ${JSON.stringify(alias)} at ${j + 1}` };
}

/** Billion laughs: each level a list of ten aliases to the previous one. */
function aliasBomb(rand: Rand, levels = 5 + int(rand, 6)): { defs: string; top: string; levels: number } {
  const rows = ['x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let l = 1; l <= levels; l++) rows.push(`x${l}: &a${l} [${range(10).map(() => `*a${l - 1}`).join(', ')}]`);
  return { defs: rows.join('\n'), top: `*a${levels}`, levels };
}

/** Tags the loader must ignore or reject: `!!binary`, `!!int` on words, unknown tags. */
function tags(rand: Rand, text: string): Gen {
  const lines = text.split('\n');
  const items = range(lines.length).filter((i) => /:\s+\S/.test(lines[i]!));
  const tag = pick(rand, ['!!binary aGVsbG8=', '!!binary', '!nope', '!!int', '!!map', '!!seq', '!<tag:x>', '!=', '!!str', '!!null', '!!float']);
  if (!items.length) return { text: `${tag} ${text}`, note: `tag ${tag} on document` };
  const i = pick(rand, items);
  lines[i] = lines[i]!.replace(/(:\s+)/, `$1${tag} `);
  return { text: lines.join('\n'), note: `tag ${tag} at line ${i + 1}` };
}

/** Flow nesting 10k deep, balanced or not, as a value or as the whole document. */
function deepFlow(rand: Rand, depth = 1 + int(rand, 10_000)): { value: string; note: string } {
  const [open, close] = pick(rand, [['[', ']'], ['{a: ', '}'], ['[{a: ', '}]']]);
  const balanced = chance(rand, 0.7);
  const value = open!.repeat(depth) + 'x' + close!.repeat(balanced ? depth : Math.max(0, depth - 1 - int(rand, 3)));
  return { value, note: `${open}x${close} nested ${depth}${balanced ? '' : ' unbalanced'}` };
}

/** A value of a random line replaced by something huge or deep, or the document replaced. */
function bigValue(rand: Rand, text: string): Gen {
  const lines = text.split('\n');
  const items = range(lines.length).filter((i) => /:\s+\S/.test(lines[i]!));
  let value: string;
  let what: string;
  if (chance(rand, 0.5)) {
    const d = deepFlow(rand);
    value = d.value;
    what = d.note;
  } else {
    const n = 1 + int(rand, 1 << 20);
    value = chance(rand, 0.5) ? 'a'.repeat(n) : yq('a '.repeat(n >> 1));
    what = `scalar ${n}`;
  }
  if (!items.length || chance(rand, 0.2)) return { text: value, note: `document is ${what}` };
  const i = pick(rand, items);
  lines[i] = lines[i]!.replace(/(:\s+).*$/, (_, sep: string) => sep + value);
  return { text: lines.join('\n'), note: `${what} at line ${i + 1}` };
}

/** A key of the file given twice in the same mapping with another value. */
function duplicateKey(rand: Rand, text: string): Gen {
  const lines = text.split('\n');
  const items = range(lines.length).filter((i) => /^\s*[\w.]+:\s/.test(lines[i]!));
  if (!items.length) return { text: `a: 1\na: 2\n${text}`, note: 'duplicate key a' };
  const i = pick(rand, items);
  const dup = lines[i]!.replace(/:\s.*$/, `: ${randomValue(rand)}`);
  lines.splice(i + 1, 0, dup);
  return { text: lines.join('\n'), note: `duplicate key at line ${i + 1}` };
}

/** Documents that are a scalar, a list of scalars, empty, or several documents. */
function documents(rand: Rand, text: string): Gen {
  switch (int(rand, 5)) {
    case 0:
      return { text: pick(rand, ['just a scalar', '42', '~', '""', '|\n  block\n', "'x'"]), note: 'document is a scalar' };
    case 1:
      return { text: '- a\n- b\n- 3\n- [c]\n', note: 'document is a list of scalars' };
    case 2:
      return { text: pick(rand, ['', '\n', '# only a comment\n', '---\n', '...\n']), note: 'empty document' };
    case 3: {
      const lines = text.split('\n');
      const i = int(rand, lines.length + 1);
      lines.splice(i, 0, pick(rand, ['---', '...', '--- !x', '%YAML 1.2\n---', '%TAG ! tag:x,2000:\n---']));
      return { text: lines.join('\n'), note: `document marker at line ${i + 1}` };
    }
    default:
      return { text: `${text}\n---\n${text}`, note: 'two documents' };
  }
}

const HOSTILE = [anchors, tags, bigValue, duplicateKey, documents];

// ---- rules files -------------------------------------------------------------------------------

const rule = (name: string, condition: string, extra = ''): string =>
  `- rule: ${name}\n  desc: fuzz\n  condition: ${condition}\n  output: fuzz %proc.name %evt.type\n  priority: WARNING\n${extra}`;

const SMALL_RULES = [
  `- list: shells\n  items: [sh, bash, "zsh", 'dash']\n\n- macro: spawned\n  condition: evt.type in (execve, execveat) and evt.dir=<\n\n${rule('Shell', 'spawned and proc.name in (shells)')}`,
  rule(
    'With exceptions',
    'evt.type in (open, openat) and fd.name startswith /etc',
    `  exceptions:\n    - name: known\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values:\n        - [sed, /etc/sed]\n        - [vi, /etc/vim]\n    - name: single\n      fields: proc.name\n      comps: in\n      values: [cat, ls]\n`,
  ),
  `- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n- macro: m\n  condition: proc.name in (l)\n- macro: m\n  condition: or proc.name=c\n  append: true\n${rule('R', 'm')}${rule('R', 'and evt.type=open', '  append: true\n')}- rule: R\n  condition: and not proc.name=d\n  override:\n    condition: append\n- rule: R\n  priority: ERROR\n  override:\n    priority: replace\n- rule: R\n  enabled: false\n`,
  `- required_engine_version: 0.26.0\n- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.1.0\n${rule('Versioned', 'evt.type=open', '  source: syscall\n  tags: [a, b]\n')}`,
];

/** A chain of N macros, each using the previous one: expansion depth and cost. */
function macroChain(rand: Rand): Gen {
  const n = 1 + int(rand, 3000);
  const rows = ['- macro: m0\n  condition: evt.type=open\n'];
  for (let i = 1; i < n; i++) rows.push(`- macro: m${i}\n  condition: m${i - 1} and proc.name=x${i}\n`);
  rows.push(rule('Chain', `m${n - 1}`));
  return { text: rows.join(''), note: `macro chain ${n}` };
}

/** Macros that use the previous one twice: the expanded condition doubles each level. */
function macroDoubling(rand: Rand): Gen {
  const n = 1 + int(rand, 40);
  const rows = ['- macro: d0\n  condition: evt.type=open\n'];
  for (let i = 1; i < n; i++) rows.push(`- macro: d${i}\n  condition: (d${i - 1} and d${i - 1})\n`);
  rows.push(rule('Doubling', `d${n - 1}`));
  return { text: rows.join(''), note: `doubling macros ${n}` };
}

/** Macros and lists that refer to themselves or to each other. */
function recursion(rand: Rand): Gen {
  const variants: Array<[string, string]> = [
    ['- macro: a\n  condition: a\n', 'a'],
    ['- macro: a\n  condition: b or evt.type=open\n- macro: b\n  condition: not a\n', 'a'],
    ['- list: la\n  items: [lb]\n- list: lb\n  items: [la]\n', 'proc.name in (la)'],
    ['- list: la\n  items: [la, x]\n', 'proc.name in (la)'],
    ['- macro: a\n  condition: proc.name in (la)\n- list: la\n  items: [a]\n', 'a'],
    ['- macro: a\n  condition: evt.type=open\n- macro: a\n  condition: and a\n  append: true\n', 'a'],
  ];
  const i = int(rand, variants.length);
  const [defs, cond] = variants[i]!;
  return { text: defs + rule('Recursive', cond), note: `recursion variant ${i}` };
}

/** A list of up to 100k items used by a rule. */
function hugeList(rand: Rand): Gen {
  const n = 1 + int(rand, 100_000);
  const items = range(n).map((i) => `item${i}`);
  const body = chance(rand, 0.5) ? `  items: [${items.join(', ')}]\n` : `  items:\n${items.map((s) => `    - ${s}\n`).join('')}`;
  return { text: `- list: big\n${body}${rule('Huge list', 'proc.name in (big)')}`, note: `list of ${n} items` };
}

/** A condition up to 300k characters: a long and/or chain, nested parens, or `not not ...`. */
function longCondition(rand: Rand): Gen {
  const len = 1 + int(rand, 300_000);
  const kind = int(rand, 4);
  let cond: string;
  if (kind === 0) cond = 'evt.type=open and '.repeat(Math.ceil(len / 18)) + 'proc.name=x';
  else if (kind === 1) cond = range(Math.ceil(len / 16)).map((i) => `proc.pid=${i}`).join(' or ');
  else if (kind === 2) {
    const d = Math.ceil(len / 2);
    cond = '('.repeat(d) + 'evt.type=open' + ')'.repeat(chance(rand, 0.8) ? d : d - 1);
  } else cond = 'not '.repeat(Math.ceil(len / 4)) + 'evt.type=open';
  return { text: rule('Long', yq(cond)), note: `long condition kind ${kind}, ${cond.length} chars` };
}

/** A rule with up to 2,000 exception values (field tuples and single-field lists). */
function manyExceptions(rand: Rand): Gen {
  const n = 1 + int(rand, 2000);
  const tuples = chance(rand, 0.5);
  const values = tuples
    ? range(n).map((i) => `        - [p${i}, /etc/f${i}]\n`).join('')
    : `        - [${range(n).map((i) => `p${i}`).join(', ')}]\n`;
  const ex = tuples
    ? `  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=, ${pick(rand, ['startswith', 'pmatch', 'glob', 'contains', 'in', 'nope'])}]\n      values:\n${values}`
    : `  exceptions:\n    - name: e\n      fields: [proc.name]\n      comps: [in]\n      values:\n${values}`;
  return { text: rule('Exceptions', 'evt.type in (open, openat) and fd.name startswith /etc', ex), note: `${n} exception values${tuples ? ' (tuples)' : ''}` };
}

/** Long chains of append and override on one rule, macro and list. */
function overrideChain(rand: Rand): Gen {
  const n = 1 + int(rand, 500);
  const rows = ['- list: l\n  items: [a]\n', '- macro: m\n  condition: proc.name in (l)\n', rule('R', 'm')];
  for (let i = 0; i < n; i++) {
    switch (int(rand, 6)) {
      case 0: rows.push(`- list: l\n  items: [a${i}]\n  append: true\n`); break;
      case 1: rows.push(`- macro: m\n  condition: or proc.name=b${i}\n  append: true\n`); break;
      case 2: rows.push(`- rule: R\n  condition: and proc.pid!=${i}\n  append: true\n`); break;
      case 3: rows.push(`- rule: R\n  condition: and not fd.num=${i}\n  override:\n    condition: append\n`); break;
      case 4: rows.push(`- rule: R\n  output: o${i} %proc.name\n  override:\n    output: replace\n`); break;
      default: rows.push(`- list: l\n  items: [c${i}]\n  override:\n    items: ${pick(rand, ['append', 'replace', 'nope'])}\n`);
    }
  }
  return { text: rows.join(''), note: `override/append chain ${n}` };
}

/** Rules naming fields, macros, lists, sources and output fields that do not exist. */
function unknownRefs(rand: Rand): Gen {
  const cond = pick(rand, ['nope.field=1', 'no_such_macro', 'proc.name in (no_such_list)', 'proc.aname[x]=a', 'evt.arg[999999999999]=1', 'proc.=x', 'evt.type=open and evt.nope exists']);
  const output = pick(rand, ['%nope.field', '%', '%evt.arg[', '%(', '%proc.name[', 'x %proc.aname[99]']);
  const extra = pick(rand, ['', '  source: nope\n', '  priority: NOPE\n', '  tags: nope\n', '  enabled: maybe\n', '  exceptions: x\n']);
  return { text: rule('Unknown', cond, extra).replace('fuzz %proc.name %evt.type', output), note: `unknown: ${cond} / ${output}${extra ? ` / ${extra.trim()}` : ''}` };
}

/** `in (...)` with a huge inline list. */
function hugeIn(rand: Rand): Gen {
  const n = 1 + int(rand, 50_000);
  const field = pick(rand, ['proc.name', 'fd.name', 'proc.pid', 'fd.cip', 'evt.type']);
  const op = pick(rand, ['in', 'intersects', 'pmatch']);
  return { text: rule('Huge in', yq(`${field} ${op} (${range(n).map((i) => `v${i}`).join(', ')})`)), note: `${field} ${op} with ${n} values` };
}

const WEIRD_PATTERNS = ['*', '[', '[a-', '[]]', '(a', '\\', '.*.*.*.*.*.*.*.*a', '(a+)+$', '**/x', '/', '', '(?<x>a)', '\\p{L}', '[[:alpha:]]', 'a{99999}', '\x1b'];

/** `pmatch`, `glob` and `regex` with patterns that are hard or invalid. */
function patterns(rand: Rand): Gen {
  const p = pick(rand, WEIRD_PATTERNS);
  const cond = pick(rand, [
    `fd.name glob ${yq(p)}`,
    `proc.name regex ${yq(p)}`,
    `fd.name pmatch (${yq(p)}, /etc)`,
    `fd.name pmatch (${p})`,
    `proc.cmdline regex '${p}'`,
  ]);
  return { text: rule('Pattern', yq(cond)), note: `pattern ${cond}` };
}

const RULE_GENERATORS = [macroChain, macroDoubling, recursion, hugeList, longCondition, manyExceptions, overrideChain, unknownRefs, hugeIn, patterns];

/** A billion-laughs rules file: a list whose items are the alias bomb. */
function rulesBomb(rand: Rand): Gen {
  const b = aliasBomb(rand);
  const text = `- ${b.defs.split('\n').join('\n  ')}\n- list: bomb\n  items: ${b.top}\n${rule('Bomb', 'proc.name in (bomb)')}`;
  return { text, note: `alias bomb 10^${b.levels}` };
}

/** A rules file: a seed mutated, YAML hostility, or a generator (sometimes mutated too). */
function genRules(rand: Rand, seeds: Seeds): Gen {
  const r = rand();
  let g: Gen;
  if (r < 0.45) {
    const i = int(rand, seeds.rules.length);
    const m = mutate(rand, seeds.rules[i]!, [lineOp, lineOp, tokenOp, tokenOp, tokenOp]);
    g = { text: m.text, note: `seed ${i}: ${m.note}` };
  } else if (r < 0.6) {
    const i = int(rand, seeds.rules.length);
    const m = pick(rand, HOSTILE)(rand, seeds.rules[i]!);
    g = { text: m.text, note: `seed ${i}: ${m.note}` };
  } else if (r < 0.65) {
    g = rulesBomb(rand);
  } else {
    g = pick(rand, RULE_GENERATORS)(rand);
    if (chance(rand, 0.1)) {
      const m = mutate(rand, g.text, [lineOp, tokenOp]);
      g = { text: m.text, note: `${g.note}; ${m.note}` };
    }
  }
  return fit(g);
}

// ---- filters and formats -----------------------------------------------------------------------

const F_FIELDS = [
  'evt.type', 'evt.num', 'proc.name', 'proc.pid', 'fd.name', 'fd.num', 'fd.cip', 'user.name', 'evt.arg[0]', 'evt.arg.fd', 'proc.aname[2]',
  'thread.cgroup.cpu', 'evt.rawarg.res', 'evt.dir', 'proc.args', 'fd.snet', 'nope.x', 'proc.', 'evt.arg[', 'proc.aname[99999999999]', 'proc.aname[-1]',
];
const F_OPS = ['=', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'in', 'intersects', 'pmatch', 'exists', 'bcontains', 'bstartswith', 'regex', '==', '=~'];
const F_WORDS = ['open', 'sh', '/etc', 'bash', 'x', '<', '>', 'connect', '-'];
const F_NUMBERS = ['0', '-1', '3', '18446744073709551615', '18446744073709551616', '99999999999999999999999', '-9223372036854775809', '0x10', '0xffffffffffffffffff', '1e10', '1.5', '-0'];
const F_QUOTED = ['"a b"', '"esc \\" q"', "'single'", '"\\x41\\u0000"', '"unterminated', "'unterminated", '""', "''", '"\\\\"', '"\\"'];
const F_NETS = ['10.0.0.1', '::1', '192.168.0.0/16', '10.0.0.0/33', '::/0', '1.2.3.4/-1', '256.1.1.1', 'fe80::1%eth0', '0.0.0.0/0'];
const F_JOIN = ['and', 'or', 'and not', 'or not', 'AND', '&&'];

function fValue(rand: Rand): string {
  const r = rand();
  if (r < 0.3) return pick(rand, F_WORDS);
  if (r < 0.55) return pick(rand, F_NUMBERS);
  if (r < 0.75) return pick(rand, F_QUOTED);
  if (r < 0.9) return pick(rand, F_NETS);
  return pick(rand, WEIRD_PATTERNS);
}

function fList(rand: Rand): string {
  if (chance(rand, 0.15)) return pick(rand, ['()', '(a,', '(a b c)', '((a))', '(,)', 'a', '(a, (b))']);
  return `(${range(1 + int(rand, 6)).map(() => fValue(rand)).join(pick(rand, [', ', ',', ' ,']))})`;
}

/** One field check, sometimes without spaces around the operator. */
function fCheck(rand: Rand): string {
  const f = pick(rand, F_FIELDS);
  const op = pick(rand, F_OPS);
  if (op === 'exists') return `${f} exists`;
  if (op === 'in' || op === 'intersects' || op === 'pmatch') return `${f} ${op} ${fList(rand)}`;
  const sp = chance(rand, 0.85) ? ' ' : '';
  return `${f}${sp}${op}${sp}${fValue(rand)}`;
}

/** A mostly well-formed expression from the grammar: checks joined by and/or, not, parens. */
function fExpr(rand: Rand, depth = 0): string {
  const r = rand();
  if (depth > 6 || r < 0.45) return fCheck(rand);
  if (r < 0.6) return `not ${fExpr(rand, depth + 1)}`;
  if (r < 0.75) return `(${fExpr(rand, depth + 1)})`;
  return `${fExpr(rand, depth + 1)} ${pick(rand, F_JOIN)} ${fExpr(rand, depth + 1)}`;
}

/** A random sequence of grammar tokens: the parser's error paths. */
function fSoup(rand: Rand): string {
  const pool = [...F_FIELDS, ...F_OPS, ...F_WORDS, ...F_QUOTED, ...F_NETS, 'and', 'or', 'not', '(', ')', ',', ...CONTROL_ARG];
  return range(1 + int(rand, 40)).map(() => pick(rand, pool)).join(chance(rand, 0.8) ? ' ' : '');
}

/** Nesting up to 5000 deep: parens, balanced or not, or `not not ...`. */
function fDeep(rand: Rand): { text: string; note: string } {
  const d = 1 + int(rand, 5000);
  const check = fCheck(rand);
  switch (int(rand, 4)) {
    case 0: return { text: '('.repeat(d) + check + ')'.repeat(d), note: `parens ${d}` };
    case 1: return { text: '('.repeat(d) + check + ')'.repeat(int(rand, d)), note: `unbalanced parens ${d}` };
    case 2: return { text: 'not '.repeat(d) + check, note: `not x${d}` };
    default: return { text: range(d).map(() => `(${check} and `).join('') + check + ')'.repeat(d), note: `nested and ${d}` };
  }
}

const SEED_FILTERS = [
  'evt.type=open and fd.name startswith /etc',
  'proc.name in (sh, bash) or not fd.num > 3',
  'evt.type in (connect, accept) and fd.cip=10.0.0.5',
  'fd.snet in ("127.0.0.0/8", "::1/128")',
  'proc.aname[2]=sudo and evt.arg.fd exists',
  'evt.rawarg.res < 0 and proc.pid != 1',
  'fd.name glob "/home/*/.ssh/*" or fd.name pmatch (/etc, /usr/bin)',
  'proc.args contains "-e " and user.name icontains root',
];

const F_CHARS = ['(', ')', '"', "'", ' ', '=', '!', '<', ',', '\\', '[', ']', '.', 'a', '0', '%', ...CONTROL_ARG];

/** Character-level edits of a valid filter: delete, insert, replace. */
function fMutateSeed(rand: Rand): { text: string; note: string } {
  const s = int(rand, SEED_FILTERS.length);
  let text = SEED_FILTERS[s]!;
  const notes: string[] = [];
  for (let k = 1 + int(rand, 4); k > 0; k--) {
    const at = int(rand, text.length + 1);
    const c = pick(rand, F_CHARS);
    const op = int(rand, 3);
    if (op === 0) text = text.slice(0, at) + text.slice(at + 1);
    else if (op === 1) text = text.slice(0, at) + c + text.slice(at);
    else text = text.slice(0, at) + c + text.slice(at + 1);
    notes.push(`${['del', 'ins', 'rep'][op]} ${op ? JSON.stringify(c) + ' ' : ''}@${at}`);
  }
  return { text, note: `seed filter ${s}: ${notes.join(', ')}` };
}

function genFilter(rand: Rand): { text: string; note: string } {
  const r = rand();
  let f: { text: string; note: string };
  if (r < 0.35) f = { text: fExpr(rand), note: 'grammar' };
  else if (r < 0.55) f = { text: fSoup(rand), note: 'token soup' };
  else if (r < 0.65) f = fDeep(rand);
  else f = fMutateSeed(rand);
  if (chance(rand, 0.1)) {
    const at = int(rand, f.text.length + 1);
    const c = pick(rand, CONTROL_ARG);
    f = { text: f.text.slice(0, at) + c + f.text.slice(at), note: `${f.note}; control ${JSON.stringify(c)}` };
  }
  return f;
}

const FORMAT_PIECES = [
  '%evt.num', '%proc.name', '%(evt.type)', '%evt.arg[0]', '%fd.name', '%evt.arg.fd', '%proc.aname[2]', '%evt.outputtime', '%evt.rawarg.res',
  '%%', '%', '%nope.field', '%evt.arg[', '%(', '%(evt.type', '%12proc.name', '%-5evt.num', '%evt.arg[99999999999]', 'text', '\x1b[31m', '\u009b',
];

/** A sysdig-style -p format: %field, %(field), %field[arg], the broken ones, an optional `*`. */
function genFormat(rand: Rand): string {
  const body = range(1 + int(rand, 6)).map(() => pick(rand, FORMAT_PIECES)).join(pick(rand, [' ', '', ' | ', ':']));
  return (chance(rand, 0.4) ? '*' : '') + body;
}

// ---- -o options --------------------------------------------------------------------------------

/** Flattens a parsed YAML value to dotted key paths (`a.b`, `a[0].c`), containers included, with their leaf values. */
function flatten(v: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  const container = v !== null && typeof v === 'object';
  if (prefix) out.set(prefix, container ? undefined : v);
  if (Array.isArray(v)) v.forEach((x, i) => flatten(x, `${prefix}[${i}]`, out));
  else if (container) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

/** A value of the kind the stock value has (a bool for a bool...), so that some runs get past typing. */
function plausibleValue(rand: Rand, stock: unknown): string {
  if (typeof stock === 'boolean') return pick(rand, BOOLS);
  if (typeof stock === 'number') return pick(rand, [...NUMBERS, String(stock), String(stock * 2), '1', '0.01']);
  if (typeof stock === 'string') return pick(rand, [...STRINGS, stock, stock.toUpperCase()]);
  return randomValue(rand);
}

/** A key that is not quite a key path: empty steps, open brackets, huge indexes, unicode, ESC. */
function mangledKey(rand: Rand, keys: readonly string[]): string {
  const base = pick(rand, keys);
  switch (int(rand, 4)) {
    case 0:
      return pick(rand, ['a..b', 'x[', '[0]', 'rules_files[]', 'rules_files[999999999]', 'base_syscalls.custom_set[-1]', '.priority', 'priority.', 'clé.ñ', '\x1bpriority', 'priority\\', 'a\\.b', 'x[0][0][0]', 'priority[]', 'x[1e3]', ' priority ', '[]', '\u009b', 'append_output[0].extra_fields[0].a']);
    case 1:
      return `${base}${pick(rand, ['[]', '.x', '[0]', '[999999999]', '[', '.', '..', '\\', '[]'.repeat(50)])}`;
    case 2:
      return base.replace('.', pick(rand, ['..', '.[0].', '[', '\\.', '']));
    default:
      return range(1 + int(rand, 2000)).map(() => 'a').join('.');
  }
}

/** A safe key: 80% from the stock configuration, else mangled, never one matching UNSAFE_KEY. */
function genKey(rand: Rand, keys: readonly string[]): string {
  for (let tries = 0; tries < 20; tries++) {
    const k = chance(rand, 0.8) ? pick(rand, keys) : mangledKey(rand, keys);
    if (k && !k.includes('=') && !k.includes('\x00') && !isUnsafe(k)) return k;
  }
  return 'priority';
}

// ---- falco.yaml --------------------------------------------------------------------------------

const RULES_PATHS = ['/nonexistent/rules.yaml', '/dev/null', '.', './', 'falco.yaml', '', '~', 'rules.d/', '../', '/etc/hostname', 'x.yaml', '/etc/falco/rules.d', 'ünï.yaml', '\x1b[31m.yaml'];

/** Configurations written from scratch: deep nesting, huge lists, odd rules_files, odd sections. */
function genConfig(rand: Rand): Gen & { names: string[] } {
  switch (int(rand, 5)) {
    case 0: {
      const d = 1 + int(rand, 2000);
      const text = range(d).map((i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' x\n';
      return { text, note: `block map nesting ${d}`, names: [] };
    }
    case 1: {
      const d = deepFlow(rand);
      return { text: `${pick(rand, ['rules_files', 'base_syscalls', 'append_output', 'static_fields', 'priority'])}: ${d.value}\n`, note: d.note, names: [] };
    }
    case 2: {
      const n = 1 + int(rand, 100_000);
      const key = pick(rand, ['rules_files', 'base_syscalls:\n  custom_set', 'syscall_event_drops:\n  actions', 'append_output']);
      const item = key === 'append_output' ? (i: number) => `match:\n      rule: r${i}\n    extra_output: x${i}` : key.endsWith('actions') ? () => 'log' : (i: number) => `/nonexistent/r${i}.yaml`;
      const indent = key.includes('\n') ? '    ' : '  ';
      return { text: `${key}:\n${range(n).map((i) => `${indent}- ${item(i)}\n`).join('')}`, note: `${key.replace(/:\n\s*/, '.')} with ${n} items`, names: [] };
    }
    case 3: {
      const paths = range(1 + int(rand, 4)).map(() => pick(rand, RULES_PATHS));
      const key = pick(rand, ['rules_files', 'rules_file', 'rules_files', 'both']);
      const list = paths.map((p) => `  - ${yq(p)}\n`).join('');
      const text = key === 'both' ? `rules_files:\n${list}rules_file:\n${list}` : `${key}:\n${list}`;
      return { text, note: `${key}: ${paths.map((p) => JSON.stringify(p)).join(', ')}`, names: paths.filter((p) => p.length >= 3) };
    }
    default: {
      const text = pick(rand, [
        'rules:\n  - disable:\n      rule: "*"\n  - enable:\n      tag: x\n  - disable: {}\n  - x\n',
        'append_output:\n  - match: {source: syscall, tags: [a, a], rule: "*"}\n    extra_output: "%proc.name %"\n    extra_fields: [{a: "%nope"}, a, {a: x}]\n',
        'static_fields:\n  a: "%proc.name"\n  b: [x]\n',
        'syscall_event_drops:\n  actions: [ignore, log, exit, nope]\n  threshold: 2\n',
        'engine:\n  kind: replay\n  replay:\n    capture_file: /nonexistent.scap\n',
        'priority: ~\nrule_matching: ALL\nlog_level: DEBUG\noutput_timeout: -1\n',
      ]);
      return { text, note: `section ${text.split(':')[0]}`, names: [] };
    }
  }
}

/** A billion-laughs configuration: the bomb defined under a harmless key and used as rules_files. */
function configBomb(rand: Rand): Gen {
  const b = aliasBomb(rand);
  return { text: `${b.defs}\nrules_files: ${b.top}\nbase_syscalls:\n  custom_set: ${b.top}\n`, note: `alias bomb 10^${b.levels}` };
}

/** Whether a parsed document (a DAG: aliases are shared) has an unsafe key anywhere. */
function hasUnsafeKey(docs: (YNode | undefined)[]): boolean {
  const seen = new Set<YNode>();
  const stack = docs.filter((d): d is YNode => d !== undefined);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.kind === 'seq') stack.push(...n.items);
    else if (n.kind === 'map') {
      for (const { key, value } of n.entries) {
        if (key.kind === 'scalar' && isUnsafe(key.value)) return true;
        stack.push(key, value);
      }
    }
  }
  return false;
}

const MAY_HIDE_KEY = /[\\"'?{[!]/;

/**
 * Removes every line naming an unsafe key or output section, then parses the result with
 * tsfalco's own YAML reader: if an unsafe key still got through (escapes, line folding), the
 * case falls back to the stripped stock configuration. A text that does not parse is refused by
 * tsfalco as well, so it is safe as it is.
 */
function makeSafe(g: Gen, stock: string): Gen {
  const lines = g.text.split('\n');
  const kept = lines.filter((l) => !isUnsafe(l));
  const text = kept.length === lines.length ? g.text : kept.join('\n');
  const note = kept.length === lines.length ? g.note : `${g.note}; ${lines.length - kept.length} unsafe line(s) dropped`;
  // A key can differ from the text of its line only through quotes, escapes, flow collections,
  // `?` keys or tags; without any of these, parsing (seconds for a 4 MB file) is not needed.
  const parsed = MAY_HIDE_KEY.test(text) ? parseYaml(text) : undefined;
  if (parsed?.ok && hasUnsafeKey(parsed.docs)) {
    return { text: stock.split('\n').filter((l) => !isUnsafe(l)).join('\n'), note: `${g.note}; unsafe key survived, stock used` };
  }
  return { text, note };
}

function genFalcoYaml(rand: Rand, seeds: Seeds): Gen & { names: string[] } {
  const r = rand();
  let g: Gen;
  let names: string[] = [];
  if (r < 0.5) g = mutate(rand, seeds.config, [lineOp, tokenOp, valueOp, valueOp]);
  else if (r < 0.65) g = pick(rand, HOSTILE)(rand, seeds.config);
  else if (r < 0.7) g = configBomb(rand);
  else {
    const c = genConfig(rand);
    g = c;
    names = c.names;
  }
  return { ...makeSafe(fit(g), seeds.config), names };
}

// ---- the targets -------------------------------------------------------------------------------

let cached: Seeds | undefined;

function prepare(ctx: PrepareContext): Seeds {
  if (cached && cached.fixture === join(ctx.root, 'fixtures/demo-synthetic.arrow')) return cached;
  const stock = STOCK_CONFIG_YAML;
  const stockValues = flatten(parseYamlLib(stock), '', new Map());
  for (const k of [...stockValues.keys()]) if (isUnsafe(k)) stockValues.delete(k);
  cached = {
    fixture: join(ctx.root, 'fixtures/demo-synthetic.arrow'),
    rules: [readFileSync(join(ctx.root, 'rules/tsfalco_rules.yaml'), 'utf8'), ...SMALL_RULES],
    config: stock,
    configKeys: [...stockValues.keys()],
    stockValues,
  };
  return cached;
}

const rulesCase = (rand: Rand, seeds: Seeds, argv: (s: Seeds) => string[]): FuzzCase => {
  const g = genRules(rand, seeds);
  return { files: { 'rules.yaml': g.text }, runs: [argv(seeds)], mustName: ['rules.yaml'], note: g.note };
};

export const textTargets: FuzzTarget[] = [
  {
    name: 'rules-validate',
    description: 'rules files (mutated seeds, YAML hostility, macro/list/condition generators) through `rules validate`',
    prepare,
    generate: (rand, seeds) => rulesCase(rand, seeds as Seeds, () => ['rules', 'validate', '@rules.yaml']),
  },
  {
    name: 'rules-replay',
    description: 'the same rules files loaded and run by `replay -r` over the synthetic demo trace',
    prepare,
    generate: (rand, seeds) => rulesCase(rand, seeds as Seeds, (s) => ['replay', '-r', '@rules.yaml', '--no-summary', s.fixture]),
  },
  {
    name: 'filter',
    description: '`replay --filter` expressions (grammar, token soup, deep nesting, mutated seeds), sometimes with a `-p` format',
    prepare,
    generate(rand, seeds): FuzzCase {
      const s = seeds as Seeds;
      const f = genFilter(rand);
      const argv = ['replay', '--filter', f.text];
      let note = f.note;
      if (chance(rand, 0.2)) {
        const fmt = genFormat(rand);
        argv.push('-p', fmt);
        note += `; -p ${JSON.stringify(fmt)}`;
      }
      argv.push(s.fixture);
      return { files: {}, runs: [argv], mustName: ['--filter', '-p'], note };
    },
  },
  {
    name: 'options',
    description: '`replay -o key=value` with stock and mangled keys and odd values (no key that runs, writes or connects)',
    prepare,
    generate(rand, seeds): FuzzCase {
      const s = seeds as Seeds;
      const argv = ['replay'];
      const keys: string[] = [];
      const names = new Set<string>(['-o']);
      for (let n = 1 + int(rand, 3); n > 0; n--) {
        const key = genKey(rand, s.configKeys);
        const value = chance(rand, 0.4) ? plausibleValue(rand, s.stockValues.get(key)) : randomValue(rand);
        argv.push('-o', `${key}=${value}`);
        keys.push(JSON.stringify(`${key.length > 60 ? `${key.slice(0, 60)}…(${key.length})` : key}=${value}`));
        names.add(key);
        // A rules file or trace that cannot be read is reported by its path, not by the option.
        if (/^(rules_files?|engine\.replay)/.test(key) && value.length >= 3) names.add(value);
      }
      argv.push('--no-summary', s.fixture);
      return { files: {}, runs: [argv], mustName: [...names], note: keys.join(' ') };
    },
  },
  {
    name: 'falco-yaml',
    description: '`replay -c falco.yaml`: the stock configuration mutated, YAML hostility, generated configurations (unsafe keys removed)',
    prepare,
    generate(rand, seeds): FuzzCase {
      const s = seeds as Seeds;
      const g = genFalcoYaml(rand, s);
      return {
        files: { 'falco.yaml': g.text },
        runs: [['replay', '-c', '@falco.yaml', '--no-summary', s.fixture]],
        mustName: ['falco.yaml', ...g.names],
        note: g.note,
      };
    },
  },
];
