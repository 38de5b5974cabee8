/**
 * Recommendations, each pointing at the [start, end) offsets of a sub-expression. The caller maps
 * offsets to file line:column. Rules: cheaper operand first, nested comprehensions, repeated
 * sub-expressions, regex use, `in` against large list literals, foldable constants, and deep
 * attribute reads without a has() guard.
 */
import type { CelNode } from './ast.js';
import { forEachChild } from './ast.js';
import type { CostResult, Interval } from './cost.js';
import type { RecommendationRule, Severity } from './types.js';

export interface RawRecommendation {
  rule: RecommendationRule;
  severity: Severity;
  message: string;
  suggestion: string;
  start: number;
  end: number;
}

export interface RecommendOptions {
  /** operand cost used for ordering advice; defaults to the static rank cost */
  operandCost?: (node: CelNode) => number | undefined;
  /** describes an offset for messages, e.g. `3:14` */
  locate?: (offset: number) => string;
}

/** `in` against a list literal at least this long is flagged */
export const LARGE_LIST = 16;
/** repeated sub-expressions cheaper than this (rank cost) are not worth a binding */
const REPEAT_MIN_COST = 3;

export function recommend(root: CelNode, text: string, cost: CostResult, options: RecommendOptions = {}): RawRecommendation[] {
  return new Recommender(text, cost, options).run(root);
}

const CONST = 1;
const READS_LOCAL = 2;
const NO_LOCALS: readonly string[] = Object.freeze([]);
const NO_CONST_LOCALS: ReadonlySet<string> = new Set();

/** One pass over the tree collecting candidates, then the whole-expression rules (a class: no closures per call). */
class Recommender {
  private readonly out: RawRecommendation[] = [];
  /** has() guards present anywhere in the expression (canonical paths) */
  private guarded: Set<string> | null = null;
  /** one node per key until a second one shares it (most keys are unique: no array for those) */
  private readonly repeats = new Map<number, CelNode | CelNode[]>();
  private repeatedKeys = 0;
  private readonly constNodes: CelNode[] = [];
  private readonly deepSelects: CelNode[] = [];
  /** prefix hashes of `text` (see prefixHashes): textual identity of sub-expressions in O(1) */
  private readonly prefix: Int32Array;

  constructor(
    private readonly text: string,
    private readonly cost: CostResult,
    private readonly options: RecommendOptions,
  ) {
    this.prefix = prefixHashes(text);
  }

  run(root: CelNode): RawRecommendation[] {
    this.visit(root, null, NO_LOCALS, NO_CONST_LOCALS, false, -1);
    if (this.repeatedKeys > 0) this.reportRepeats();
    this.reportConstants();
    if (this.deepSelects.length > 0) this.reportDeepSelects();
    return this.out;
  }

  private src(n: CelNode): string {
    return this.text.slice(n.start, n.end);
  }

  private rank(n: CelNode): Interval {
    return this.cost.costs.get(n) ?? NO_COST;
  }

  private opCost(n: CelNode): number {
    return this.options.operandCost?.(n) ?? this.rank(n).rank;
  }

  private locate(offset: number): string {
    return this.options.locate ? this.options.locate(offset) : `offset ${offset}`;
  }

  private spanHash(start: number, end: number): number {
    return (this.prefix[end]! - Math.imul(this.prefix[start]!, powers[end - start]!)) | 0;
  }

