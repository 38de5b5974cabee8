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
  /** post-order index within its tree, 0..n-1 (the root has the largest): for per-node tables */
  id: number;
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
  // without parentheses every library span is already right
  const parens = text.includes('(') ? matchParens(text) : null;
  nextId = 0;
  return convert(lib, text, parens);
}

const NO_CHILDREN: readonly CelNode[] = Object.freeze([]);

/**
 * The one runtime class behind every CelNode kind. With one hidden class, the property reads of
 * every walk (cost, metrics, recommendations) stay monomorphic — about 3× faster than an object
 * literal shape per kind. The kind-specific fields of the CelNode union are getters over five
 * slots; `build` below fills the slots in the order these getters read them.
 */
class Node {
  constructor(
    readonly kind: CelNodeKind,
    public start: number,
    public end: number,
    readonly children: readonly CelNode[],
    private readonly a: unknown,
    private readonly b: unknown = null,
    private readonly c: unknown = null,
    private readonly d: unknown = null,
    private readonly e: unknown = null,
    public id = 0,
  ) {}

  // slot a
  get type(): unknown { return this.a; }
  get name(): unknown { return this.a; }
  get operand(): unknown { return this.a; }
  get fn(): unknown { return this.a; }
  get elements(): unknown { return this.a; }
  get entries(): unknown { return this.a; }
  get left(): unknown { return this.a; }
  get cond(): unknown { return this.a; }
  get macro(): unknown { return this.a; }
  get varName(): unknown { return this.a; }
  // slot b
  get value(): unknown { return this.b; }
  get field(): unknown { return this.b; }
  get index(): unknown { return this.b; }
  get target(): unknown { return this.b; }
  get right(): unknown { return this.b; }
  get then(): unknown { return this.b; }
  get range(): unknown { return this.b; }
  get init(): unknown { return this.b; }
  // slot c
  get size(): unknown { return this.c; }
  get optional(): unknown { return this.c; }
  get args(): unknown { return this.c; }
  get op(): unknown { return this.c; }
  get else(): unknown { return this.c; }
  get iterVar(): unknown { return this.c; }
  get body(): unknown { return this.c; }
  // slots d, e
  get predicate(): unknown { return this.d; }
  get transform(): unknown { return this.e; }
}

/** A node of `kind` with its slots (see Node); the one place a Node becomes a typed CelNode. */
function node(kind: CelNodeKind, start: number, end: number, children: readonly CelNode[], a: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown): CelNode {
  return new Node(kind, start, end, children, a, b, c, d, e) as unknown as CelNode;
}

let nextId = 0;

function convert(n: LibNode, text: string, parens: Int32Array | null): CelNode {
  const result = build(n, text, parens);
  const mutable = result as { id: number; start: number; end: number };
  mutable.id = nextId++;
  if (parens) {
    balance(result.start, result.end, result.children, parens);
    mutable.start = balancedStart;
    mutable.end = balancedEnd;
  }
  return result;
}

