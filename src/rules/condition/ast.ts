/**
 * The condition AST: plain, immutable data. Nodes may be shared between trees (macro
 * resolution substitutes the same macro body object at every use), so passes must never
 * mutate nodes in place.
 */

/** A place inside the condition text; all three are 0-based. */
export interface Pos {
  offset: number;
  line: number;
  column: number;
}

export type Expr = AndExpr | OrExpr | NotExpr | MacroRef | CheckExpr;

export interface AndExpr {
  kind: 'and';
  children: Expr[];
  pos: Pos;
}

export interface OrExpr {
  kind: 'or';
  children: Expr[];
  pos: Pos;
}

export interface NotExpr {
  kind: 'not';
  child: Expr;
  pos: Pos;
}

/** A bare identifier in check position: a macro reference (Falco's identifier_expr). */
export interface MacroRef {
  kind: 'macro';
  name: string;
  pos: Pos;
}

export type UnaryOperator = 'exists';
export type BinaryOperator =
  | '='
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'contains'
  | 'icontains'
  | 'bcontains'
  | 'startswith'
  | 'bstartswith'
  | 'endswith'
  | 'glob'
  | 'iglob'
  | 'regex'
  | 'in'
  | 'intersects'
  | 'pmatch';
export type Operator = UnaryOperator | BinaryOperator;

export const STRING_OPERATORS: readonly BinaryOperator[] = [
  '==',
  '=',
  '!=',
  'glob',
  'iglob',
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'regex',
];
export const NUMERIC_OPERATORS: readonly BinaryOperator[] = ['<=', '<', '>=', '>'];
export const LIST_OPERATORS: readonly BinaryOperator[] = ['intersects', 'in', 'pmatch'];
/** Falco's list of operators, in the order its parser reports them. */
export const ALL_OPERATORS: readonly Operator[] = [
  'exists',
  ...NUMERIC_OPERATORS,
  ...STRING_OPERATORS,
  ...LIST_OPERATORS,
];

export type TransformerName = 'tolower' | 'toupper' | 'b64' | 'basename' | 'len';
export const TRANSFORMERS: readonly TransformerName[] = ['tolower', 'toupper', 'b64', 'basename', 'len'];

/** A field as written: `proc.aname[2]` -> name `proc.aname`, arg `2`. Dotted args (`evt.arg.fd`) stay in name. */
export interface FieldRef {
  kind: 'field';
  name: string;
  /** Bracket argument, unescaped if it was quoted. */
  arg?: string;
  pos: Pos;
}

/** `tolower(x)` etc., or `val(x)` (identity, right-hand side only). */
export interface TransformExpr {
  kind: 'transform';
  name: TransformerName | 'val';
  value: FieldRef | TransformExpr;
  /** Falco's grammar accepts `tolower(x)[a]`; the checker rejects it. */
  arg?: string;
  pos: Pos;
}

export type Operand = FieldRef | TransformExpr;

/** A constant: bare or quoted (quoted strings are unescaped). */
export interface ValueExpr {
  kind: 'value';
  value: string;
  quoted: boolean;
  pos: Pos;
  /** Set by resolveCondition when this value came from a list named by a bare identifier (`x in mylist`). */
  fromList?: string;
}

export interface ListItem {
  value: string;
  quoted: boolean;
  pos: Pos;
  /** Set by resolveCondition on items substituted from a named list. */
  fromList?: string;
}

export interface ListExpr {
  kind: 'list';
  items: ListItem[];
  pos: Pos;
}

export interface CheckExpr {
  kind: 'check';
  left: Operand;
  op: Operator;
  /** Absent only for `exists`. */
  right?: ValueExpr | ListExpr | Operand;
  pos: Pos;
  opPos: Pos;
}

export const ZERO_POS: Pos = Object.freeze({ offset: 0, line: 0, column: 0 });

/** Depth of a tree, computed without recursion. */
export function exprDepth(root: Expr): number {
  let max = 0;
  const stack: Array<[Expr, number]> = [[root, 1]];
  while (stack.length) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    if (e.kind === 'and' || e.kind === 'or') for (const c of e.children) stack.push([c, d + 1]);
    else if (e.kind === 'not') stack.push([e.child, d + 1]);
  }
  return max;
}

/** The field at the bottom of a chain of transformers. */
export function baseField(o: Operand): FieldRef {
  let cur: Operand = o;
  while (cur.kind === 'transform') cur = cur.value;
  return cur;
}