  /** Returns CONST when the node reads no variables (and no now()), READS_LOCAL when it reads a local. */
  private visit(
    node: CelNode,
    parent: CelNode | null,
    locals: readonly string[],
    constLocals: ReadonlySet<string>,
    inHas: boolean,
    scope: number,
  ): number {
    let childrenConst = true;
    let readsLocal = false;
    const kids = node.children;
    if (node.kind === 'comprehension' || node.kind === 'bind') {
      // the range / init is evaluated outside the new scope
      const first = node.kind === 'comprehension' ? node.range : node.init;
      const name = node.kind === 'comprehension' ? node.iterVar : node.varName;
      const childLocals = [...locals, name];
      const f = this.visit(first, node, locals, constLocals, inHas, scope);
      const firstConst = (f & CONST) !== 0;
      if (f & READS_LOCAL) readsLocal = true;
      let nextConstLocals = constLocals;
      if (firstConst) nextConstLocals = new Set(constLocals).add(name);
      childrenConst = firstConst;
      for (let i = 0; i < kids.length; i++) {
        const child = kids[i]!;
        if (child === first) continue;
        const r = this.visit(child, node, childLocals, nextConstLocals, inHas, node.start);
        if (!(r & CONST)) childrenConst = false;
        // reads of this comprehension's own variable count as local reads too (keyed by its scope)
        if (r & READS_LOCAL) readsLocal = true;
      }
    } else {
      const has = inHas || node.kind === 'has';
      for (let i = 0; i < kids.length; i++) {
        const r = this.visit(kids[i]!, node, locals, constLocals, has, scope);
        if (!(r & CONST)) childrenConst = false;
        if (r & READS_LOCAL) readsLocal = true;
      }
    }

    switch (node.kind) {
      case 'has': {
        const p = this.cost.paths.get(node.operand);
        if (p !== undefined) (this.guarded ??= new Set()).add(p);
        break;
      }
      case 'and':
      case 'or':
        if (!parent || parent.kind !== node.kind) this.checkOperandOrder(node);
        this.checkBoolLiteral(node);
        break;
      case 'comprehension':
        this.checkNested(node);
        break;
      case 'call':
        if (node.fn === 'matches') this.checkRegex(node);
        break;
      case 'binary':
        if (node.op === 'in' && node.right.kind === 'list' && node.right.elements.length >= LARGE_LIST) this.checkLargeList(node);
        break;
      case 'select':
        if (!inHas && !(parent && parent.kind === 'select' && parent.operand === node)) this.deepSelects.push(node);
        break;
    }

    let isConst: boolean;
    switch (node.kind) {
      case 'literal':
        isConst = true;
        break;
      case 'ident': {
        const local = locals.length > 0 && locals.includes(node.name);
        isConst = local && constLocals.has(node.name);
        if (local) readsLocal = true;
        break;
      }
      case 'call':
        isConst = childrenConst && node.fn !== 'now';
        break;
      default:
        isConst = childrenConst;
    }
    if (isConst && isFoldable(node)) this.constNodes.push(node);

    if (node.kind !== 'literal' && node.kind !== 'ident' && !this.cost.paths.has(node) && this.rank(node).rank >= REPEAT_MIN_COST) {
      // textually identical sub-expressions; those that read a local are keyed by its scope
      const h = this.spanHash(node.start, node.end);
      const key = readsLocal ? (Math.imul(h, 31) + scope) | 0 : h;
      const seen = this.repeats.get(key);
      if (seen === undefined) this.repeats.set(key, node);
      else {
        if (Array.isArray(seen)) seen.push(node);
        else this.repeats.set(key, [seen, node]);
        this.repeatedKeys++;
      }
    }
    return (isConst ? CONST : 0) | (readsLocal ? READS_LOCAL : 0);
  }

  private checkLargeList(node: Extract<CelNode, { kind: 'binary' }>): void {
    const list = node.right as Extract<CelNode, { kind: 'list' }>;
    const n = list.elements.length;
    const literals = list.elements.every((e) => e.kind === 'literal');
    this.out.push({
      rule: 'in-large-list',
      severity: n >= 100 ? 'warning' : 'info',
      message: `\`in\` scans a ${n}-element list literal on every evaluation (cost ${n})`,
      suggestion: literals
        ? `test membership in a map literal instead (O(1), cost 1): ${this.src(node.left)} in {${list.elements.slice(0, 2).map((e) => `${this.src(e)}: true`).join(', ')}, ...}`
        : 'move the list into a policy constant map and test `in` against its keys',
      start: node.start,
      end: node.end,
    });
  }

