/**
 * Static cost estimator, following cel-go's checker/cost.go (the estimator Kubernetes uses to
 * reject rules over its per-call budget). Costs are [min, max] intervals; sizes of lists, maps
 * and strings are intervals too, bounded by literals, `--size-hint PATH=N` or unknown.
 *
 * Constants (cel-go common/cost.go): ident/select 1, constant 0, list create 10, map create 30,
 * string traversal factor 0.1, regex length factor 0.25; `&&`/`||` min = lhs.min, max = lhs+rhs;
 * `?:` = cond + union(branches); comprehension = range + init + result + size(range) ×
 * (loop condition + step), with the macro expansions' own condition/step/result costs (e.g.
 * exists: condition 3, step `__result__ || p`), so nested macros multiply.
 *
 * Divergences from cel-go (also reported in the section's `model.divergences`):
 *  1. No type checker: every select is costed as a map/struct field read (+1), and `+` is string
 *     concatenation only when an operand is known to be a string, list concatenation when one is
 *     a list, otherwise numeric (1).
 *  2. Equality/ordering between two operands whose sizes are both unknown is costed 1 (a scalar
 *     comparison). cel-go, seeing `dyn` operands, would make it unbounded; Cerbos attributes are
 *     untyped, so that would mark nearly every condition unbounded without saying anything useful.
 *     When either side has a known size (literal or --size-hint) cel-go's 0.1 × smaller size applies.
 *  3. Unknown sizes are `unbounded` (cel-go saturates at 2^64-1); the paths responsible are listed.
 *  4. String extension functions (lowerAscii, upperAscii, trim, replace, split, substring, indexOf,
 *     lastIndexOf, charAt, join, reverse, format, quote) cost 1 + 0.1 × receiver size;
 *     Cerbos list functions (hasIntersection, intersect, except, isSubset) cost 1 + size(a) + size(b).
 *  5. Map ranges and list ranges share the `@items` path (no types to tell them apart); a string
 *     literal index `m["k"]` extends the path like `m.k`.
 *  6. A size hint is an upper bound: sizes from hints are [0, N] (like a Kubernetes maxLength/maxItems).
 *  7. Policy constants (`C.x`, a policy's own `constants.local`) have exact sizes taken from their
 *     values; cel-go only knows sizes from declarations, Cerbos hands constants over as values.
 *  8. Cerbos registers no cost estimates for its own functions. cel-go's are used where its extension
 *     libraries have them: `sets.contains`/`intersects` size(a) × size(b), `sets.equivalent` twice
 *     that; `distinct` n², `sort` n × ⌈log₂ n⌉ × 0.1, `reverse`/`slice`/`flatten`/`lists.range` the
 *     elements copied, each + 10 for the new list; `base64.*` and `strings.quote` 0.1 × size.
 *     Assumed for the rest: `hierarchy(s)` 0.1 × size(s) (a split), hierarchy comparisons one per
 *     segment of the shorter; `ip`/`cidr`/`isIP`/`isCIDR`/`containsIP`/`inIPAddrRange`/`ip.isCanonical`
 *     0.1 × the text's size, at most 49 characters; `regex.*` as `matches`; `math.greatest`/`least`
 *     one per argument or list element; `now`, `timeSince` and the IP accessors 1.
 */
import { type CelNode, type NodeLookup, NodeTable, forEachChild, treeSize } from './ast.js';
import { canonicalPath } from './paths.js';

export const COST = {
  selectAndIdent: 1,
  constant: 0,
  listCreate: 10,
  mapCreate: 30,
  stringTraversalFactor: 0.1,
  regexLengthFactor: 0.25,
  presenceTest: 1,
  call: 1,
} as const;

/** A cost or size interval. `rank` is max evaluated with unknown sizes = assumedSize. */
export interface Interval {
  min: number;
  max: number;
  rank: number;
}

type ValueKind = 'string' | 'list' | 'map' | 'bool' | 'scalar' | 'unknown';

export interface CostOptions {
  /** canonical path → max size */
  sizeHints: ReadonlyMap<string, number>;
  /** size used for `rank` when a size is unknown */
  assumedSize: number;
  /** sizes known from the policy itself (its constants' values): canonical path → [min, max] */
  knownSizes?: ReadonlyMap<string, { min: number; max: number }>;
}

export interface CostResult {
  total: Interval;
  /** per-node cost (every node of the tree) */
  costs: NodeLookup<Interval>;
  /** canonical attribute path per node, when it reads one */
  paths: NodeLookup<string>;
  /** paths / sub-expressions whose unknown size made the max unbounded */
  unboundedBy: string[];
}

