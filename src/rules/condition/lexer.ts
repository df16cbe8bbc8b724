/**
 * Chevrotain lexer for Falco conditions.
 *
 * Falco's own parser lexes on demand, so what a character sequence means depends on where it
 * stands: after `=` the text `/usr/bin/x` or `a.b` is a bare string, in check position `a.b` is a
 * field. We reproduce that with lexer modes: a binary operator pushes the `value` mode (one
 * value, or a `(`-list which switches to `list` mode), and the value's token pops back.
 *
 * Every mode ends in a one-character catch-all token (`Garbage`) so the lexer itself never
 * fails; the parser turns a misplaced token into Falco's error message for that place.
 */
import { createToken, Lexer, type CustomPatternMatcherFunc, type TokenType } from './chevrotain.js';

const BLANKS = /[ \t\b\r\n]+/;

/**
 * Falco's quoted string: from a quote to the next same quote not preceded by a backslash
 * (note: `"a\\"` does not end at its last quote in Falco, and not here either).
 */
function quoted(text: string, offset: number): RegExpExecArray | null {
  const q = text.charCodeAt(offset);
  if (q !== 34 && q !== 39) return null;
  // as in Falco, the opening quote itself is examined with a virtual preceding backslash
  let prev = 92;
  for (let i = offset; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === q && prev !== 92) {
      const m = [text.slice(offset, i + 1)] as unknown as RegExpExecArray;
      return m;
    }
    prev = c;
  }
  return null;
}

/** `[arg]` right after a field: quoted or bare (`[^][\"'[:space:]]+`). */
const fieldArg: CustomPatternMatcherFunc = (text, offset) => {
  if (text.charCodeAt(offset) !== 91) return null;
  let end: number;
  const q = text.charCodeAt(offset + 1);
  if (q === 34 || q === 39) {
    const m = quoted(text, offset + 1);
    if (!m) return null;
    end = offset + 1 + m[0].length;
  } else {
    end = offset + 1;
    while (end < text.length && !/[\][\"'\s]/.test(text[end]!)) end++;
    if (end === offset + 1) return null;
  }
  if (text.charCodeAt(end) !== 93) return null;
  return [text.slice(offset, end + 1)] as unknown as RegExpExecArray;
};

// ---- main mode -------------------------------------------------------------------------
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: BLANKS, group: Lexer.SKIPPED, line_breaks: true });
export const FieldName = createToken({
  name: 'FieldName',
  pattern: /[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z][a-zA-Z0-9_]*)+/,
});
export const Identifier = createToken({ name: 'Identifier', pattern: /[a-zA-Z][a-zA-Z0-9_]*/ });
const kw = (name: string, word: string, extra: Partial<Parameters<typeof createToken>[0]> = {}): TokenType =>
  createToken({ name, pattern: new RegExp(word), longer_alt: [FieldName, Identifier], ...extra });
export const And = kw('And', 'and');
export const Or = kw('Or', 'or');
export const Not = kw('Not', 'not');
export const Exists = kw('Exists', 'exists');
export const TransformerOpen = createToken({
  name: 'TransformerOpen',
  pattern: /(?:tolower|toupper|b64|basename|len)\(/,
});
export const FieldArg = createToken({
  name: 'FieldArg',
  pattern: { exec: fieldArg },
  start_chars_hint: ['['],
  line_breaks: true,
});
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });

/** Every binary operator token carries the operator text in `OPERATOR_OF`. */
export const BinaryOp = createToken({ name: 'BinaryOp', pattern: Lexer.NA });
const op = (name: string, pattern: RegExp, longer = false): TokenType =>
  createToken({
    name,
    pattern,
    categories: [BinaryOp],
    push_mode: 'value',
    ...(longer ? { longer_alt: [FieldName, Identifier] } : {}),
  });
