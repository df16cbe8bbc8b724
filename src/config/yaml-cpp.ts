/**
 * Reads YAML the way Falco's yaml-cpp does, keeping a mark (offset, 0-based line and column)
 * for every node.
 *
 * yaml-cpp differs from a YAML 1.2 loader in ways rule files rely on: every scalar is text
 * (types are decided later, when a value is decoded as bool/int/string), unknown tags such as
 * `!=` are ignored, duplicate keys are allowed (a lookup finds the first), and `~`/`null`/empty
 * plain scalars are null. Parse errors carry yaml-cpp's wording and 1-based position:
 * `yaml-cpp: error at line 1, column 11: illegal map value`.
 */
import { Alias, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, Scalar } from 'yaml';
import type { Document, Node as YamlNode, YAMLError } from 'yaml';

/** A 0-based position in the text, like yaml-cpp's YAML::Mark. */
export interface Mark {
  offset: number;
  line: number;
  column: number;
}

export interface ScalarNode {
  kind: 'scalar';
  value: string;
  mark: Mark;
  /** Source range of the scalar (from the indicator of a block scalar to its end). */
  end: number;
  /** How it was written: PLAIN, QUOTE_SINGLE, QUOTE_DOUBLE, BLOCK_LITERAL, BLOCK_FOLDED. */
  style: string;
}
export interface NullNode {
  kind: 'null';
  mark: Mark;
}
export interface SeqNode {
  kind: 'seq';
  items: YNode[];
  mark: Mark;
}
export interface MapNode {
  kind: 'map';
  entries: { key: YNode; value: YNode }[];
  mark: Mark;
}
export type YNode = ScalarNode | NullNode | SeqNode | MapNode;

export interface YamlParseError {
  /** yaml-cpp style message, e.g. `yaml-cpp: error at line 1, column 11: illegal map value`. */
  message: string;
  mark: Mark;
}

export type ParsedYaml = { ok: true; docs: (YNode | undefined)[] } | { ok: false; error: YamlParseError };

/**
 * Documents nested deeper than this are refused. The yaml package parses recursively, and near
 * the end of the stack V8 can abort the whole process (a regexp compile that cannot allocate),
 * so depth is estimated by a cheap scan before parsing. Rule files nest about 6 levels.
 */
export const MAX_YAML_DEPTH = 400;

/**
 * An upper estimate of the nesting depth of a YAML text, without parsing it: open flow brackets
 * outside strings and comments, plus the stack of block indentation levels, plus compact
 * `- - x` entries on a line. Stops counting as soon as `limit` is exceeded.
 */
export function nestingExceeds(text: string, limit: number): { offset: number } | undefined {
  let flow = 0;
  const indents: number[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lineStart = i;
    let indent = 0;
    while (i < n && text[i] === ' ') {
      i++;
      indent++;
    }
    const first = text[i];
    if (flow === 0 && first !== undefined && first !== '\n' && first !== '\r' && first !== '#') {
      while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      let extra = 0;
      let j = i;
      while (text[j] === '-' && (text[j + 1] === ' ' || text[j + 1] === '\t')) {
        extra++;
        j += 2;
        while (text[j] === ' ' || text[j] === '\t') j++;
      }
      if (indents.length + extra > limit) return { offset: lineStart };
    }
    // Scan the rest of the line for flow brackets, skipping quoted strings and comments.
    while (i < n && text[i] !== '\n') {
      const c = text[i]!;
      if (c === '"' || c === "'") {
        i++;
        while (i < n && text[i] !== c) {
          if (c === '"' && text[i] === '\\') i++;
          i++;
        }
      } else if (c === '#' && (i === lineStart || text[i - 1] === ' ' || text[i - 1] === '\t')) {
        while (i < n && text[i] !== '\n') i++;
        break;
      } else if (c === '[' || c === '{') {
        flow++;
        if (flow + indents.length > limit) return { offset: i };
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
      i++;
    }
    i++;
  }
  return undefined;
}

const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL']);

/** Maps offsets to 0-based line/column. */
export class MarkIndex {
  private readonly lineStarts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }
  mark(offset: number): Mark {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo, column: offset - starts[lo]! };
  }
}

/** Looks up a key in a map node the way yaml-cpp's `node[key]` does: the first entry wins. */
export function get(node: YNode | undefined, key: string): YNode | undefined {
  if (!node || node.kind !== 'map') return undefined;
  for (const e of node.entries) if (e.key.kind === 'scalar' && e.key.value === key) return e.value;
  return undefined;
}

/** The text of a key as yaml-cpp's `as<std::string>()` would give it (null keys read as `~`... here ''). */
export function keyText(node: YNode): string {
  return node.kind === 'scalar' ? node.value : node.kind === 'null' ? '' : node.kind;
}

/** yaml-cpp's convert<bool>. */
export function decodeBool(text: string): boolean | undefined {
  switch (text) {
    case 'y': case 'Y': case 'yes': case 'Yes': case 'YES': case 'true': case 'True': case 'TRUE': case 'on': case 'On': case 'ON':
      return true;
    case 'n': case 'N': case 'no': case 'No': case 'NO': case 'false': case 'False': case 'FALSE': case 'off': case 'Off': case 'OFF':
      return false;
    default:
      return undefined;
  }
}