interface Local {
  path: string | null;
  size: Interval | null;
  entry: Interval | null;
  /** what the variable holds: an element of `from` (comprehension) or `from` itself (cel.bind) */
  from: CelNode | null;
  element: boolean;
}

const ZERO: Interval = { min: 0, max: 0, rank: 0 };

/** Shared intervals for small constants (intervals are never mutated) */
const SMALL: readonly Interval[] = Array.from({ length: 64 }, (_, n) => ({ min: n, max: n, rank: n }));

function fixed(n: number): Interval {
  return n >= 0 && n < 64 && Number.isInteger(n) ? SMALL[n]! : { min: n, max: n, rank: n };
}
function add(a: Interval, b: Interval): Interval {
  if (b.min === 0 && b.max === 0 && b.rank === 0) return a;
  if (a.min === 0 && a.max === 0 && a.rank === 0) return b;
  const min = a.min + b.min;
  const max = a.max + b.max;
  const rank = a.rank + b.rank;
  // most sub-expressions cost a small exact amount: share those intervals instead of allocating
  return min === max && max === rank && max < 64 && (max | 0) === max ? SMALL[max]! : { min, max, rank };
}
function mulN(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}
function mul(a: Interval, b: Interval): Interval {
  return { min: mulN(a.min, b.min), max: mulN(a.max, b.max), rank: mulN(a.rank, b.rank) };
}
function factor(a: Interval, f: number): Interval {
  return { min: Math.ceil(a.min * f), max: Math.ceil(a.max * f), rank: Math.ceil(a.rank * f) };
}
function union(a: Interval, b: Interval): Interval {
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), rank: Math.max(a.rank, b.rank) };
}

const STRING_EXT: ReadonlySet<string> = new Set([
  'lowerAscii', 'upperAscii', 'trim', 'replace', 'split', 'substring', 'indexOf', 'lastIndexOf',
  'charAt', 'join', 'reverse', 'format', 'quote',
]);
const SET_FUNCTIONS: ReadonlySet<string> = new Set(['hasIntersection', 'has_intersection', 'intersect', 'except', 'isSubset', 'is_subset']);
const BOOL_FUNCTIONS: ReadonlySet<string> = new Set([
  'startsWith', 'endsWith', 'contains', 'matches', 'hasIntersection', 'has_intersection', 'isSubset', 'is_subset', 'inIPAddrRange',
  'isIP', 'isCIDR', 'isCanonical', 'isUnspecified', 'isLoopback', 'isLinkLocalMulticast', 'isLinkLocalUnicast', 'isGlobalUnicast',
]);
/** Namespaces of extension functions (`sets.contains(a, b)`); a comprehension variable of the same name shadows one. */
const NAMESPACES: ReadonlySet<string> = new Set(['sets', 'lists', 'math', 'strings', 'base64', 'regex', 'ip']);
/** Cerbos's hierarchy methods: `hierarchy(a).ancestorOf(hierarchy(b))` */
const HIERARCHY_METHODS: ReadonlySet<string> = new Set(['ancestorOf', 'descendentOf', 'immediateParentOf', 'immediateChildOf', 'overlaps', 'siblingOf', 'commonAncestors']);
/** cel-go ext/lists methods with a registered cost estimate */
const LIST_METHODS: ReadonlySet<string> = new Set(['distinct', 'flatten', 'reverse', 'slice', 'sort']);
/** the longest text that parses as an IP address or CIDR (IPv6 with an IPv4 tail and a /128) */
const IP_TEXT_MAX = 49;

/**
 * The canonical path of `base.key` for a canonical `base`: only `request.resource` and
 * `request.principal` (base `request`) have a shorter alias, so only that base goes through canonicalPath.
 */
function childPath(base: string, key: string): string {
  return base === 'request' ? canonicalPath(`${base}.${key}`) : `${base}.${key}`;
}

/** Estimates the cost of one parsed expression. Pure; allocation is proportional to the tree. */
export function estimateCost(root: CelNode, options: CostOptions): CostResult {
  return new Coster(options, treeSize(root)).run(root);
}

class Coster {
  private readonly costs: NodeTable<Interval>;
  private readonly paths: NodeTable<string>;
  private readonly sizes: NodeTable<Interval>;
  private readonly entries: NodeTable<Interval>;
  private readonly kinds: NodeTable<ValueKind>;
  private readonly locals = new Map<string, Local[]>();
  private readonly reasons = new Set<string>();
  private readonly unknown: Interval;