  private operandText(n: CelNode, kind: 'and' | 'or'): string {
    const t = this.src(n);
    const needsParens = n.kind === 'ternary' || (kind === 'and' && n.kind === 'or');
    return needsParens ? `(${t})` : t;
  }

  private checkOperandOrder(node: Extract<CelNode, { kind: 'and' | 'or' }>): void {
    const operands = flatten(node, node.kind, []);
    const costs = new Array<number>(operands.length);
    for (let i = 0; i < operands.length; i++) costs[i] = this.opCost(operands[i]!);
    let worstI = -1;
    let worstJ = -1;
    let worstRatio = 0;
    for (let i = 0; i < operands.length; i++) {
      for (let j = i + 1; j < operands.length; j++) {
        const ci = costs[i]!;
        const cj = costs[j]!;
        if (ci - cj >= 3 && ci >= 2 * cj) {
          const ratio = cj === 0 ? Infinity : ci / cj;
          if (worstI < 0 || ratio > worstRatio) {
            worstI = i;
            worstJ = j;
            worstRatio = ratio;
          }
        }
      }
    }
    if (worstI < 0) return;
    const order = operands.map((n, i) => ({ n, c: costs[i]!, i })).sort((a, b) => a.c - b.c || a.i - b.i);
    const op = node.kind === 'and' ? '&&' : '||';
    const a = operands[worstI]!;
    const b = operands[worstJ]!;
    const unit = this.options.operandCost ? 'ns' : 'cost';
    this.out.push({
      rule: 'cheaper-operand-first',
      severity: worstRatio >= 10 ? 'warning' : 'info',
      message:
        `\`${op}\` evaluates \`${clip(this.src(a))}\` (${unit} ${fmt(costs[worstI]!)}) before \`${clip(this.src(b))}\` (${unit} ${fmt(costs[worstJ]!)}); ` +
        `put cheaper operands first so short-circuiting skips the expensive one (CEL's ${op} is commutative, reordering is safe)`,
      suggestion: order.map((o) => this.operandText(o.n, node.kind)).join(` ${op} `),
      start: node.start,
      end: node.end,
    });
  }
  private checkBoolLiteral(node: Extract<CelNode, { kind: 'and' | 'or' }>): void {
    for (let k = 0; k < 2; k++) {
      const side = k === 0 ? node.left : node.right;
      if (side.kind !== 'literal' || side.type !== 'bool') continue;
      const other = side === node.left ? node.right : node.left;
      const absorbing = (node.kind === 'and') === (side.value === false);
      this.out.push({
        rule: 'constant-fold',
        severity: 'info',
        message: `\`${this.src(side)}\` makes this \`${node.kind === 'and' ? '&&' : '||'}\` ${absorbing ? 'constant' : 'redundant'}`,
        suggestion: absorbing ? `replace the whole sub-expression with ${this.src(side)}` : `keep only ${clip(this.src(other))}`,
        start: node.start,
        end: node.end,
      });
    }
  }

  private checkNested(node: Extract<CelNode, { kind: 'comprehension' }>): void {
    const inner: Array<Extract<CelNode, { kind: 'comprehension' }>> = [];
    if (node.predicate) outermostComprehensions(node.predicate, inner);
    if (node.transform) outermostComprehensions(node.transform, inner);
    for (const c of inner) {
      const depth = 1 + nestingDepth(c);
      const independent = !containsWord(this.text, c.range.start, c.range.end, node.iterVar);
      this.out.push({
        rule: 'nested-comprehension',
        severity: depth >= 3 ? 'error' : 'warning',
        message:
          `nested comprehension: \`${clip(this.src(c))}\` runs for every element of \`${clip(this.src(node.range))}\` ` +
          `(O(n${depth === 2 ? '²' : depth === 3 ? '³' : `^${depth}`}))`,
        suggestion: independent
          ? `its range \`${clip(this.src(c.range))}\` does not depend on \`${node.iterVar}\`: compute it once with cel.bind(x, ${clip(this.src(c.range))}, ...) or a policy variable, and test membership with \`in\``
          : `precompute the inner collection as a map or set (policy variable) and test with \`in\`, or bound both sizes with --size-hint`,
        start: node.start,
        end: node.end,
      });
    }
  }

