/** Complexity metrics of one expression: depth, size, attribute paths, calls, comprehensions. */
import type { CelNode } from './ast.js';
import type { ExpressionMetrics } from './types.js';

/** `paths` is the cost estimator's node → canonical path map. */
export function computeMetrics(root: CelNode, paths: ReadonlyMap<CelNode, string>): ExpressionMetrics {
  const read = new Set<string>();
  const calls: Record<string, number> = {};
  let nodeCount = 0;
  let astDepth = 0;
  let comprehensionCount = 0;
  let maxComprehensionNesting = 0;

  const count = (name: string): void => {
    calls[name] = (calls[name] ?? 0) + 1;
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
  const variables = [...new Set(sorted.map((p) => p.split('.')[0]!))].sort();
  return { astDepth, nodeCount, paths: sorted, variables, calls, comprehensionCount, maxComprehensionNesting };
}

/** True when `parent` reads a longer path built on `node` (so `node`'s path is only a prefix). */
function extendsPath(parent: CelNode | null, node: CelNode, paths: ReadonlyMap<CelNode, string>): boolean {
  if (!parent) return false;
  if ((parent.kind === 'select' || parent.kind === 'index') && parent.operand === node) return paths.has(parent);
  return false;
}