  constructor(
    private readonly options: CostOptions,
    size: number,
  ) {
    this.unknown = { min: 0, max: Infinity, rank: options.assumedSize };
    this.costs = new NodeTable(size);
    this.paths = new NodeTable(size);
    this.sizes = new NodeTable(size);
    this.entries = new NodeTable(size);
    this.kinds = new NodeTable(size);
  }

  run(root: CelNode): CostResult {
    const total = this.cost(root);
    return { total, costs: this.costs, paths: this.paths, unboundedBy: [...this.reasons] };
  }

  private cost(node: CelNode): Interval {
    const c = this.costOf(node);
    this.costs.set(node, c);
    return c;
  }

  private local(name: string): Local | undefined {
    const stack = this.locals.get(name);
    return stack && stack.length ? stack[stack.length - 1] : undefined;
  }

  private push(name: string, local: Local): void {
    let stack = this.locals.get(name);
    if (!stack) this.locals.set(name, (stack = []));
    stack.push(local);
  }

  private pop(name: string): void {
    this.locals.get(name)!.pop();
  }

  /** Size of a node's value: literal, computed, hinted or unknown (null). */
  private knownSize(node: CelNode): Interval | null {
    switch (node.kind) {
      case 'literal':
        return fixed(node.size);
      case 'list':
        return fixed(node.elements.length);
      case 'map':
        return fixed(node.entries.length);
    }
    const computed = this.sizes.get(node);
    if (computed) return computed;
    const path = this.paths.get(node);
    if (path !== undefined) {
      const hint = this.options.sizeHints.get(path);
      if (hint !== undefined) return { min: 0, max: hint, rank: hint };
      const known = this.options.knownSizes?.get(path);
      if (known) return { min: known.min, max: known.max, rank: known.max };
    }
    if (node.kind === 'ident') {
      const local = this.local(node.name);
      if (local?.size) return local.size;
    }
    return null;
  }

  private sizeOrUnknown(node: CelNode): Interval {
    return this.knownSize(node) ?? this.unknown;
  }

  /** Records why a cost term became unbounded: the attribute paths whose size is unknown. */
  private blame(term: Interval, ...nodes: CelNode[]): Interval {
    if (term.max === Infinity) for (const n of nodes) this.blameSize(n);
    return term;
  }

  /** Follows a value of unknown size back to the paths it is computed from. */
  private blameSize(n: CelNode, depth = 0): void {
    if (this.knownSize(n)) return;
    // shadowed variable names can make the trail circular
    if (depth > 16) {
      this.reasons.add('size(expression)');
      return;
    }
    const d = depth + 1;
    const path = this.paths.get(n);
    if (path !== undefined) {
      this.reasons.add(path);
      return;
    }
    switch (n.kind) {
      case 'ident': {
        const local = this.local(n.name);
        if (local?.from) return local.element ? this.blameElement(local.from, d) : this.blameSize(local.from, d);
        this.reasons.add(`size(${n.name})`);
        return;
      }
      case 'binary':
        if (n.op === '+') {
          this.blameSize(n.left, d);
          this.blameSize(n.right, d);
          return;
        }
        break;
      case 'call':
        if (n.target && (STRING_EXT.has(n.fn) || LIST_METHODS.has(n.fn) || n.fn === 'dyn')) return this.blameSize(n.target, d);
        if (!n.target && n.fn === 'hierarchy' && n.args[0]) return this.blameSize(n.args[0], d);
        if (!n.target && n.fn === 'dyn' && n.args[0]) return this.blameSize(n.args[0], d);
        break;
      case 'comprehension':
        if (n.macro === 'map' || n.macro === 'filter') return this.blameSize(n.range, d);
        break;
      case 'ternary':
        this.blameSize(n.then, d);
        this.blameSize(n.else, d);
        return;
      case 'bind':
        return this.blameSize(n.body, d);
      case 'index':
        return this.blameSize(n.operand, d);
    }
    this.reasons.add(`size(${n.kind === 'call' ? `${n.fn}()` : n.kind})`);
  }

  /** Blames the size of an element of the collection `range` (a comprehension variable). */
  private blameElement(range: CelNode, depth: number): void {
    if (range.kind === 'comprehension' && range.macro === 'map' && range.transform) return this.blameSize(range.transform, depth + 1);
    if (range.kind === 'comprehension' && range.macro === 'filter') return this.blameElement(range.range, depth + 1);
    this.blameSize(range, depth + 1);
  }