/** One library node → ours. */
function build(n: LibNode, text: string, parens: Int32Array | null): CelNode {
  const start = n.start;
  const end = n.end;
  const a = n.args as unknown[];
  switch (n.op) {
    case 'value':
      return literal(n.args, start, end);
    case 'id':
      return node('ident', start, end, NO_CHILDREN, n.args as string);
    case '.':
    case '.?': {
      const operand = convert(a[0] as LibNode, text, parens);
      return node('select', start, end, [operand], operand, a[1] as string, n.op === '.?');
    }
    case '[]':
    case '[?]': {
      const operand = convert(a[0] as LibNode, text, parens);
      const index = convert(a[1] as LibNode, text, parens);
      return node('index', start, end, [operand, index], operand, index, n.op === '[?]');
    }
    case 'list': {
      const elements = convertAll(a, text, parens);
      return node('list', start, end, elements.length ? elements : NO_CHILDREN, elements);
    }
    case 'map': {
      const entries: Array<[CelNode, CelNode]> = [];
      const children: CelNode[] = [];
      for (const [k, v] of a as Array<[LibNode, LibNode]>) {
        const key = convert(k, text, parens);
        const value = convert(v, text, parens);
        entries.push([key, value]);
        children.push(key, value);
      }
      return node('map', start, end, children.length ? children : NO_CHILDREN, entries);
    }
    case '&&':
    case '||': {
      const left = convert(a[0] as LibNode, text, parens);
      const right = convert(a[1] as LibNode, text, parens);
      return node(n.op === '&&' ? 'and' : 'or', start, end, [left, right], left, right);
    }
    case '?:': {
      const cond = convert(a[0] as LibNode, text, parens);
      const then = convert(a[1] as LibNode, text, parens);
      const otherwise = convert(a[2] as LibNode, text, parens);
      return node('ternary', start, end, [cond, then, otherwise], cond, then, otherwise);
    }
    case '!_':
    case '-_': {
      const operand = convert(n.args as LibNode, text, parens);
      return node(n.op === '!_' ? 'not' : 'neg', start, end, [operand], operand);
    }
    case 'call': {
      const fn = a[0] as string;
      const args = convertAll(a[1] as unknown[], text, parens);
      if (fn === 'has' && args.length === 1) return node('has', start, end, args, args[0]!);
      return node('call', start, end, args.length ? args : NO_CHILDREN, fn, null, args);
    }
    case 'rcall': {
      const fn = a[0] as string;
      const target = convert(a[1] as LibNode, text, parens);
      const args = convertAll(a[2] as unknown[], text, parens);
      if (MACROS.has(fn) && (args.length === 2 || (fn === 'map' && args.length === 3)) && args[0]!.kind === 'ident') {
        const iterVar = args[0].name;
        const three = args.length === 3;
        const predicate = fn === 'map' ? (three ? args[1]! : null) : args[1]!;
        const transform = fn === 'map' ? args[three ? 2 : 1]! : null;
        const children = [target];
        if (predicate) children.push(predicate);
        if (transform) children.push(transform);
        return node('comprehension', start, end, children, fn as MacroName, target, iterVar, predicate, transform);
      }
      if (fn === 'bind' && target.kind === 'ident' && target.name === 'cel' && args.length === 3 && args[0]!.kind === 'ident') {
        return node('bind', start, end, [args[1]!, args[2]!], args[0].name, args[1]!, args[2]!);
      }
      return node('call', start, end, [target, ...args], fn, target, args);
    }
    default:
      if (BINARY.has(n.op)) {
        const left = convert(a[0] as LibNode, text, parens);
        const right = convert(a[1] as LibNode, text, parens);
        return node('binary', start, end, [left, right], left, right, n.op as BinaryOp);
      }
      throw new CelSyntaxError(`unsupported syntax node '${n.op}'`, start, end);
  }
}

