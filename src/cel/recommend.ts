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
  const out: RawRecommendation[] = [];
  const src = (n: CelNode): string => text.slice(n.start, n.end);
  const rank = (n: CelNode): Interval => cost.costs.get(n) ?? NO_COST;
  const opCost = (n: CelNode): number => options.operandCost?.(n) ?? rank(n).rank;
  const locate = options.locate ?? ((offset: number) => `offset ${offset}`);

  // has() guards present anywhere in the expression (canonical paths)
  const guarded = new Set<string>();
  // one node per key until a second one shares it (most keys are unique: no array for those)
  const repeats = new Map<number, CelNode | CelNode[]>();
  const constNodes: CelNode[] = [];

  // textual identity of sub-expressions via O(1) span hashes; equal hashes are verified by text below
  const spanHash = spanHasher(text);
  const CONST = 1;
  const READS_LOCAL = 2;

  /** Returns CONST when the node reads no variables (and no now()), READS_LOCAL when it reads a local. */
  const visit = (
    node: CelNode,
    parent: CelNode | null,
    locals: readonly string[],
    constLocals: ReadonlySet<string>,
    inHas: boolean,
    scope: number,
  ): number => {
    let childrenConst = true;
    let readsLocal = false;
    const kids = node.children;
    if (node.kind === 'comprehension' || node.kind === 'bind') {
      // the range / init is evaluated outside the new scope
      const first = node.kind === 'comprehension' ? node.range : node.init;
      const name = node.kind === 'comprehension' ? node.iterVar : node.varName;
      const childLocals = [...locals, name];
      const f = visit(first, node, locals, constLocals, inHas, scope);
      const firstConst = (f & CONST) !== 0;
      if (f & READS_LOCAL) readsLocal = true;
      let nextConstLocals = constLocals;
      if (firstConst) nextConstLocals = new Set(constLocals).add(name);
      childrenConst = firstConst;
      for (let i = 0; i < kids.length; i++) {
        const child = kids[i]!;
        if (child === first) continue;
        const r = visit(child, node, childLocals, nextConstLocals, inHas, node.start);
        if (!(r & CONST)) childrenConst = false;
        // reads of this comprehension's own variable count as local reads too (keyed by its scope)
        if (r & READS_LOCAL) readsLocal = true;
      }
    } else {
      const has = inHas || node.kind === 'has';
      for (let i = 0; i < kids.length; i++) {
        const r = visit(kids[i]!, node, locals, constLocals, has, scope);
        if (!(r & CONST)) childrenConst = false;
        if (r & READS_LOCAL) readsLocal = true;
      }
    }

    switch (node.kind) {
      case 'has': {
        const p = cost.paths.get(node.operand);
        if (p !== undefined) guarded.add(p);
        break;
      }
      case 'and':
      case 'or':
        if (!parent || parent.kind !== node.kind) checkOperandOrder(node);
        checkBoolLiteral(node);
        break;
      case 'comprehension':
        checkNested(node);
        break;
      case 'call':
        if (node.fn === 'matches') checkRegex(node);
        break;
      case 'binary':
        if (node.op === 'in' && node.right.kind === 'list' && node.right.elements.length >= LARGE_LIST) {
          const n = node.right.elements.length;
          const literals = node.right.elements.every((e) => e.kind === 'literal');
          out.push({
            rule: 'in-large-list',
            severity: n >= 100 ? 'warning' : 'info',
            message: `\`in\` scans a ${n}-element list literal on every evaluation (cost ${n})`,
            suggestion: literals
              ? `test membership in a map literal instead (O(1), cost 1): ${src(node.left)} in {${node.right.elements.slice(0, 2).map((e) => `${src(e)}: true`).join(', ')}, ...}`
              : 'move the list into a policy constant map and test `in` against its keys',
            start: node.start,
            end: node.end,
          });
        }
        break;
      case 'select':
        if (!inHas && !(parent && parent.kind === 'select' && parent.operand === node)) deepSelects.push(node);
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
    if (isConst && isFoldable(node)) constNodes.push(node);

    if (node.kind !== 'literal' && node.kind !== 'ident' && !cost.paths.has(node) && rank(node).rank >= REPEAT_MIN_COST) {
      // textually identical sub-expressions; those that read a local are keyed by its scope
      const h = spanHash(node.start, node.end);
      const key = readsLocal ? (Math.imul(h, 31) + scope) | 0 : h;
      const seen = repeats.get(key);
      if (seen === undefined) repeats.set(key, node);
      else if (Array.isArray(seen)) seen.push(node);
      else repeats.set(key, [seen, node]);
    }
    return (isConst ? CONST : 0) | (readsLocal ? READS_LOCAL : 0);
  };

  const deepSelects: CelNode[] = [];

  function flatten(node: CelNode, kind: 'and' | 'or', into: CelNode[]): CelNode[] {
    if (node.kind === kind) {
      flatten(node.left, kind, into);
      flatten(node.right, kind, into);
    } else into.push(node);
    return into;
  }

  function operandText(n: CelNode, kind: 'and' | 'or'): string {
    const t = src(n);
    const needsParens = n.kind === 'ternary' || (kind === 'and' && n.kind === 'or');
    return needsParens ? `(${t})` : t;
  }

  function checkOperandOrder(node: Extract<CelNode, { kind: 'and' | 'or' }>): void {
    const operands = flatten(node, node.kind, []);
    const costs = operands.map(opCost);
    let worst: { i: number; j: number; ratio: number } | null = null;
    for (let i = 0; i < operands.length; i++) {
      for (let j = i + 1; j < operands.length; j++) {
        const ci = costs[i]!;
        const cj = costs[j]!;
        if (ci - cj >= 3 && ci >= 2 * cj) {
          const ratio = cj === 0 ? Infinity : ci / cj;
          if (!worst || ratio > worst.ratio) worst = { i, j, ratio };
        }
      }
    }
    if (!worst) return;
    const order = operands.map((n, i) => ({ n, c: costs[i]!, i })).sort((a, b) => a.c - b.c || a.i - b.i);
    const op = node.kind === 'and' ? '&&' : '||';
    const a = operands[worst.i]!;
    const b = operands[worst.j]!;
    const unit = options.operandCost ? 'ns' : 'cost';
    out.push({
      rule: 'cheaper-operand-first',
      severity: worst.ratio >= 10 ? 'warning' : 'info',
      message:
        `\`${op}\` evaluates \`${clip(src(a))}\` (${unit} ${fmt(costs[worst.i]!)}) before \`${clip(src(b))}\` (${unit} ${fmt(costs[worst.j]!)}); ` +
        `put cheaper operands first so short-circuiting skips the expensive one (CEL's ${op} is commutative, reordering is safe)`,
      suggestion: order.map((o) => operandText(o.n, node.kind)).join(` ${op} `),
      start: node.start,
      end: node.end,
    });
  }

  function checkBoolLiteral(node: Extract<CelNode, { kind: 'and' | 'or' }>): void {
    for (const side of [node.left, node.right]) {
      if (side.kind !== 'literal' || side.type !== 'bool') continue;
      const other = side === node.left ? node.right : node.left;
      const absorbing = (node.kind === 'and') === (side.value === false);
      out.push({
        rule: 'constant-fold',
        severity: 'info',
        message: `\`${src(side)}\` makes this \`${node.kind === 'and' ? '&&' : '||'}\` ${absorbing ? 'constant' : 'redundant'}`,
        suggestion: absorbing ? `replace the whole sub-expression with ${src(side)}` : `keep only ${clip(src(other))}`,
        start: node.start,
        end: node.end,
      });
    }
  }

  function checkNested(node: Extract<CelNode, { kind: 'comprehension' }>): void {
    const inner: Array<Extract<CelNode, { kind: 'comprehension' }>> = [];
    const findInner = (n: CelNode): void => {
      if (n.kind === 'comprehension') {
        inner.push(n);
        return;
      }
      forEachChild(n, findInner);
    };
    if (node.predicate) findInner(node.predicate);
    if (node.transform) findInner(node.transform);
    if (inner.length === 0) return;
    for (const c of inner) {
      const depth = 1 + nestingDepth(c);
      const independent = !new RegExp(`\\b${node.iterVar}\\b`).test(src(c.range));
      out.push({
        rule: 'nested-comprehension',
        severity: depth >= 3 ? 'error' : 'warning',
        message:
          `nested comprehension: \`${clip(src(c))}\` runs for every element of \`${clip(src(node.range))}\` ` +
          `(O(n${depth === 2 ? '²' : depth === 3 ? '³' : `^${depth}`}))`,
        suggestion: independent
          ? `its range \`${clip(src(c.range))}\` does not depend on \`${node.iterVar}\`: compute it once with cel.bind(x, ${clip(src(c.range))}, ...) or a policy variable, and test membership with \`in\``
          : `precompute the inner collection as a map or set (policy variable) and test with \`in\`, or bound both sizes with --size-hint`,
        start: node.start,
        end: node.end,
      });
    }
  }

  function checkRegex(node: Extract<CelNode, { kind: 'call' }>): void {
    const subject = node.target ?? node.args[0];
    const pattern = node.target ? node.args[0] : node.args[1];
    if (!subject || !pattern) return;
    if (pattern.kind !== 'literal' || pattern.type !== 'string') {
      out.push({
        rule: 'regex-non-constant',
        severity: 'warning',
        message: `regular expression \`${clip(src(pattern))}\` is computed at evaluation time: it is compiled on every evaluation and its cost cannot be bounded`,
        suggestion: 'use a constant pattern (or a policy constant), or compare with ==, startsWith, endsWith or contains',
        start: node.start,
        end: node.end,
      });
      return;
    }
    const alternatives = anchoredAlternatives(String(pattern.value));
    if (alternatives) {
      out.push({
        rule: 'regex-as-string-function',
        severity: 'info',
        message: `constant regex ${JSON.stringify(String(pattern.value))} only matches ${alternatives.length} fixed strings: a list membership test does the same without a regex engine`,
        suggestion: `${src(subject)} in [${alternatives.map((a) => JSON.stringify(a)).join(', ')}]`,
        start: node.start,
        end: node.end,
      });
      return;
    }
    const plain = plainRegex(String(pattern.value));
    if (!plain) return;
    const s = src(subject);
    const lit = JSON.stringify(plain.text);
    const rewrite =
      plain.start && plain.end ? `${s} == ${lit}` : plain.start ? `${s}.startsWith(${lit})` : plain.end ? `${s}.endsWith(${lit})` : `${s}.contains(${lit})`;
    out.push({
      rule: 'regex-as-string-function',
      severity: 'info',
      message: `constant regex ${JSON.stringify(String(pattern.value))} has no regex operators: a string function does the same without a regex engine`,
      suggestion: rewrite,
      start: node.start,
      end: node.end,
    });
  }

  visit(root, null, [], new Set(), false, -1);

  // repeated sub-expressions: keep maximal groups (not nested inside another repeated group)
  const groups: CelNode[][] = [];
  for (const candidates of repeats.values()) {
    if (!Array.isArray(candidates)) continue;
    // a hash bucket may hold different texts: split it by text
    const byText = new Map<string, CelNode[]>();
    for (const n of candidates) {
      const t = src(n);
      const g = byText.get(t);
      if (g) g.push(n);
      else byText.set(t, [n]);
    }
    for (const g of byText.values()) if (g.length >= 2) groups.push(g);
  }
  const covered = (n: CelNode, by: CelNode[]): boolean => by.some((m) => m !== n && m.start <= n.start && n.end <= m.end);
  const allRepeated = groups.flat();
  for (const g of groups) {
    if (g.every((n) => covered(n, allRepeated.filter((m) => !g.includes(m))))) continue;
    const first = g[0]!;
    const c = rank(first);
    const where = g.map((n) => locate(n.start)).join(', ');
    out.push({
      rule: 'repeated-subexpression',
      severity: c.rank >= 10 || c.max === Infinity ? 'warning' : 'info',
      message: `\`${clip(src(first))}\` is evaluated ${g.length} times (cost ${fmt(c.rank)} each; at ${where})`,
      suggestion: `bind it once: cel.bind(v, ${clip(src(first))}, <expression using v>), or define it as a policy variable and use V.<name>`,
      start: first.start,
      end: first.end,
    });
  }

  // constant sub-expressions: report maximal ones
  for (const n of constNodes) {
    if (covered(n, constNodes)) continue;
    out.push({
      rule: 'constant-fold',
      severity: 'info',
      message: `\`${clip(src(n))}\` reads no variables: it is recomputed on every evaluation but its value never changes`,
      suggestion: 'fold it to its value (or a policy constant)',
      start: n.start,
      end: n.end,
    });
  }

  // deep attribute reads without has() guards
  for (const n of deepSelects) {
    const path = cost.paths.get(n);
    // only R.attr.a.b... / P.attr.a.b... qualify: cheap prefix test before splitting
    if (path === undefined || !(path.startsWith('R.attr.') || path.startsWith('P.attr.')) || path.indexOf('.', 7) < 0) continue;
    // a comprehension element's path (an `@items` segment) never qualifies: skip the split
    if (path.includes('.@items.') || path.endsWith('.@items')) continue;
    const parts = path.split('.');
    const attr = parts.indexOf('attr');
    if ((parts[0] !== 'R' && parts[0] !== 'P') || attr !== 1 || parts.length < attr + 3 || parts.includes('@items')) continue;
    let ok = false;
    if (guarded.size > 0) for (let k = attr + 2; k <= parts.length; k++) if (guarded.has(parts.slice(0, k).join('.'))) ok = true;
    if (ok) continue;
    const optional = parts.slice(0, attr + 2).join('.');
    out.push({
      rule: 'unguarded-optional-select',
      severity: 'warning',
      message: `\`${src(n)}\` reads a nested attribute with no has() guard: when ${optional} is absent the expression errors (no such key) instead of evaluating to false`,
      suggestion: `has(${optional}) && ...`,
      start: n.start,
      end: n.end,
    });
  }
  return out;
}

const NO_COST: Interval = { min: 0, max: 0, rank: 0 };

let prefixScratch = new Int32Array(256);
let powers = new Int32Array(0);

/**
 * Polynomial hash of any [start, end) span of `text` in O(1) after an O(n) pass (mod 2^32).
 * Uses a shared buffer: valid until the next call.
 */
function spanHasher(text: string): (start: number, end: number) => number {
  const n = text.length;
  if (prefixScratch.length < n + 1) prefixScratch = new Int32Array(Math.max(n + 1, prefixScratch.length * 2));
  if (powers.length < n + 1) {
    const size = Math.max(n + 1, powers.length * 2, 256);
    powers = new Int32Array(size);
    powers[0] = 1;
    for (let i = 1; i < size; i++) powers[i] = Math.imul(powers[i - 1]!, 131);
  }
  const prefix = prefixScratch;
  const pow = powers;
  prefix[0] = 0;
  for (let i = 0; i < n; i++) prefix[i + 1] = (Math.imul(prefix[i]!, 131) + text.charCodeAt(i)) | 0;
  return (start, end) => (prefix[end]! - Math.imul(prefix[start]!, pow[end - start]!)) | 0;
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