  private kind(node: CelNode): ValueKind {
    switch (node.kind) {
      case 'literal':
        return node.type === 'string' ? 'string' : node.type === 'bool' ? 'bool' : 'scalar';
      case 'list':
        return 'list';
      case 'map':
        return 'map';
      case 'and':
      case 'or':
      case 'not':
      case 'has':
        return 'bool';
      default:
        return this.kinds.get(node) ?? 'unknown';
    }
  }

  private costOf(node: CelNode): Interval {
    switch (node.kind) {
      case 'literal':
        return ZERO;
      case 'ident': {
        const local = this.local(node.name);
        if (local) {
          if (local.path !== null) this.paths.set(node, local.path);
        } else {
          this.paths.set(node, canonicalPath(node.name));
        }
        return fixed(COST.selectAndIdent);
      }
      case 'select': {
        const operand = this.cost(node.operand);
        const base = this.paths.get(node.operand);
        if (base !== undefined) this.paths.set(node, childPath(base, node.field));
        return add(operand, fixed(COST.selectAndIdent));
      }
      case 'has': {
        // has(a.f): presence test cost + cost of the operand of the select
        const target = node.operand.kind === 'select' ? node.operand.operand : node.operand;
        const operand = this.cost(target);
        if (node.operand !== target) {
          const base = this.paths.get(target);
          if (base !== undefined) this.paths.set(node.operand, childPath(base, (node.operand as { field: string }).field));
          this.costs.set(node.operand, add(operand, fixed(COST.selectAndIdent)));
        }
        return add(operand, fixed(COST.presenceTest));
      }
      case 'index': {
        const sum = add(this.cost(node.operand), this.cost(node.index));
        const base = this.paths.get(node.operand);
        if (base !== undefined) {
          const key = node.index.kind === 'literal' && node.index.type === 'string' ? String(node.index.value) : '@items';
          this.paths.set(node, childPath(base, key));
        }
        const entry = this.entries.get(node.operand);
        if (entry && !this.paths.has(node)) this.sizes.set(node, entry);
        return add(sum, fixed(COST.call));
      }
      case 'list': {
        let sum = fixed(COST.listCreate);
        let entry: Interval | null = null;
        let allKnown = true;
        for (const e of node.elements) {
          sum = add(sum, this.cost(e));
          const s = this.knownSize(e);
          if (!s) allKnown = false;
          else entry = entry ? union(entry, s) : s;
        }
        if (allKnown && entry) this.entries.set(node, entry);
        return sum;
      }
      case 'map': {
        let sum = fixed(COST.mapCreate);
        for (const [k, v] of node.entries) sum = add(add(sum, this.cost(k)), this.cost(v));
        return sum;
      }
      case 'and':
      case 'or': {
        const l = this.cost(node.left);
        const r = this.cost(node.right);
        return { min: l.min, max: l.max + r.max, rank: l.rank + r.rank };
      }
      case 'ternary': {
        const c = this.cost(node.cond);
        const t = this.cost(node.then);
        const f = this.cost(node.else);
        const st = this.knownSize(node.then);
        const sf = this.knownSize(node.else);
        if (st && sf) this.sizes.set(node, union(st, sf));
        const kt = this.kind(node.then);
        if (kt === this.kind(node.else)) this.kinds.set(node, kt);
        return add(c, union(t, f));
      }
      case 'not':
      case 'neg':
        if (node.kind === 'neg') this.kinds.set(node, 'scalar');
        return add(this.cost(node.operand), fixed(COST.call));
      case 'binary':
        return this.costBinary(node);
      case 'call':
        return this.costCall(node);
      case 'comprehension':
        return this.costComprehension(node);
      case 'bind': {
        const init = this.cost(node.init);
        this.push(node.varName, {
          path: this.paths.get(node.init) ?? null,
          size: this.knownSize(node.init),
          entry: this.entries.get(node.init) ?? null,
          from: node.init,
          element: false,
        });
        const body = this.cost(node.body);
        this.pop(node.varName);
        const s = this.knownSize(node.body);
        if (s) this.sizes.set(node, s);
        this.kinds.set(node, this.kind(node.body));
        // cel.bind is a comprehension over an empty list: its iteration range costs a list creation
        return add(add(fixed(COST.listCreate), init), body);
      }
    }
  }

