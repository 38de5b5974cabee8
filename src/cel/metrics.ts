/** Complexity metrics of one expression: depth, size, attribute paths, calls, comprehensions. */
import type { CelNode, NodeLookup } from './ast.js';
import type { ExpressionMetrics } from './types.js';

/** `paths` is the cost estimator's node → canonical path map. */
export function computeMetrics(root: CelNode, paths: NodeLookup<string>): ExpressionMetrics {
  const w = new MetricsWalk(paths);
  w.visit(root, null, 1, 0);

  const sorted = sortedUnique(w.read);
  let variables: string[] = [];
  if (sorted.length > 0) {
    // sorted paths give sorted roots ('.' sorts before every identifier character); unique them in order
    let last = '';
    let inOrder = true;
    for (const p of sorted) {
      const dot = p.indexOf('.');
      const root = dot < 0 ? p : p.slice(0, dot);
      if (root === last) continue;
      if (root < last) inOrder = false;
      variables.push(root);
      last = root;
    }
    if (!inOrder) variables = sortedUnique(variables);
  }
  // a prototype-free record: a CEL function may be called `__proto__` or `constructor`
  const calls = Object.create(null) as Record<string, number>;
  const names = w.calls;
  if (names.length > 0) {
    names.sort();
    for (let i = 0; i < names.length; ) {
      let j = i + 1;
      while (j < names.length && names[j] === names[i]) j++;
      calls[names[i]!] = j - i;
      i = j;
    }
  }
  return {
    astDepth: w.astDepth,
    nodeCount: w.nodeCount,
    paths: sorted,
    variables,
    calls,
    comprehensionCount: w.comprehensionCount,
    maxComprehensionNesting: w.maxComprehensionNesting,
  };
}

/** Sorts in place (code-unit order, as Array#sort) and drops repeats. */
function sortedUnique(xs: string[]): string[] {
  if (xs.length < 2) return xs;
  if (xs.length <= 16) {
    // insertion sort: the lists are short, and `<` compares code units like the default sort
    for (let i = 1; i < xs.length; i++) {
      const x = xs[i]!;
      let j = i - 1;
      while (j >= 0 && xs[j]! > x) {
        xs[j + 1] = xs[j]!;
        j--;
      }
      xs[j + 1] = x;
    }
  } else xs.sort();
  let n = 1;
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[n - 1]) xs[n++] = xs[i]!;
  xs.length = n;
  return xs;
}

/** One pass over the tree collecting the counters (a class, not closures over mutable locals). */
class MetricsWalk {
  /** paths read, with repeats */
  readonly read: string[] = [];
  /** one entry per call, by name */
  readonly calls: string[] = [];
  nodeCount = 0;
  astDepth = 0;
  comprehensionCount = 0;
  maxComprehensionNesting = 0;

  constructor(private readonly paths: NodeLookup<string>) {}

  visit(node: CelNode, parent: CelNode | null, depth: number, nesting: number): void {
    this.nodeCount++;
    if (depth > this.astDepth) this.astDepth = depth;
    const path = this.paths.get(node);
    if (path !== undefined && !extendsPath(parent, node, this.paths)) this.read.push(path);
    let inner = nesting;
    switch (node.kind) {
      case 'call':
        this.calls.push(node.fn);
        break;
      case 'has':
        this.calls.push('has');
        break;
      case 'bind':
        this.calls.push('cel.bind');
        break;
      case 'binary':
        if (node.op === 'in') this.calls.push('in');
        break;
      case 'comprehension':
        this.calls.push(node.macro);
        this.comprehensionCount++;
        inner = nesting + 1;
        if (inner > this.maxComprehensionNesting) this.maxComprehensionNesting = inner;
        break;
    }
    const kids = node.children;
    for (let i = 0; i < kids.length; i++) {
      const child = kids[i]!;
      // a comprehension's range is evaluated outside its loop
      this.visit(child, node, depth + 1, node.kind === 'comprehension' && child === node.range ? nesting : inner);
    }
  }
}

/** True when `parent` reads a longer path built on `node` (so `node`'s path is only a prefix). */
function extendsPath(parent: CelNode | null, node: CelNode, paths: NodeLookup<string>): boolean {
  if (!parent) return false;
  if ((parent.kind === 'select' || parent.kind === 'index') && parent.operand === node) return paths.has(parent);
  return false;
}