  private checkRegex(node: Extract<CelNode, { kind: 'call' }>): void {
    const subject = node.target ?? node.args[0];
    const pattern = node.target ? node.args[0] : node.args[1];
    if (!subject || !pattern) return;
    if (pattern.kind !== 'literal' || pattern.type !== 'string') {
      this.out.push({
        rule: 'regex-non-constant',
        severity: 'warning',
        message: `regular expression \`${clip(this.src(pattern))}\` is computed at evaluation time: it is compiled on every evaluation and its cost cannot be bounded`,
        suggestion: 'use a constant pattern (or a policy constant), or compare with ==, startsWith, endsWith or contains',
        start: node.start,
        end: node.end,
      });
      return;
    }
    const alternatives = anchoredAlternatives(String(pattern.value));
    if (alternatives) {
      this.out.push({
        rule: 'regex-as-string-function',
        severity: 'info',
        message: `constant regex ${JSON.stringify(String(pattern.value))} only matches ${alternatives.length} fixed strings: a list membership test does the same without a regex engine`,
        suggestion: `${this.src(subject)} in [${alternatives.map((a) => JSON.stringify(a)).join(', ')}]`,
        start: node.start,
        end: node.end,
      });
      return;
    }
    const plain = plainRegex(String(pattern.value));
    if (!plain) return;
    const s = this.src(subject);
    const lit = JSON.stringify(plain.text);
    const rewrite =
      plain.start && plain.end ? `${s} == ${lit}` : plain.start ? `${s}.startsWith(${lit})` : plain.end ? `${s}.endsWith(${lit})` : `${s}.contains(${lit})`;
    this.out.push({
      rule: 'regex-as-string-function',
      severity: 'info',
      message: `constant regex ${JSON.stringify(String(pattern.value))} has no regex operators: a string function does the same without a regex engine`,
      suggestion: rewrite,
      start: node.start,
      end: node.end,
    });
  }

  /** Repeated sub-expressions: maximal groups only (not nested inside another repeated group). */
  private reportRepeats(): void {
    const groups: CelNode[][] = [];
    for (const candidates of this.repeats.values()) {
      if (!Array.isArray(candidates)) continue;
      // a hash bucket may hold different texts: split it by text
      const byText = new Map<string, CelNode[]>();
      for (const n of candidates) {
        const t = this.src(n);
        const g = byText.get(t);
        if (g) g.push(n);
        else byText.set(t, [n]);
      }
      for (const g of byText.values()) if (g.length >= 2) groups.push(g);
    }
    if (groups.length === 0) return;
    const allRepeated = groups.flat();
    for (const g of groups) {
      if (g.every((n) => covered(n, allRepeated.filter((m) => !g.includes(m))))) continue;
      const first = g[0]!;
      const c = this.rank(first);
      const where = g.map((n) => this.locate(n.start)).join(', ');
      this.out.push({
        rule: 'repeated-subexpression',
        severity: c.rank >= 10 || c.max === Infinity ? 'warning' : 'info',
        message: `\`${clip(this.src(first))}\` is evaluated ${g.length} times (cost ${fmt(c.rank)} each; at ${where})`,
        suggestion: `bind it once: cel.bind(v, ${clip(this.src(first))}, <expression using v>), or define it as a policy variable and use V.<name>`,
        start: first.start,
        end: first.end,
      });
    }
  }