  private costBinary(node: Extract<CelNode, { kind: 'binary' }>): Interval {
    const l = this.cost(node.left);
    const r = this.cost(node.right);
    const args = add(l, r);
    switch (node.op) {
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        this.kinds.set(node, 'bool');
        const sl = this.knownSize(node.left);
        const sr = this.knownSize(node.right);
        if (!sl && !sr) return add(args, fixed(COST.call)); // divergence 2
        const smallest = Math.min(sl?.max ?? Infinity, sr?.max ?? Infinity);
        const smallestRank = Math.min(sl?.rank ?? Infinity, sr?.rank ?? Infinity);
        const cmp = { min: smallest > 0 ? 1 : 0, max: smallest, rank: smallestRank };
        return add(args, factor(cmp, COST.stringTraversalFactor));
      }
      case 'in': {
        this.kinds.set(node, 'bool');
        const right = node.right;
        if (right.kind === 'map' || this.kind(right) === 'map') return add(args, fixed(COST.call));
        const size = this.sizeOrUnknown(right);
        return add(args, this.blame(factor(size, 1), right));
      }
      case '+': {
        const kl = this.kind(node.left);
        const kr = this.kind(node.right);
        if (kl === 'list' || kr === 'list') {
          this.kinds.set(node, 'list');
          const sl = this.knownSize(node.left);
          const sr = this.knownSize(node.right);
          if (sl && sr) this.sizes.set(node, add(sl, sr));
          return add(args, fixed(COST.call));
        }
        if (kl === 'string' || kr === 'string') {
          this.kinds.set(node, 'string');
          const size = add(this.sizeOrUnknown(node.left), this.sizeOrUnknown(node.right));
          if (size.max !== Infinity) this.sizes.set(node, size);
          return add(args, this.blame(factor(size, COST.stringTraversalFactor), node.left, node.right));
        }
        return add(args, fixed(COST.call)); // divergence 1
      }
      default:
        this.kinds.set(node, 'scalar');
        return add(args, fixed(COST.call));
    }
  }

  private costCall(node: Extract<CelNode, { kind: 'call' }>): Interval {
    // `sets.contains(a, b)`: a namespace, not a variable read (cel-go resolves it when parsing)
    const namespace = node.target?.kind === 'ident' && NAMESPACES.has(node.target.name) && !this.local(node.target.name) ? node.target.name : null;
    let args = ZERO;
    if (namespace !== null) this.costs.set(node.target!, ZERO);
    else if (node.target) args = this.cost(node.target);
    for (const a of node.args) args = add(args, this.cost(a));
    const fn = node.fn;
    const target = namespace === null ? node.target : null;
    const arg0 = node.args[0];
    if (BOOL_FUNCTIONS.has(fn)) this.kinds.set(node, 'bool');
    const extension = namespace !== null ? this.costNamespaced(node, namespace) : this.costCerbosMethod(node, target);
    if (extension) return add(add(args, fixed(COST.call)), extension);

    if ((fn === 'startsWith' || fn === 'endsWith') && target && node.args.length === 1) {
      return add(args, this.blame(factor(this.sizeOrUnknown(arg0!), COST.stringTraversalFactor), arg0!));
    }
    if (fn === 'contains' && target && node.args.length === 1) {
      const str = factor(this.sizeOrUnknown(target), COST.stringTraversalFactor);
      const sub = factor(this.sizeOrUnknown(arg0!), COST.stringTraversalFactor);
      return add(args, this.blame(mul(str, sub), target, arg0!));
    }
    if (fn === 'matches' && ((target && node.args.length === 1) || (!target && node.args.length === 2))) {
      const subject = target ?? arg0!;
      const pattern = target ? arg0! : node.args[1]!;
      const str = factor(add(this.sizeOrUnknown(subject), fixed(1)), COST.stringTraversalFactor);
      const re = factor(this.sizeOrUnknown(pattern), COST.regexLengthFactor);
      return add(args, this.blame(mul(str, re), subject, pattern));
    }
    if (STRING_EXT.has(fn) && target) {
      const size = this.sizeOrUnknown(target);
      if (fn !== 'indexOf' && fn !== 'lastIndexOf') {
        this.kinds.set(node, fn === 'split' ? 'list' : 'string');
        if (size.max !== Infinity && fn !== 'replace' && fn !== 'format') this.sizes.set(node, size);
      }
      return add(add(args, fixed(COST.call)), this.blame(factor(size, COST.stringTraversalFactor), target));
    }
    if (SET_FUNCTIONS.has(fn)) {
      const a = target ?? arg0;
      const b = target ? arg0 : node.args[1];
      if (a && b) {
        if (fn === 'intersect' || fn === 'except') this.kinds.set(node, 'list');
        const work = this.blame(add(this.sizeOrUnknown(a), this.sizeOrUnknown(b)), a, b);
        return add(add(args, fixed(COST.call)), work);
      }
    }
    if (fn === 'dyn' && !target && arg0) {
      const s = this.knownSize(arg0);
      if (s) this.sizes.set(node, s);
      const p = this.paths.get(arg0);
      if (p !== undefined) this.paths.set(node, p);
      this.kinds.set(node, this.kind(arg0));
      return add(args, fixed(COST.call));
    }
    if (fn === 'size' || fn === 'int' || fn === 'uint' || fn === 'double') this.kinds.set(node, 'scalar');
    if (fn === 'string') this.kinds.set(node, 'string');
    return add(args, fixed(COST.call));
  }

  /**
   * Cerbos's and cel-go's namespaced extension functions: the work beyond the call itself, or null
   * for a constant cost. cel-go's own estimates where its extension libraries register them
   * (sets, lists, base64); the rest follow the nearest core function (see divergence 8).
   */
  private costNamespaced(node: Extract<CelNode, { kind: 'call' }>, namespace: string): Interval | null {
    const [a, b] = node.args;
    switch (`${namespace}.${node.fn}`) {
      case 'sets.contains':
      case 'sets.intersects':
      case 'sets.equivalent': {
        this.kinds.set(node, 'bool');
        if (!a || !b) return null;
        // cel-go ext/sets: size(a) × size(b) comparisons, twice for equivalence
        const pairs = this.blame(mul(this.sizeOrUnknown(a), this.sizeOrUnknown(b)), a, b);
        return node.fn === 'equivalent' ? add(pairs, pairs) : pairs;
      }
      case 'lists.range': {
        this.kinds.set(node, 'list');
        if (!a) return null;
        // cel-go ext/lists: a list of n elements (n known only from a literal)
        const n = a.kind === 'literal' && typeof a.value === 'number' ? fixed(Math.max(0, a.value)) : this.unknown;
        if (n.max !== Infinity) this.sizes.set(node, n);
        else this.reasons.add('lists.range()');
        return add(fixed(COST.listCreate), n);
      }
      case 'math.greatest':
      case 'math.least':
        // one comparison per argument, or per element of a single list argument
        return node.args.length === 1 && a ? this.blame(this.sizeOrUnknown(a), a) : fixed(node.args.length);
      case 'strings.quote':
      case 'base64.encode':
      case 'base64.decode':
        this.kinds.set(node, 'string');
        return a ? this.blame(factor(this.sizeOrUnknown(a), COST.stringTraversalFactor), a) : null;
      case 'regex.extract':
      case 'regex.extractAll':
      case 'regex.replace': {
        if (node.fn !== 'extract') this.kinds.set(node, node.fn === 'extractAll' ? 'list' : 'string');
        if (!a || !b) return null;
        // as `matches`: (size + 1) × 0.1 × regex length × 0.25
        const str = factor(add(this.sizeOrUnknown(a), fixed(1)), COST.stringTraversalFactor);
        return this.blame(mul(str, factor(this.sizeOrUnknown(b), COST.regexLengthFactor)), a, b);
      }
      case 'ip.isCanonical':
        return a ? this.ipText(a) : null;
      default:
        return null;
    }
  }

  /** Cerbos's receiver-style and global extension functions (hierarchy, IP/CIDR, lists); null when `node` is none of them. */
  private costCerbosMethod(node: Extract<CelNode, { kind: 'call' }>, target: CelNode | null): Interval | null {
    const fn = node.fn;
    const [a] = node.args;
    if (!target) {
      if (fn === 'hierarchy' && a) {
        this.kinds.set(node, 'list');
        if (this.kind(a) === 'list') {
          this.sizes.set(node, this.sizeOrUnknown(a));
          return this.blame(this.sizeOrUnknown(a), a);
        }
        // splits the string: like `split`, 0.1 × its size; at most one segment per character
        const size = this.sizeOrUnknown(a);
        if (size.max !== Infinity) this.sizes.set(node, { min: 0, max: size.max, rank: size.rank });
        return this.blame(factor(size, COST.stringTraversalFactor), a);
      }
      if ((fn === 'ip' || fn === 'cidr' || fn === 'isIP' || fn === 'isCIDR') && a && node.args.length === 1) return this.ipText(a);
      return null;
    }
    if (HIERARCHY_METHODS.has(fn) && a) {
      if (fn === 'commonAncestors') this.kinds.set(node, 'list');
      else this.kinds.set(node, 'bool');
      // one segment comparison per segment of the shorter hierarchy
      const x = this.sizeOrUnknown(target);
      const y = this.sizeOrUnknown(a);
      const shorter = { min: Math.min(x.min, y.min), max: Math.min(x.max, y.max), rank: Math.min(x.rank, y.rank) };
      if (fn === 'commonAncestors' && shorter.max !== Infinity) this.sizes.set(node, { min: 0, max: shorter.max, rank: shorter.rank });
      return this.blame(shorter, target, a);
    }
    if ((fn === 'containsIP' || fn === 'containsCIDR') && a) {
      this.kinds.set(node, 'bool');
      // a string argument is parsed; an ip(…)/cidr(…) value is not
      return a.kind === 'call' && (a.fn === 'ip' || a.fn === 'cidr') ? null : this.ipText(a);
    }
    if (fn === 'inIPAddrRange' && a) return add(this.ipText(target), this.ipText(a));
    // `reverse` of anything but a list is the string function
    if (!LIST_METHODS.has(fn) || (fn === 'reverse' && this.kind(target) !== 'list')) return null;
    // cel-go ext/lists estimates: a new list (10) plus the elements copied or compared
    this.kinds.set(node, 'list');
    const n = this.sizeOrUnknown(target);
    let work: Interval;
    let size = n;
    switch (fn) {
      case 'distinct':
        work = mul(n, n);
        break;
      case 'sort': {
        const log = (x: number): number => (x <= 1 ? 0 : x === Infinity ? Infinity : Math.ceil(Math.log2(x)));
        work = factor({ min: mulN(n.min, log(n.min)), max: mulN(n.max, log(n.max)), rank: mulN(n.rank, log(n.rank)) }, 0.1);
        break;
      }
      case 'slice': {
        const [from, to] = node.args;
        const literal = (x: CelNode | undefined): number | null => (x?.kind === 'literal' && typeof x.value === 'number' ? x.value : null);
        const f = literal(from);
        const t = literal(to);
        size = f !== null && t !== null && t >= f ? fixed(t - f) : n;
        work = size;
        break;
      }
      case 'flatten': {
        const depth = a?.kind === 'literal' && typeof a.value === 'number' ? a.value : node.args.length === 0 ? 1 : Infinity;
        const element = depth <= 1 ? null : this.elementSize(target);
        const path = this.paths.get(target);
        if (element && element.max === Infinity) this.reasons.add(path !== undefined ? `${path}.@items` : 'size(flatten())');
        work = element ? mul(n, mul(element, fixed(depth === Infinity ? 256 : depth))) : n;
        size = work;
        break;
      }
      default: // reverse
        work = n;
    }
    if (size.max !== Infinity) this.sizes.set(node, size);
    return add(fixed(COST.listCreate), this.blame(work, target));
  }

  /** Parsing an IP address or CIDR from text: 0.1 × its size, which cannot pass 49 characters and parse. */
  private ipText(node: CelNode): Interval {
    const s = this.sizeOrUnknown(node);
    const capped = { min: Math.min(s.min, IP_TEXT_MAX), max: Math.min(s.max, IP_TEXT_MAX), rank: Math.min(s.rank, IP_TEXT_MAX) };
    return factor(capped, COST.stringTraversalFactor);
  }

  /** The size of an element of the list `node`, when the entries, a hint or the policy's constants know it. */
  private elementSize(node: CelNode): Interval {
    const entry = this.entries.get(node);
    if (entry) return entry;
    const path = this.paths.get(node);
    if (path !== undefined) {
      const hint = this.options.sizeHints.get(`${path}.@items`);
      if (hint !== undefined) return { min: 0, max: hint, rank: hint };
      const known = this.options.knownSizes?.get(`${path}.@items`);
      if (known) return { min: known.min, max: known.max, rank: known.max };
    }
    return this.unknown;
  }

  private costComprehension(node: Extract<CelNode, { kind: 'comprehension' }>): Interval {
    const range = this.cost(node.range);
    const rangePath = this.paths.get(node.range);
    const itemPath = rangePath !== undefined ? `${rangePath}.@items` : null;
    let entry = this.entries.get(node.range) ?? null;
    if (!entry && itemPath !== null) {
      const hint = this.options.sizeHints.get(itemPath);
      const known = this.options.knownSizes?.get(itemPath);
      if (hint !== undefined) entry = { min: 0, max: hint, rank: hint };
      else if (known) entry = { min: known.min, max: known.max, rank: known.max };
    }
    this.push(node.iterVar, { path: itemPath, size: entry, entry: null, from: node.range, element: true });
    const p = node.predicate ? this.cost(node.predicate) : ZERO;
    const t = node.transform ? this.cost(node.transform) : ZERO;
    this.pop(node.iterVar);

    // cel-go macro expansions: init, loop condition, loop step, result
    let init = ZERO;
    let cond = ZERO;
    let step: Interval;
    let result = fixed(1);
    switch (node.macro) {
      case 'all':
        cond = fixed(2); // @not_strictly_false(__result__)
        step = { min: 1, max: 1 + p.max, rank: 1 + p.rank }; // __result__ && p
        break;
      case 'exists':
        cond = fixed(3); // @not_strictly_false(!__result__)
        step = { min: 1, max: 1 + p.max, rank: 1 + p.rank }; // __result__ || p
        break;
      case 'exists_one':
        step = add(p, { min: 1, max: 2, rank: 2 }); // p ? __result__ + 1 : __result__
        result = fixed(2); // __result__ == 1
        break;
      case 'map':
        init = fixed(COST.listCreate);
        step = node.predicate
          ? add(p, { min: 1, max: t.max + 12, rank: t.rank + 12 }) // p ? __result__ + [t] : __result__
          : add(t, fixed(12)); // __result__ + [t]
        break;
      case 'filter':
        init = fixed(COST.listCreate);
        step = add(p, { min: 1, max: 13, rank: 13 }); // p ? __result__ + [x] : __result__
        break;
    }
    const count = this.sizeOrUnknown(node.range);
    const loop = this.blame(mul(count, add(cond, step)), node.range);
    if (node.macro === 'map' || node.macro === 'filter') {
      this.kinds.set(node, 'list');
      const known = this.knownSize(node.range);
      if (known) this.sizes.set(node, node.macro === 'filter' ? { min: 0, max: known.max, rank: known.rank } : known);
    } else {
      this.kinds.set(node, node.macro === 'exists_one' || node.macro === 'all' || node.macro === 'exists' ? 'bool' : 'unknown');
    }
    return add(add(add(range, init), result), loop);
  }
}