function convertAll(xs: readonly unknown[], text: string, parens: Int32Array | null): CelNode[] {
  const out = new Array<CelNode>(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = convert(xs[i] as LibNode, text, parens);
  return out;
}

function literal(value: unknown, start: number, end: number): CelNode {
  if (typeof value === 'string') return node('literal', start, end, NO_CHILDREN, 'string', value, codePoints(value));
  if (typeof value === 'bigint') return node('literal', start, end, NO_CHILDREN, 'int', Number(value), 1);
  if (typeof value === 'number') return node('literal', start, end, NO_CHILDREN, 'double', value, 1);
  if (typeof value === 'boolean') return node('literal', start, end, NO_CHILDREN, 'bool', value, 1);
  if (value === null) return node('literal', start, end, NO_CHILDREN, 'null', null, 1);
  if (value instanceof Uint8Array) return node('literal', start, end, NO_CHILDREN, 'bytes', `b[${value.length}]`, value.length);
  // UnsignedInt
  return node('literal', start, end, NO_CHILDREN, 'uint', Number(String((value as { value?: unknown }).value ?? value)), 1);
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

let scratch = new Int32Array(256);
const parenStack: number[] = [];

/**
 * For every '(' or ')' outside string literals and comments, the offset of its partner
 * (-1 elsewhere or when unbalanced). The result is a shared buffer, valid until the next call.
 */
function matchParens(text: string): Int32Array {
  const n = text.length;
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, scratch.length * 2));
  const match = scratch;
  match.fill(-1, 0, n);
  const stack = parenStack;
  stack.length = 0;
  let i = 0;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */ || ch === 39 /* ' */) {
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
      const raw = (prev === 114 /* r */ || prev === 82 /* R */) && !isIdentCode(i >= 2 ? text.charCodeAt(i - 2) : -1);
      i = skipString(text, i, raw);
      continue;
    }
    if (ch === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (ch === 40 /* ( */) stack.push(i);
    else if (ch === 41 /* ) */) {
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

/** [A-Za-z0-9_] */
function isIdentCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function skipString(text: string, i: number, raw: boolean): number {
  const q = text.charCodeAt(i);
  const triple = text.charCodeAt(i + 1) === q && text.charCodeAt(i + 2) === q;
  let j = i + (triple ? 3 : 1);
  while (j < text.length) {
    const ch = text.charCodeAt(j);
    if (ch === 92 /* \\ */ && !raw) {
      j += 2;
      continue;
    }
    if (ch === q) {
      if (!triple) return j + 1;
      if (text.charCodeAt(j + 1) === q && text.charCodeAt(j + 2) === q) return j + 3;
    }
    j++;
  }
  return j;
}

/** balance()'s result (module slots instead of a tuple per node) */
let balancedStart = 0;
let balancedEnd = 0;

/**
 * Widens [start, end) to cover the children and until every paren inside it has its partner
 * inside it. Children are already balanced, so only the gaps between them are scanned.
 */
function balance(start: number, end: number, kids: readonly CelNode[], parens: Int32Array): void {
  for (let k = 0; k < kids.length; k++) {
    const c = kids[k]!;
    if (c.start < start) start = c.start;
    if (c.end > end) end = c.end;
  }
  let ordered = true;
  for (let k = 1; k < kids.length; k++) if (kids[k]!.start < kids[k - 1]!.end) ordered = false;
  let changed = true;
  while (changed) {
    changed = false;
    let k = 0;
    for (let i = start; i < end; i++) {
      if (ordered) {
        while (k < kids.length && kids[k]!.end <= i) k++;
        if (k < kids.length && kids[k]!.start <= i) {
          i = kids[k]!.end - 1;
          continue;
        }
      }
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
  balancedStart = start;
  balancedEnd = end;
}

/** Number of nodes in a tree returned by parseCel (ids are 0..n-1, the root's is n-1). */
export function treeSize(root: CelNode): number {
  return root.id + 1;
}

/** Read access to a per-node table (see NodeTable). */
export interface NodeLookup<T> {
  get(node: CelNode): T | undefined;
  has(node: CelNode): boolean;
}

/** A per-node table indexed by node id: cheaper than a Map keyed by node on the hot path. */
export class NodeTable<T> implements NodeLookup<T> {
  private readonly values: Array<T | undefined>;
  constructor(size: number) {
    this.values = new Array<T | undefined>(size);
  }
  get(node: CelNode): T | undefined {
    return this.values[node.id];
  }
  has(node: CelNode): boolean {
    return this.values[node.id] !== undefined;
  }
  set(node: CelNode, value: T): void {
    this.values[node.id] = value;
  }
}

/** Calls `visit` for the direct children of a node, in source order. */
export function forEachChild(node: CelNode, visit: (child: CelNode) => void): void {
  const kids = node.children;
  for (let i = 0; i < kids.length; i++) visit(kids[i]!);
}
