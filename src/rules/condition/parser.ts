/**
 * parseCondition: chevrotain parser for Falco's condition grammar.
 *
 * Chevrotain parses each check (`field op value`, transformers, lists) and the flat sequence of
 * boolean tokens between checks; the boolean structure (and/or/not/parentheses) is then built by
 * an explicit-stack precedence pass. That split keeps nesting depth off the JS call stack: a
 * condition with thousands of nested parentheses or a 10k-term `or` chain parses in linear time.
 *
 * Error messages are Falco's (libsinsp filter/parser.cpp) and point at the offending token.
 */
import { EmbeddedActionsParser, EOF, type IToken, type TokenType } from './chevrotain.js';
import {
  allTokens,
  And,
  Bare,
  BinaryOp,
  conditionLexer,
  Exists,
  FieldArg,
  FieldName,
  Identifier,
  ListClose,
  ListComma,
  ListOpen,
  LBare,
  LParen,
  LQuoted,
  Not,
  OPERATOR_OF,
  Or,
  Quoted,
  RParen,
  TransformerOpen,
  ValOpen,
  VTransformerOpen,
} from './lexer.js';
import {
  ALL_OPERATORS,
  LIST_OPERATORS,
  NUMERIC_OPERATORS,
  TRANSFORMERS,
  type CheckExpr,
  type Expr,
  type FieldRef,
  type ListExpr,
  type ListItem,
  type Operand,
  type Operator,
  type Pos,
  type TransformExpr,
  type TransformerName,
  type ValueExpr,
} from './ast.js';
import { ConditionError } from './errors.js';
import { positionMapper, unescapeQuoted } from './strings.js';

const quoteList = (xs: readonly string[]): string => xs.map((x) => `'${x}'`).join(', ');
const TRANSFORMERS_WITH_VAL = quoteList(['val', ...TRANSFORMERS]);
const MSG_OPERATOR = `expected a valid check operator: one of ${quoteList(ALL_OPERATORS)}`;
const MSG_NUM = `expected a number value or a field with a valid transformer: ${TRANSFORMERS_WITH_VAL}`;
const MSG_STR = `expected a string value or a field with a valid transformer: ${TRANSFORMERS_WITH_VAL}`;
const MSG_LIST = `expected a list, an identifier, or a field with a valid transformer: ${TRANSFORMERS_WITH_VAL}`;
const MSG_CHECK = "expected a '(' token, a field check, or an identifier";
const MSG_FIELD_ARG = 'expected a valid field argument: a quoted string or a bare string';
const MSG_TRANSFORMER_ARG =
  'expected field transformer argument: field, transformer, quoted string, number, or transformer list';
const MSG_CLOSE_TRANSFORMER = "expected a ')' token closing the transformer";
/** Falco caps parser recursion at 1000 (rule_loader_compiler sets it); we only need the cap for transformer chains. */
const MAX_TRANSFORMER_NESTING = 100;