const blankAfter = (w: string): RegExp => new RegExp(`${w}(?=[ \\t\\b\\r\\n])`);
export const OPERATOR_TOKENS: Array<[TokenType, string]> = [
  [op('OpEqEq', /==/), '=='],
  [op('OpEq', /=/), '='],
  [op('OpNe', /!=/), '!='],
  [op('OpLe', /<=/), '<='],
  [op('OpLt', /</), '<'],
  [op('OpGe', />=/), '>='],
  [op('OpGt', />/), '>'],
  [op('OpIContains', blankAfter('icontains')), 'icontains'],
  [op('OpBContains', blankAfter('bcontains')), 'bcontains'],
  [op('OpContains', blankAfter('contains')), 'contains'],
  [op('OpBStartswith', blankAfter('bstartswith')), 'bstartswith'],
  [op('OpStartswith', blankAfter('startswith')), 'startswith'],
  [op('OpEndswith', blankAfter('endswith')), 'endswith'],
  [op('OpIGlob', blankAfter('iglob')), 'iglob'],
  [op('OpGlob', blankAfter('glob')), 'glob'],
  [op('OpRegex', blankAfter('regex')), 'regex'],
  [op('OpIntersects', /intersects/, true), 'intersects'],
  [op('OpIn', /in/, true), 'in'],
  [op('OpPmatch', /pmatch/, true), 'pmatch'],
];
export const OPERATOR_OF = new Map<TokenType, string>(OPERATOR_TOKENS);
export const Garbage = createToken({ name: 'Garbage', pattern: /[^ \t\b\r\n]/ });

// ---- value mode (one value after a binary operator) --------------------------------------
export const ValOpen = createToken({ name: 'ValOpen', pattern: /val\(/, pop_mode: true });
export const VTransformerOpen = createToken({
  name: 'VTransformerOpen',
  pattern: /(?:tolower|toupper|b64|basename|len)\(/,
  pop_mode: true,
});
export const ListOpen = createToken({ name: 'ListOpen', pattern: /\(/, pop_mode: true, push_mode: 'list' });
export const Quoted = createToken({
  name: 'Quoted',
  pattern: { exec: ((t: string, o: number) => quoted(t, o)) as CustomPatternMatcherFunc },
  start_chars_hint: ['"', "'"],
  line_breaks: true,
  pop_mode: true,
});
const BARE = /[^()"'\t\n\v\f\r =,]+/;
export const Bare = createToken({ name: 'Bare', pattern: BARE, pop_mode: true });
export const VGarbage = createToken({ name: 'VGarbage', pattern: /[^ \t\b\r\n]/, pop_mode: true });

// ---- list mode ---------------------------------------------------------------------------
export const ListClose = createToken({ name: 'ListClose', pattern: /\)/, pop_mode: true });
export const ListComma = createToken({ name: 'ListComma', pattern: /,/ });
export const LQuoted = createToken({
  name: 'LQuoted',
  pattern: { exec: ((t: string, o: number) => quoted(t, o)) as CustomPatternMatcherFunc },
  start_chars_hint: ['"', "'"],
  line_breaks: true,
});
export const LBare = createToken({ name: 'LBare', pattern: BARE });
export const LGarbage = createToken({ name: 'LGarbage', pattern: /[^ \t\b\r\n]/ });

const mainTokens: TokenType[] = [
  WhiteSpace,
  TransformerOpen,
  ...OPERATOR_TOKENS.map(([t]) => t),
  And,
  Or,
  Not,
  Exists,
  FieldName,
  Identifier,
  FieldArg,
  LParen,
  RParen,
  Comma,
  Garbage,
];

export const allTokens: TokenType[] = [
  ...mainTokens,
  BinaryOp,
  ValOpen,
  VTransformerOpen,
  ListOpen,
  Quoted,
  Bare,
  VGarbage,
  ListClose,
  ListComma,
  LQuoted,
  LBare,
  LGarbage,
];

export const conditionLexer = new Lexer(
  {
    modes: {
      main: mainTokens,
      value: [WhiteSpace, ValOpen, VTransformerOpen, ListOpen, Quoted, Bare, VGarbage],
      list: [WhiteSpace, ListComma, ListClose, LQuoted, LBare, LGarbage],
    },
    defaultMode: 'main',
  },
  { positionTracking: 'onlyOffset', ensureOptimizations: false, skipValidations: true },
);