  /** Constant sub-expressions: the maximal ones. */
  private reportConstants(): void {
    const constNodes = this.constNodes;
    for (const n of constNodes) {
      if (covered(n, constNodes)) continue;
      this.out.push({
        rule: 'constant-fold',
        severity: 'info',
        message: `\`${clip(this.src(n))}\` reads no variables: it is recomputed on every evaluation but its value never changes`,
        suggestion: 'fold it to its value (or a policy constant)',
        start: n.start,
        end: n.end,
      });
    }
  }

  /** Deep attribute reads without has() guards. */
  private reportDeepSelects(): void {
    const guarded = this.guarded;
    for (const n of this.deepSelects) {
      const path = this.cost.paths.get(n);
      // only R.attr.a.b... / P.attr.a.b... qualify: cheap prefix test before splitting
      if (path === undefined || !(path.startsWith('R.attr.') || path.startsWith('P.attr.')) || path.indexOf('.', 7) < 0) continue;
      // a comprehension element's path (an `@items` segment) never qualifies: skip the split
      if (path.includes('.@items.') || path.endsWith('.@items')) continue;
      const parts = path.split('.');
      const attr = parts.indexOf('attr');
      if ((parts[0] !== 'R' && parts[0] !== 'P') || attr !== 1 || parts.length < attr + 3 || parts.includes('@items')) continue;
      let ok = false;
      if (guarded) for (let k = attr + 2; k <= parts.length; k++) if (guarded.has(parts.slice(0, k).join('.'))) ok = true;
      if (ok) continue;
      const optional = parts.slice(0, attr + 2).join('.');
      this.out.push({
        rule: 'unguarded-optional-select',
        severity: 'warning',
        message: `\`${this.src(n)}\` reads a nested attribute with no has() guard: when ${optional} is absent the expression errors (no such key) instead of evaluating to false`,
        suggestion: `has(${optional}) && ...`,
        start: n.start,
        end: n.end,
      });
    }
  }
}

function flatten(node: CelNode, kind: 'and' | 'or', into: CelNode[]): CelNode[] {
  if (node.kind === kind) {
    flatten(node.left, kind, into);
    flatten(node.right, kind, into);
  } else into.push(node);
  return into;
}

/** True when `word` occurs in text[start, end) as a whole word (as regex `\b` bounds it: ASCII [A-Za-z0-9_]). */
export function containsWord(text: string, start: number, end: number, word: string): boolean {
  for (let at = text.indexOf(word, start); at >= 0 && at + word.length <= end; at = text.indexOf(word, at + 1)) {
    const before = at > start ? text.charCodeAt(at - 1) : -1;
    const after = at + word.length < end ? text.charCodeAt(at + word.length) : -1;
    if (!isWordCode(before) && !isWordCode(after)) return true;
  }
  return false;
}

function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** True when another node of `by` spans `n`. */
function covered(n: CelNode, by: readonly CelNode[]): boolean {
  for (let i = 0; i < by.length; i++) {
    const m = by[i]!;
    if (m !== n && m.start <= n.start && n.end <= m.end) return true;
  }
  return false;
}

/** The comprehensions under `n` (itself included) that no other comprehension under `n` encloses. */
function outermostComprehensions(n: CelNode, into: Array<Extract<CelNode, { kind: 'comprehension' }>>): void {
  if (n.kind === 'comprehension') {
    into.push(n);
    return;
  }
  const kids = n.children;
  for (let i = 0; i < kids.length; i++) outermostComprehensions(kids[i]!, into);
}

const NO_COST: Interval = { min: 0, max: 0, rank: 0 };

let prefixScratch = new Int32Array(256);
let powers = new Int32Array(0);

/**
 * Polynomial prefix hashes of `text` (mod 2^32): the hash of any [start, end) span is then
 * prefix[end] - prefix[start] * 131^(end - start), in O(1). Uses a shared buffer, valid until the
 * next call; `powers` holds 131^k for k up to the longest text seen.
 */