const RGX_NUMBER = /^(?:0[xX][0-9a-fA-F]+|[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?)$/;
const RGX_IDENTIFIER_PREFIX = /^[a-zA-Z][a-zA-Z0-9_]*/;

type ItemType = 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'operand' | 'bad';
interface Item {
  type: ItemType;
  tok: IToken;
  node?: Expr;
}

/** Falco reports "unexpected token after '<last token>'": the text it lexed last. */
function lastTokenText(tok: IToken | undefined, quotedValue?: string): string {
  if (!tok) return '';
  if (quotedValue !== undefined) return quotedValue;
  const t = tok.tokenType;
  if (t === FieldArg) return ']';
  if (t === TransformerOpen || t === VTransformerOpen || t === ValOpen) return tok.image.slice(0, -1);
  return tok.image;
}

class ConditionParser extends EmbeddedActionsParser {
  text = '';
  posOf: (offset: number) => Pos = () => ({ offset: 0, line: 0, column: 0 });
  items: Item[] = [];
  /** Unescaped value of each quoted token, by token start offset, for error messages. */
  quotedValues = new Map<number, string>();
  depth = 0;

  constructor() {
    super(allTokens, { recoveryEnabled: false, maxLookahead: 1 });
    this.performSelfAnalysis();
  }

  fail(message: string, tok: IToken): never {
    const off = tok.tokenType === EOF ? this.text.length : tok.startOffset;
    throw new ConditionError(message, this.posOf(off));
  }

  /** Position just after the last real token (EOF tokens carry no offset). */
  tokPos(tok: IToken): Pos {
    return this.posOf(tok.tokenType === EOF ? this.text.length : tok.startOffset);
  }

  quotedValue(tok: IToken): string {
    const pos = this.posOf(tok.startOffset);
    const v = unescapeQuoted(tok.image, pos);
    this.quotedValues.set(tok.startOffset, v);
    return v;
  }

  /** FieldArg only counts when it touches the preceding token, as in Falco (`a.b[1]`, not `a.b [1]`). */
  adjacentArg(prev: IToken): boolean {
    const la = this.LA(1);
    return la.tokenType === FieldArg && la.startOffset === prev.startOffset + prev.image.length;
  }

  parseArg(tok: IToken): string {
    const inner = tok.image.slice(1, -1);
    if (inner.startsWith('"') || inner.startsWith("'")) return this.quotedValue({ ...tok, image: inner, startOffset: tok.startOffset + 1 });
    return inner;
  }

  /** Whole condition: a flat run of boolean tokens and checks. */
  public condition = this.RULE('condition', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.push('lparen', this.CONSUME(LParen)) },
        { ALT: () => this.push('rparen', this.CONSUME(RParen)) },
        { ALT: () => this.push('and', this.CONSUME(And)) },
        { ALT: () => this.push('or', this.CONSUME(Or)) },
        { ALT: () => this.push('not', this.CONSUME(Not)) },
        {
          ALT: () => {
            const t = this.CONSUME(Identifier);
            this.ACTION(() => this.items.push({ type: 'operand', tok: t, node: { kind: 'macro', name: t.image, pos: this.tokPos(t) } }));
          },
        },
        {
          ALT: () => {
            const first = this.LA(1);
            const c = this.SUBRULE(this.check);
            this.ACTION(() => this.items.push({ type: 'operand', tok: first, node: c }));
          },
        },
      ]);
    });
  });

  peek(): IToken {
    return this.LA(1);
  }

  push(type: ItemType, tok: IToken): void {
    this.ACTION(() => this.items.push({ type, tok }));
  }

  /** `field op value`, `field exists`, with transformers on either side. */
  public check = this.RULE('check', (): CheckExpr => {
    const first = this.LA(1);
    const left = this.SUBRULE(this.operand);
    let op: Operator = 'exists';
    let opTok: IToken = first;
    let right: CheckExpr['right'];
    this.OR([
      {
        ALT: () => {
          opTok = this.CONSUME(Exists);
        },
      },
      {
        ALT: () => {
          opTok = this.CONSUME(BinaryOp);
          op = this.ACTION(() => OPERATOR_OF.get(opTok.tokenType) as Operator);
          right = this.SUBRULE(this.rhs, { ARGS: [op] });
        },
      },
      { ALT: () => this.ACTION(() => this.fail(MSG_OPERATOR, this.LA(1))) },
    ]);
    return this.ACTION(() => {
      const c: CheckExpr = { kind: 'check', left, op, pos: this.tokPos(first), opPos: this.tokPos(opTok) };
      if (right) c.right = right;
      return c;
    });
  });

  /** A field or a transformer over one (left side, or right side after val()/transformer). */
  public operand = this.RULE('operand', (): Operand => {
    return this.OR([
      {
        ALT: () => {
          const f = this.CONSUME(FieldName);
          let arg: string | undefined;
          this.OPTION({
            GATE: () => this.adjacentArg(f),
            DEF: () => {
              const a = this.CONSUME(FieldArg);
              arg = this.ACTION(() => this.parseArg(a));
            },
          });
          return this.ACTION(() => this.fieldRef(f, arg));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(TransformerOpen);
          return this.SUBRULE(this.transformerTail, { ARGS: [t] });
        },
      },
      {
        ALT: () =>
          this.ACTION(() => {
            const la = this.LA(1);
            // in check position only a field or transformer starts an operand
            return this.fail(this.depth > 0 ? MSG_TRANSFORMER_ARG : MSG_CHECK, la);
          }) as Operand,
      },
    ]);
  });

  fieldRef(f: IToken, arg: string | undefined): FieldRef {
    const r: FieldRef = { kind: 'field', name: f.image, pos: this.tokPos(f) };
    if (arg !== undefined) r.arg = arg;
    return r;
  }

  /** After `tolower(` (main or value mode): the inner operand, `)`, optional `[arg]`. */
  public transformerTail = this.RULE('transformerTail', (open: IToken): TransformExpr => {
    this.ACTION(() => {
      if (++this.depth > MAX_TRANSFORMER_NESTING) this.fail('exceeded max depth limit of 1000', open);
    });
    const inner = this.SUBRULE(this.operand);
    let close: IToken = open;
    this.OR([
      { ALT: () => { close = this.CONSUME(RParen); } },
      { ALT: () => this.ACTION(() => this.fail(MSG_CLOSE_TRANSFORMER, this.LA(1))) },
    ]);
    let arg: string | undefined;
    this.OPTION({
      GATE: () => this.adjacentArg(close),
      DEF: () => {
        const a = this.CONSUME(FieldArg);
        arg = this.ACTION(() => this.parseArg(a));
      },
    });
    return this.ACTION(() => {
      this.depth--;
      const t: TransformExpr = {
        kind: 'transform',
        name: open.image.slice(0, -1) as TransformerName,
        value: inner,
        pos: this.tokPos(open),
      };
      if (arg !== undefined) t.arg = arg;
      return t;
    });
  });

  /** `val(field)` on the right-hand side. */
  public valTail = this.RULE('valTail', (open: IToken): TransformExpr => {
    let f: IToken = open;
    this.OR([
      { ALT: () => { f = this.CONSUME(FieldName); } },
      { ALT: () => this.ACTION(() => this.fail("expected a field within 'val' transformer", this.LA(1))) },
    ]);
    let arg: string | undefined;
    this.OPTION({
      GATE: () => this.adjacentArg(f),
      DEF: () => {
        const a = this.CONSUME(FieldArg);
        arg = this.ACTION(() => this.parseArg(a));
      },
    });
    let close: IToken = open;
    this.OR2([
      { ALT: () => { close = this.CONSUME(RParen); } },
      { ALT: () => this.ACTION(() => this.fail(MSG_CLOSE_TRANSFORMER, this.LA(1))) },
    ]);
    let targ: string | undefined;
    this.OPTION2({
      GATE: () => this.adjacentArg(close),
      DEF: () => {
        const a = this.CONSUME2(FieldArg);
        targ = this.ACTION(() => this.parseArg(a));
      },
    });
    return this.ACTION(() => {
      const t: TransformExpr = { kind: 'transform', name: 'val', value: this.fieldRef(f, arg), pos: this.tokPos(open) };
      if (targ !== undefined) t.arg = targ;
      return t;
    });
  });

  /** The right-hand side of a binary operator (value-mode tokens). */
  public rhs = this.RULE('rhs', (op: Operator): CheckExpr['right'] => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(ValOpen);
          return this.SUBRULE(this.valTail, { ARGS: [t] });
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(VTransformerOpen);
          return this.SUBRULE2(this.transformerTail, { ARGS: [t] });
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(ListOpen);
          this.ACTION(() => {
            if (!LIST_OPERATORS.includes(op as never)) this.fail(this.valueMessage(op), t);
          });
          return this.SUBRULE(this.listTail, { ARGS: [t] });
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(Quoted);
          return this.ACTION(() => {
            if (NUMERIC_OPERATORS.includes(op as never) || LIST_OPERATORS.includes(op as never)) this.fail(this.valueMessage(op), t);
            const v: ValueExpr = { kind: 'value', value: this.quotedValue(t), quoted: true, pos: this.tokPos(t) };
            return v;
          });
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(Bare);
          return this.ACTION(() => this.bareValue(op, t));
        },
      },
      { ALT: () => this.ACTION(() => this.fail(this.valueMessage(op), this.LA(1))) as ValueExpr },
    ]);
  });

  valueMessage(op: Operator): string {
    if (NUMERIC_OPERATORS.includes(op as never)) return MSG_NUM;
    if (LIST_OPERATORS.includes(op as never)) return MSG_LIST;
    return MSG_STR;
  }

  bareValue(op: Operator, t: IToken): ValueExpr {
    const pos = this.tokPos(t);
    if (NUMERIC_OPERATORS.includes(op as never)) {
      if (!RGX_NUMBER.test(t.image)) {
        // Falco lexes the longest number prefix and then fails on what follows
        const m = /^(?:0[xX][0-9a-fA-F]+|[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?)/.exec(t.image);
        if (!m) this.fail(MSG_NUM, t);
        throw new ConditionError(`unexpected token after '${m[0]}', expecting 'or', 'and'`, this.posOf(t.startOffset + m[0].length));
      }
    } else if (LIST_OPERATORS.includes(op as never)) {
      const m = RGX_IDENTIFIER_PREFIX.exec(t.image);
      if (!m) this.fail(MSG_LIST, t);
      if (m[0].length !== t.image.length)
        throw new ConditionError(`unexpected token after '${m[0]}', expecting 'or', 'and'`, this.posOf(t.startOffset + m[0].length));
    }
    return { kind: 'value', value: t.image, quoted: false, pos };
  }

  /** After `(` in value position: items separated by commas, then `)`. */
  public listTail = this.RULE('listTail', (open: IToken): ListExpr => {
    const items: ListItem[] = [];
    const item = (t: IToken, quoted: boolean): void => {
      this.ACTION(() => {
        items.push({ value: quoted ? this.quotedValue(t) : t.image, quoted, pos: this.tokPos(t) });
      });
    };
    this.OPTION(() => {
      this.OR([
        { ALT: () => item(this.CONSUME(LQuoted), true) },
        { ALT: () => item(this.CONSUME(LBare), false) },
      ]);
      this.MANY(() => {
        this.CONSUME(ListComma);
        this.OR2([
          { ALT: () => item(this.CONSUME2(LQuoted), true) },
          { ALT: () => item(this.CONSUME2(LBare), false) },
          { ALT: () => this.ACTION(() => this.fail('expected a string value', this.LA(1))) },
        ]);
      });
    });
    this.OR3([
      { ALT: () => { this.CONSUME(ListClose); } },
      { ALT: () => this.ACTION(() => this.fail("expected a ')' token", this.LA(1))) },
    ]);
    return this.ACTION(() => ({ kind: 'list', items, pos: this.tokPos(open) }) as ListExpr);
  });
}

