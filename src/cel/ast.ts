/**
 * CEL syntax tree for analysis, built from @marcbachmann/cel-js's parser output.
 *
 * The library's nodes carry [start, end) offsets, but a binary node whose left operand was
 * parenthesised starts inside the parentheses (`(a || b) && c` spans `a || b) && c`). We repair
 * every span with a paren-matching pass over the source (string- and comment-aware), so each
 * node's span is a balanced, verbatim sub-expression.
 */
import { parse as celParse } from '@marcbachmann/cel-js';

type LibNode = { op: string; args: unknown; start: number; end: number };

export type LiteralType = 'string' | 'bytes' | 'int' | 'uint' | 'double' | 'bool' | 'null';
export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/' | '%';
export type MacroName = 'all' | 'exists' | 'exists_one' | 'map' | 'filter';

interface Base {
  /** [start, end) offsets into the expression text, balanced */
  start: number;
  end: number;
  /** direct children in source order (filled by the parser; walks iterate this) */
  children: readonly CelNode[];
}

export type CelNode =
  | (Base & { kind: 'literal'; type: LiteralType; value: string | number | boolean | null; size: number })
  | (Base & { kind: 'ident'; name: string })
  | (Base & { kind: 'select'; operand: CelNode; field: string; optional: boolean })
  | (Base & { kind: 'index'; operand: CelNode; index: CelNode; optional: boolean })
  | (Base & { kind: 'call'; fn: string; target: CelNode | null; args: CelNode[] })
  | (Base & { kind: 'list'; elements: CelNode[] })
  | (Base & { kind: 'map'; entries: Array<[CelNode, CelNode]> })
  | (Base & { kind: 'and' | 'or'; left: CelNode; right: CelNode })
  | (Base & { kind: 'ternary'; cond: CelNode; then: CelNode; else: CelNode })
  | (Base & { kind: 'not' | 'neg'; operand: CelNode })
  | (Base & { kind: 'binary'; op: BinaryOp; left: CelNode; right: CelNode })
  | (Base & { kind: 'has'; operand: CelNode })
  | (Base & {
      kind: 'comprehension';
      macro: MacroName;
      range: CelNode;
      iterVar: string;
      /** all/exists/exists_one/filter predicate, or map's filter (3-arg form) */
      predicate: CelNode | null;
      /** map's transform */
      transform: CelNode | null;
    })
  | (Base & { kind: 'bind'; varName: string; init: CelNode; body: CelNode });

export type CelNodeKind = CelNode['kind'];

/** A syntax error with its offset range inside the expression text. */
export class CelSyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

const MACROS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const BINARY: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=', 'in', '+', '-', '*', '/', '%']);

/** Parses one expression. Throws CelSyntaxError (never anything else for bad input). */
export function parseCel(text: string): CelNode {
  let lib: LibNode;
  try {
    lib = celParse(text).ast as unknown as LibNode;
  } catch (err) {
    const e = err as { summary?: string; message?: string; range?: { start: number; end: number } };
    const start = e.range?.start ?? 0;
    const end = Math.max(e.range?.end ?? start, start);
    const message = (e.summary ?? e.message ?? String(err)).split('\n')[0]!;
    throw new CelSyntaxError(message, start, end);
  }
  const parens = matchParens(text);
  return convert(lib, text, parens);
}

const NO_CHILDREN: readonly CelNode[] = Object.freeze([]);

type Unlinked = CelNode extends infer N ? (N extends CelNode ? Omit<N, 'children'> : never) : never;

function convert(n: LibNode, text: string, parens: Int32Array): CelNode {
  const node = build(n, text, parens) as CelNode & { children: readonly CelNode[] };
  const kids: CelNode[] = [];
  collectChildren(node, kids);
  (node as { children: readonly CelNode[] }).children = kids.length ? kids : NO_CHILDREN;
  return node;
}

function build(n: LibNode, text: string, parens: Int32Array): Unlinked {
  const [start, end] = balance(n.start, n.end, parens);
  const c = (x: unknown): CelNode => convert(x as LibNode, text, parens);
  const a = n.args as unknown[];
  switch (n.op) {
    case 'value':
      return literal(n.args, start, end);
    case 'id':
      return { kind: 'ident', name: n.args as string, start, end };
    case '.':
    case '.?':
      return { kind: 'select', operand: c(a[0]), field: a[1] as string, optional: n.op === '.?', start, end };
    case '[]':
    case '[?]':
      return { kind: 'index', operand: c(a[0]), index: c(a[1]), optional: n.op === '[?]', start, end };
    case 'list':
      return { kind: 'list', elements: a.map(c), start, end };
    case 'map':
      return { kind: 'map', entries: (a as Array<[unknown, unknown]>).map(([k, v]) => [c(k), c(v)]), start, end };
    case '&&':
    case '||':
      return { kind: n.op === '&&' ? 'and' : 'or', left: c(a[0]), right: c(a[1]), start, end };
    case '?:':
      return { kind: 'ternary', cond: c(a[0]), then: c(a[1]), else: c(a[2]), start, end };
    case '!_':
      return { kind: 'not', operand: c(n.args), start, end };
    case '-_':
      return { kind: 'neg', operand: c(n.args), start, end };
    case 'call': {
      const fn = a[0] as string;
      const args = (a[1] as unknown[]).map(c);
      if (fn === 'has' && args.length === 1) return { kind: 'has', operand: args[0]!, start, end };
      return { kind: 'call', fn, target: null, args, start, end };
    }
    case 'rcall': {
      const fn = a[0] as string;
      const target = c(a[1]);
      const args = (a[2] as unknown[]).map(c);
      if (MACROS.has(fn) && (args.length === 2 || (fn === 'map' && args.length === 3)) && args[0]!.kind === 'ident') {
        const iterVar = args[0].name;
        const three = args.length === 3;
        const macro = fn as MacroName;
        return {
          kind: 'comprehension',
          macro,
          range: target,
          iterVar,
          predicate: macro === 'map' ? (three ? args[1]! : null) : args[1]!,
          transform: macro === 'map' ? args[three ? 2 : 1]! : null,
          start,
          end,
        };
      }
      if (fn === 'bind' && target.kind === 'ident' && target.name === 'cel' && args.length === 3 && args[0]!.kind === 'ident') {
        return { kind: 'bind', varName: args[0].name, init: args[1]!, body: args[2]!, start, end };
      }
      return { kind: 'call', fn, target, args, start, end };
    }
    default:
      if (BINARY.has(n.op)) return { kind: 'binary', op: n.op as BinaryOp, left: c(a[0]), right: c(a[1]), start, end };
      throw new CelSyntaxError(`unsupported syntax node '${n.op}'`, start, end);
  }
}