function prefixHashes(text: string): Int32Array {
  const n = text.length;
  if (prefixScratch.length < n + 1) prefixScratch = new Int32Array(Math.max(n + 1, prefixScratch.length * 2));
  if (powers.length < n + 1) {
    const size = Math.max(n + 1, powers.length * 2, 256);
    powers = new Int32Array(size);
    powers[0] = 1;
    for (let i = 1; i < size; i++) powers[i] = Math.imul(powers[i - 1]!, 131);
  }
  const prefix = prefixScratch;
  prefix[0] = 0;
  for (let i = 0; i < n; i++) prefix[i + 1] = (Math.imul(prefix[i]!, 131) + text.charCodeAt(i)) | 0;
  return prefix;
}

function nestingDepth(node: CelNode): number {
  let max = 0;
  const find = (n: CelNode, d: number): void => {
    if (n.kind === 'comprehension' && n !== node) {
      d++;
      if (d > max) max = d;
    }
    forEachChild(n, (c) => find(c, d));
  };
  if (node.kind === 'comprehension') {
    if (node.predicate) find(node.predicate, 0);
    if (node.transform) find(node.transform, 0);
  }
  return 1 + max;
}

/** A node whose constant value is worth folding: an operation, not a literal or a literal container. */
function isFoldable(node: CelNode): boolean {
  switch (node.kind) {
    case 'literal':
    case 'ident':
    case 'list':
    case 'map':
      return false;
    case 'call':
      return !((node.fn === 'timestamp' || node.fn === 'duration') && node.args.length === 1 && node.args[0]!.kind === 'literal');
    case 'neg':
      return node.operand.kind !== 'literal';
    default:
      return true;
  }
}

/** `^(a|b|c)$` / `^(?:a|b)$` / `^a|b$`-free forms: an anchored alternation of plain strings → the strings. */
export function anchoredAlternatives(pattern: string): string[] | null {
  const m = /^\^\((?:\?:)?(.*)\)\$$/.exec(pattern);
  if (!m || !m[1]!.includes('|')) return null;
  const out: string[] = [];
  for (const alt of m[1]!.split('|')) {
    const plain = plainRegex(alt);
    if (!plain || plain.start || plain.end) return null;
    out.push(plain.text);
  }
  return out;
}

/** `^abc` / `abc$` / `^abc$` / `abc` with no operators → the literal text and anchors. */
export function plainRegex(pattern: string): { text: string; start: boolean; end: boolean } | null {
  let p = pattern;
  const start = p.startsWith('^');
  if (start) p = p.slice(1);
  let end = false;
  if (p.endsWith('$') && !p.endsWith('\\$')) {
    end = true;
    p = p.slice(0, -1);
  }
  let text = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '\\') {
      const next = p[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return null; // \d, \w, \b ...
      text += next;
      i++;
      continue;
    }
    if ('.^$*+?()[]{}|'.includes(ch)) return null;
    text += ch;
  }
  if (text === '') return null;
  return { text, start, end };
}

/** One line of at most `max` characters (whitespace folded), for quoting code in messages. */
export function clip(s: string, max = 60): string {
  const one = singleSpaced(s) ? s : s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** True when `s` has no whitespace but single ASCII spaces (so folding would not change it). */
function singleSpaced(s: string): boolean {
  let prevSpace = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (prevSpace) return false;
      prevSpace = true;
      continue;
    }
    if (c < 32 || c >= 0x7f) return false; // control and non-ASCII: let the regex decide
    prevSpace = false;
  }
  return true;
}

/** A cost for messages: thousands separators, `unbounded` for Infinity. */
export function fmt(n: number): string {
  if (n === Infinity) return 'unbounded';
  if (n > -1000 && n < 1000 && Number.isInteger(n)) return String(n);
  const v = Number.isInteger(n) || Math.abs(n) >= 100 ? Math.round(n).toString() : n.toPrecision(3);
  return v.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
