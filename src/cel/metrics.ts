/** Complexity metrics of one expression: depth, size, attribute paths, calls, comprehensions. */
import type { CelNode, NodeLookup } from './ast.js';
import type { ExpressionMetrics } from './types.js';

/** `paths` is the cost estimator's node → canonical path map. */
export function computeMetrics(root: CelNode, paths: NodeLookup<string>): ExpressionMetrics {
  const read = new Set<string>();
  const callCounts = new Map<string, number>();
  let nodeCount = 0;
  let astDepth = 0;
  let comprehensionCount = 0;
  let maxComprehensionNesting = 0;

  const count = (name: string): void => {
    callCounts.set(name, (callCounts.get(name) ?? 0) + 1);
  };

  const visit = (node: CelNode, parent: CelNode | null, depth: number, nesting: number): void => {
    nodeCount++;
    if (depth > astDepth) astDepth = depth;
    const path = paths.get(node);
    if (path !== undefined && !extendsPath(parent, node, paths)) read.add(path);
    let inner = nesting;
    switch (node.kind) {
      case 'call':
        count(node.fn);
        break;
      case 'has':
        count('has');
        break;
      case 'bind':
        count('cel.bind');
        break;
      case 'binary':
        if (node.op === 'in') count('in');
        break;
      case 'comprehension':
        count(node.macro);
        comprehensionCount++;
        inner = nesting + 1;
        if (inner > maxComprehensionNesting) maxComprehensionNesting = inner;
        break;
    }
    const kids = node.children;
    for (let i = 0; i < kids.length; i++) {
      const child = kids[i]!;
      // a comprehension's range is evaluated outside its loop
      visit(child, node, depth + 1, node.kind === 'comprehension' && child === node.range ? nesting : inner);
    }
  };
  visit(root, null, 1, 0);

  const sorted = [...read].sort();
  const roots = new Set<string>();
  for (const p of sorted) {
    const dot = p.indexOf('.');
    roots.add(dot < 0 ? p : p.slice(0, dot));
  }
  const variables = [...roots].sort();
  // a prototype-free record: call names vary too much for hidden-class transitions to pay off
  const calls = Object.create(null) as Record<string, number>;
  if (callCounts.size > 0) for (const name of [...callCounts.keys()].sort()) calls[name] = callCounts.get(name)!;
  return { astDepth, nodeCount, paths: sorted, variables, calls, comprehensionCount, maxComprehensionNesting };
}

/** True when `parent` reads a longer path built on `node` (so `node`'s path is only a prefix). */
function extendsPath(parent: CelNode | null, node: CelNode, paths: NodeLookup<string>): boolean {
  if (!parent) return false;
  if ((parent.kind === 'select' || parent.kind === 'index') && parent.operand === node) return paths.has(parent);
  return false;
}