function literal(value: unknown, start: number, end: number): Unlinked {
  if (typeof value === 'string') return { kind: 'literal', type: 'string', value, size: codePoints(value), start, end };
  if (typeof value === 'bigint') return { kind: 'literal', type: 'int', value: Number(value), size: 1, start, end };
  if (typeof value === 'number') return { kind: 'literal', type: 'double', value, size: 1, start, end };
  if (typeof value === 'boolean') return { kind: 'literal', type: 'bool', value, size: 1, start, end };
  if (value === null) return { kind: 'literal', type: 'null', value: null, size: 1, start, end };
  if (value instanceof Uint8Array) return { kind: 'literal', type: 'bytes', value: `b[${value.length}]`, size: value.length, start, end };
  // UnsignedInt
  return { kind: 'literal', type: 'uint', value: Number(String((value as { value?: unknown }).value ?? value)), size: 1, start, end };
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/**
 * For every '(' or ')' outside string literals and comments, the offset of its partner
 * (-1 elsewhere or when unbalanced).
 */
export function matchParens(text: string): Int32Array {
  const match = new Int32Array(text.length).fill(-1);
  const stack: number[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const raw = i > 0 && (text[i - 1] === 'r' || text[i - 1] === 'R') && !isIdentChar(text[i - 2]);
      i = skipString(text, i, raw);
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '(') stack.push(i);
    else if (ch === ')') {
      const open = stack.pop();
      if (open !== undefined) {
        match[open] = i;
        match[i] = open;
      }
    }
    i++;
  }
  return match;
}

function isIdentChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_]/.test(ch);
}

function skipString(text: string, i: number, raw: boolean): number {
  const q = text[i]!;
  const triple = text[i + 1] === q && text[i + 2] === q;
  let j = i + (triple ? 3 : 1);
  while (j < text.length) {
    const ch = text[j]!;
    if (ch === '\\' && !raw) {
      j += 2;
      continue;
    }
    if (ch === q) {
      if (!triple) return j + 1;
      if (text[j + 1] === q && text[j + 2] === q) return j + 3;
    }
    j++;
  }
  return j;
}

/** Widens [start, end) until every paren inside it has its partner inside it. */
function balance(start: number, end: number, parens: Int32Array): [number, number] {
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = start; i < end; i++) {
      const m = parens[i]!;
      if (m < 0) continue;
      if (m < start) {
        start = m;
        changed = true;
      } else if (m >= end) {
        end = m + 1;
        changed = true;
      }
    }
  }
  return [start, end];
}

/** Calls `visit` for the direct children of a node, in source order. */
export function forEachChild(node: CelNode, visit: (child: CelNode) => void): void {
  const kids = node.children;
  for (let i = 0; i < kids.length; i++) visit(kids[i]!);
}

function collectChildren(node: Unlinked, out: CelNode[]): void {
  const visit = (c: CelNode): void => void out.push(c);
  switch (node.kind) {
    case 'literal':
    case 'ident':
      return;
    case 'select':
    case 'not':
    case 'neg':
    case 'has':
      visit(node.operand);
      return;
    case 'index':
      visit(node.operand);
      visit(node.index);
      return;
    case 'call':
      if (node.target) visit(node.target);
      for (const a of node.args) visit(a);
      return;
    case 'list':
      for (const e of node.elements) visit(e);
      return;
    case 'map':
      for (const [k, v] of node.entries) {
        visit(k);
        visit(v);
      }
      return;
    case 'and':
    case 'or':
    case 'binary':
      visit(node.left);
      visit(node.right);
      return;
    case 'ternary':
      visit(node.cond);
      visit(node.then);
      visit(node.else);
      return;
    case 'comprehension':
      visit(node.range);
      if (node.predicate) visit(node.predicate);
      if (node.transform) visit(node.transform);
      return;
    case 'bind':
      visit(node.init);
      visit(node.body);
      return;
  }
}