/** yaml-cpp's convert<uint32_t>/<int>: a whole decimal (or 0x/0o) number that fits, nothing else on the line. */
export function decodeUint(text: string, max = 0xffffffff): number | undefined {
  const t = text.trim();
  let n: number;
  if (/^\+?[0-9]+$/.test(t)) n = Number(t);
  else if (/^0x[0-9a-fA-F]+$/.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^0o[0-7]+$/.test(t)) n = parseInt(t.slice(2), 8);
  else return undefined;
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

// yaml's error codes mapped to the yaml-cpp message a user of Falco would see for the same mistake.
function yamlCppMessage(err: YAMLError, text: string): { msg: string; offset: number } {
  const at = err.pos[0];
  switch (err.code) {
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY': {
      // yaml-cpp stops at the offending ':' (the second value indicator on the line).
      const lineEnd = text.indexOf('\n', at);
      const line = text.slice(at, lineEnd === -1 ? text.length : lineEnd);
      const m = /:(?=\s|$)/.exec(line);
      return { msg: 'illegal map value', offset: m ? at + m.index : at };
    }
    case 'MISSING_CHAR': {
      if (/quote/i.test(err.message)) return { msg: 'illegal EOF in scalar', offset: at };
      if (/\]/.test(err.message)) return { msg: 'end of sequence flow not found', offset: at };
      if (/\}/.test(err.message)) return { msg: 'end of map flow not found', offset: at };
      return { msg: 'unknown token', offset: at };
    }
    case 'BAD_INDENT':
      if (/Flow sequence/i.test(err.message)) return { msg: 'end of sequence flow not found', offset: at };
      if (/Flow mapping/i.test(err.message)) return { msg: 'end of map flow not found', offset: at };
      return { msg: 'end of map not found', offset: at };
    case 'TAB_AS_INDENT':
      return { msg: 'illegal tab when looking for indentation', offset: at };
    case 'BAD_SCALAR_START':
      return { msg: 'plain value cannot start with flow indicator character', offset: at };
    case 'BAD_ALIAS':
      return { msg: 'alias not found after *', offset: at };
    case 'DUPLICATE_KEY':
      return { msg: 'map keys must be unique', offset: at };
    case 'UNEXPECTED_TOKEN':
      if (/\]|\}/.test(text.slice(at, at + 1))) return { msg: 'illegal flow end', offset: at };
      return { msg: 'unknown token', offset: at };
    case 'MULTIPLE_ANCHORS':
      return { msg: 'cannot assign multiple anchors to the same node', offset: at };
    case 'MULTIPLE_TAGS':
      return { msg: 'cannot assign multiple tags to the same node', offset: at };
    case 'ALIAS_PROPS':
      return { msg: 'aliases can\'t have any content, *including* tags', offset: at };
    case 'BAD_DIRECTIVE':
      return { msg: 'YAML directives must have exactly one argument', offset: at };
    default: {
      if (/escape/i.test(err.message)) return { msg: 'unknown escape character: ' + text.charAt(at + 1), offset: at };
      if (/block scalar/i.test(err.message)) return { msg: 'unexpected character in block scalar', offset: at };
      return { msg: 'illegal map value', offset: at };
    }
  }
}

function parseError(msg: string, mark: Mark): { ok: false; error: YamlParseError } {
  return {
    ok: false,
    error: { message: `yaml-cpp: error at line ${mark.line + 1}, column ${mark.column + 1}: ${msg}`, mark },
  };
}

class ConvertError extends Error {
  constructor(readonly yamlMsg: string, readonly offset: number) {
    super(yamlMsg);
  }
}

/** Parses every document of `text`. Never throws: bad input gives `{ok: false}`. */
export function parseYaml(text: string): ParsedYaml {
  const marks = new MarkIndex(text);
  const deep = nestingExceeds(text, MAX_YAML_DEPTH);
  if (deep) return parseError(`exceeded maximum nesting depth of ${MAX_YAML_DEPTH}`, marks.mark(deep.offset));
  let documents: Document.Parsed[];
  // The yaml package reports problems as Error objects; their stack traces are never used here
  // and capturing them dominated the cost of parsing broken files.
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const parsed = parseAllDocuments(text, {
      schema: 'failsafe', // every scalar is text, as in yaml-cpp
      uniqueKeys: false,
      strict: false,
      prettyErrors: false,
      keepSourceTokens: false,
    });
    documents = Array.isArray(parsed) ? parsed : [];
    if (!Array.isArray(parsed)) {
      // An EmptyStream: no documents at all.
      return { ok: true, docs: [] };
    }
  } catch (e) {
    return parseError(e instanceof RangeError ? 'exceeded maximum nesting depth' : 'unknown token', marks.mark(0));
  } finally {
    Error.stackTraceLimit = stackLimit;
  }
  for (const doc of documents) {
    const err = doc.errors[0];
    if (err) {
      const { msg, offset } = yamlCppMessage(err, text);
      return parseError(msg, marks.mark(Math.min(offset, text.length)));
    }
  }
  const docs: (YNode | undefined)[] = [];
  try {
    for (const doc of documents) {
      const seen = new Map<YamlNode, YNode>();
      docs.push(doc.contents === null ? undefined : convert(doc.contents as YamlNode, doc, marks, seen, 0, new Set()));
    }
  } catch (e) {
    if (e instanceof ConvertError) return parseError(e.yamlMsg, marks.mark(e.offset));
    return parseError(e instanceof RangeError ? 'exceeded maximum nesting depth' : 'unknown token', marks.mark(0));
  }
  return { ok: true, docs };
}