let parserInstance: ConditionParser | undefined;
function getParser(): ConditionParser {
  return (parserInstance ??= new ConditionParser());
}

/**
 * Parse one condition into an AST. Throws ConditionError (Falco's message, 0-based position)
 * on any syntax error; never anything else.
 */
export function parseCondition(text: string): Expr {
  if (typeof text !== 'string' || text.length === 0) {
    throw new ConditionError('filter input string is empty', { offset: 0, line: 0, column: 0 });
  }
  const posOf = positionMapper(text);
  const lexed = conditionLexer.tokenize(text);
  if (lexed.errors.length > 0) {
    // cannot normally happen: every mode has a catch-all token
    const e = lexed.errors[0]!;
    throw new ConditionError(`unexpected character '${text[e.offset] ?? ''}'`, posOf(e.offset));
  }
  const p = getParser();
  p.text = text;
  p.posOf = posOf;
  p.items = [];
  p.quotedValues = new Map();
  p.depth = 0;
  p.input = lexed.tokens;
  let rest: IToken | undefined;
  try {
    p.condition();
    rest = p.errors.length === 0 ? p.peek() : p.errors[0]!.token;
  } finally {
    p.input = [];
  }
  const items = p.items;
  if (rest && rest.tokenType !== EOF) items.push({ type: 'bad', tok: rest });
  if (p.errors.length > 0 && (!rest || rest.tokenType === EOF)) {
    items.push({ type: 'bad', tok: rest ?? ({ tokenType: EOF } as unknown as IToken) });
  }
  return assemble(items, lexed.tokens, text, posOf, p.quotedValues);
}

