/** Complexity metrics of one expression: depth, size, attribute paths, calls, comprehensions. */
import type { CelNode, NodeLookup } from './ast.js';
import type { ExpressionMetrics } from './types.js';

/** `paths` is the cost estimator's node → canonical path map. */
export function computeMetrics(root: CelNode, paths: NodeLookup<string>): ExpressionMetrics {
  const w = new MetricsWalk(paths);
  w.visit(root, null, 1, 0);

  const sorted = w.read.size > 0 ? [...w.read].sort() : [];
  let variables: string[] = [];
  if (sorted.length > 0) {
    const roots = new Set<string>();
    for (const p of sorted) {
      const dot = p.indexOf('.');
      roots.add(dot < 0 ? p : p.slice(0, dot));
    }
    variables = [...roots].sort();
  }
  // a prototype-free record: call names vary too much for hidden-class transitions to pay off
  const calls = Object.create(null) as Record<string, number>;
  const callCounts = w.callCounts;
  if (callCounts.size > 0) for (const name of [...callCounts.keys()].sort()) calls[name] = callCounts.get(name)!;
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

/** One pass over the tree collecting the counters (a class, not closures over mutable locals). */
class MetricsWalk {
  readonly read = new Set<string>();
  readonly callCounts = new Map<string, number>();
  nodeCount = 0;
  astDepth = 0;
  comprehensionCount = 0;
  maxComprehensionNesting = 0;

  constructor(private readonly paths: NodeLookup<string>) {}

  private count(name: string): void {
    this.callCounts.set(name, (this.callCounts.get(name) ?? 0) + 1);
  }

  visit(node: CelNode, parent: CelNode | null, depth: number, nesting: number): void {
    this.nodeCount++;
    if (depth > this.astDepth) this.astDepth = depth;
    const path = this.paths.get(node);
    if (path !== undefined && !extendsPath(parent, node, this.paths)) this.read.add(path);
    let inner = nesting;
    switch (node.kind) {
      case 'call':
        this.count(node.fn);
        break;
      case 'has':
        this.count('has');
        break;
      case 'bind':
        this.count('cel.bind');
        break;
      case 'binary':
        if (node.op === 'in') this.count('in');
        break;
      case 'comprehension':
        this.count(node.macro);
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