function convert(
  node: YamlNode,
  doc: Document.Parsed,
  marks: MarkIndex,
  seen: Map<YamlNode, YNode>,
  depth: number,
  resolving: Set<YamlNode>,
): YNode {
  if (depth > MAX_YAML_DEPTH) throw new ConvertError(`exceeded maximum nesting depth of ${MAX_YAML_DEPTH}`, node.range?.[0] ?? 0);
  if (isAlias(node)) {
    const target = (node as Alias).resolve(doc);
    if (!target) throw new ConvertError(`the referenced anchor is not defined: ${(node as Alias).source}`, node.range?.[0] ?? 0);
    if (resolving.has(target)) throw new ConvertError('invalid alias', node.range?.[0] ?? 0);
    // Aliases share the converted node: a DAG, never a copy, so alias bombs cost nothing.
    const done = seen.get(target);
    if (done) return done;
    return convert(target, doc, marks, seen, depth, resolving);
  }
  const cached = seen.get(node);
  if (cached) return cached;
  const start = node.range?.[0] ?? 0;
  const mark = marks.mark(start);
  let out: YNode;
  if (isScalar(node)) {
    const s = node as Scalar;
    const style = String(s.type ?? 'PLAIN');
    const value = s.value === null || s.value === undefined ? '' : String(s.value);
    if (style === 'PLAIN' && NULL_WORDS.has(value) && !s.tag) out = { kind: 'null', mark };
    else out = { kind: 'scalar', value, mark, end: node.range?.[1] ?? start, style };
  } else if (isSeq(node)) {
    const seq: SeqNode = { kind: 'seq', items: [], mark };
    seen.set(node, seq);
    resolving.add(node);
    for (const item of node.items) {
      seq.items.push(item === null || item === undefined
        ? { kind: 'null', mark }
        : convert(item as YamlNode, doc, marks, seen, depth + 1, resolving));
    }
    resolving.delete(node);
    out = seq;
  } else if (isMap(node)) {
    const map: MapNode = { kind: 'map', entries: [], mark };
    seen.set(node, map);
    resolving.add(node);
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = pair.key as YamlNode | null;
      const v = pair.value as YamlNode | null;
      const key: YNode = k === null || k === undefined ? { kind: 'null', mark } : convert(k, doc, marks, seen, depth + 1, resolving);
      const valueMark = key.kind === 'scalar' ? marks.mark(key.end) : mark;
      const value: YNode = v === null || v === undefined
        ? { kind: 'null', mark: valueMark }
        : convert(v, doc, marks, seen, depth + 1, resolving);
      map.entries.push({ key, value });
    }
    resolving.delete(node);
    out = map;
  } else {
    out = { kind: 'null', mark };
  }
  seen.set(node, out);
  return out;
}

/**
 * Maps an offset inside a scalar's decoded value to the offset in the file where that character
 * was written. Folding, indentation and quoting change the text, so the characters are aligned
 * greedily: each value character is looked up at or after the previous match, skipping only
 * whitespace and quote/escape characters. Good enough to point a caret at a condition token.
 */
export function valueOffsetToSource(text: string, node: ScalarNode, valueOffset: number): number {
  const value = node.value;
  let src = node.mark.offset;
  if (node.style === 'BLOCK_LITERAL' || node.style === 'BLOCK_FOLDED') {
    const nl = text.indexOf('\n', src);
    src = nl === -1 ? node.end : nl + 1;
  } else if (node.style === 'QUOTE_DOUBLE' || node.style === 'QUOTE_SINGLE') {
    src += 1;
  }
  const limit = Math.min(node.end, text.length);
  const target = Math.min(valueOffset, value.length);
  for (let i = 0; i < target; i++) {
    const ch = value[i]!;
    let j = src;
    while (j < limit && text[j] !== ch && (/\s/.test(text[j]!) || text[j] === '\\' || text[j] === '\'' || text[j] === '"')) j++;
    if (j < limit && text[j] === ch) src = j + 1;
    else if (/\s/.test(ch)) continue; // a folded newline: no source character of its own
    else src = Math.min(src + 1, limit);
  }
  // Skip the whitespace that precedes the target character.
  if (target < value.length) {
    const ch = value[target]!;
    let j = src;
    while (j < limit && text[j] !== ch && /\s/.test(text[j]!)) j++;
    if (j < limit && text[j] === ch) src = j;
  }
  return Math.min(src, Math.max(limit, node.mark.offset));
}