/** Depth-first walk helper shared by metrics and recommendations. */
export function walk(node: CelNode, visit: (node: CelNode, parent: CelNode | null) => void, parent: CelNode | null = null): void {
  visit(node, parent);
  forEachChild(node, (child) => walk(child, visit, node));
}

/** The divergences from cel-go listed at the top of this file, as reported in `model.divergences`. */
export const DIVERGENCES: readonly string[] = [
  'No type checker: every select is costed as a map/struct field read (+1); `+` is string concatenation only when an operand is known to be a string, list concatenation when one is a list, otherwise numeric (1).',
  'Equality/ordering between two operands whose sizes are both unknown costs 1 (scalar comparison); cel-go would make dyn operands unbounded. With a literal or --size-hint on either side, cel-go\'s 0.1 × smaller size applies.',
  'Unknown sizes make the max cost unbounded (cel-go saturates at 2^64-1); the responsible paths are listed in unboundedBy.',
  'String extension functions (lowerAscii, upperAscii, trim, replace, split, substring, indexOf, lastIndexOf, charAt, join, reverse, format, quote) cost 1 + 0.1 × receiver size; Cerbos list functions (hasIntersection, intersect, except, isSubset) cost 1 + size(a) + size(b).',
  'Map and list ranges share the @items path (@keys/@values hints are read as @items); a string-literal index m["k"] extends the path like m.k.',
  'A size hint is an upper bound: hinted sizes are [0, N], like a Kubernetes maxItems/maxLength.',
  'Policy constants (C.x from the policy\'s own constants.local) have exact sizes taken from their values (a --size-hint overrides); imported exportConstants are not resolved and stay unbounded.',
  'Cerbos registers no cost estimates for its functions. cel-go\'s extension estimates are used where they exist: sets.contains/intersects size(a) × size(b), sets.equivalent twice that; distinct n², sort n × ⌈log2 n⌉ × 0.1, reverse/slice/flatten/lists.range the elements copied, each + 10 for the new list; base64.* and strings.quote 0.1 × size. Assumed: hierarchy(s) 0.1 × size(s), hierarchy comparisons one per segment of the shorter; ip/cidr/isIP/isCIDR/containsIP/inIPAddrRange/ip.isCanonical 0.1 × the text size, at most 49 characters; regex.* as matches; math.greatest/least one per argument or list element; now, timeSince and the IP accessors 1.',
];