interface Frame {
  ors: Expr[];
  ands: Expr[];
  not: boolean;
  notPos: Pos | undefined;
  /** pending negation of the group this frame is inside of */
  outerNot: boolean;
  outerNotPos: Pos | undefined;
  open: IToken | undefined;
}

/** Builds and/or/not/parentheses structure from the flat item list, without recursion. */
function assemble(
  items: Item[],
  tokens: IToken[],
  text: string,
  posOf: (o: number) => Pos,
  quotedValues: Map<number, string>,
): Expr {
  const tokenIndex = new Map<IToken, number>();
  const prevText = (tok: IToken): string => {
    let i = tokenIndex.get(tok);
    if (i === undefined) {
      i = tokens.indexOf(tok);
      if (i < 0) i = tokens.length;
    }
    const prev = tokens[i - 1];
    return lastTokenText(prev, prev ? quotedValues.get(prev.startOffset) : undefined);
  };
  const at = (tok: IToken | undefined): Pos =>
    posOf(!tok || tok.tokenType === EOF || Number.isNaN(tok.startOffset) ? text.length : tok.startOffset);
  const unexpected = (tok: IToken | undefined): never => {
    throw new ConditionError(`unexpected token after '${prevText(tok ?? ({} as IToken))}', expecting 'or', 'and'`, at(tok));
  };

  const stack: Frame[] = [];
  let f: Frame = { ors: [], ands: [], not: false, notPos: undefined, outerNot: false, outerNotPos: undefined, open: undefined };
  let expectOperand = true;
  const closeFrame = (fr: Frame): Expr => {
    if (fr.ands.length) fr.ors.push(fr.ands.length === 1 ? fr.ands[0]! : { kind: 'and', children: fr.ands, pos: fr.ands[0]!.pos });
    return fr.ors.length === 1 ? fr.ors[0]! : { kind: 'or', children: fr.ors, pos: fr.ors[0]!.pos };
  };
  const addOperand = (node: Expr): void => {
    if (f.not) node = { kind: 'not', child: node, pos: f.notPos ?? node.pos };
    f.not = false;
    f.notPos = undefined;
    f.ands.push(node);
    expectOperand = false;
  };

  for (const it of items) {
    if (expectOperand) {
      switch (it.type) {
        case 'not':
          if (!f.not) f.notPos = at(it.tok);
          f.not = !f.not;
          continue;
        case 'lparen':
          stack.push(f);
          f = { ors: [], ands: [], not: false, notPos: undefined, outerNot: f.not, outerNotPos: f.notPos, open: it.tok };
          stack[stack.length - 1]!.not = false;
          continue;
        case 'operand':
          addOperand(it.node!);
          continue;
        default:
          if (it.type === 'rparen' || it.type === 'bad' || it.type === 'and' || it.type === 'or') {
            throw new ConditionError(MSG_CHECK, at(it.tok));
          }
      }
    } else {
      switch (it.type) {
        case 'and':
          expectOperand = true;
          continue;
        case 'or':
          f.ors.push(f.ands.length === 1 ? f.ands[0]! : { kind: 'and', children: f.ands, pos: f.ands[0]!.pos });
          f.ands = [];
          expectOperand = true;
          continue;
        case 'rparen': {
          if (stack.length === 0) unexpected(it.tok);
          const node = closeFrame(f);
          const inner = f;
          f = stack.pop()!;
          f.not = inner.outerNot;
          f.notPos = inner.outerNotPos;
          addOperand(node);
          continue;
        }
        default: {
          // Falco reads `and`/`or` as a prefix and then wants a blank or `(` (`a andb`)
          const img = it.tok.image ?? '';
          const kw = /^(and|or)/.exec(img);
          if (kw && (it.tok.tokenType === Identifier || it.tok.tokenType === FieldName)) {
            throw new ConditionError(`expected blank or '(' after '${kw[1]}'`, posOf(it.tok.startOffset + kw[1]!.length));
          }
          if (stack.length > 0) throw new ConditionError("expected a ')' token", at(it.tok));
          unexpected(it.tok);
        }
      }
    }
  }
  if (expectOperand) throw new ConditionError(MSG_CHECK, posOf(text.length));
  if (stack.length > 0) throw new ConditionError("expected a ')' token", posOf(text.length));
  return closeFrame(f);
}
