/**
 * Policy-level operand order: the engine evaluates the items of a condition's `all.of` / `any.of` /
 * `none.of` in order and stops at the first that decides, so — like `&&`/`||` inside one
 * expression — a cheap item should come before an expensive one. Costs include the policy
 * variables each item reads.
 */
import type { ExpressionInput } from './analyze.js';
import { sortRecommendations } from './analyze.js';
import type { ExpressionAnalysis } from './types.js';
import { clip, fmt } from './recommend.js';

interface Item {
  analysis: ExpressionAnalysis;
  source: ExpressionInput;
}

const ITEM = /^(.*)\.(all|any|none)\.of\[(\d+)\](?:\.expr)?$/;

/** Whether a policy condition at `conditionPath` is an item of an all/any/none list (one that applyConditionOrder reads). */
export function isListItem(conditionPath: string | undefined): boolean {
  return conditionPath !== undefined && ITEM.test(conditionPath);
}

/** Adds a `cheaper-operand-first` recommendation to the first expensive item of each badly ordered list. */
export function applyConditionOrder(items: readonly Item[]): void {
  const groups = new Map<string, { op: string; members: Array<{ index: number; item: Item }>; size: number }>();
  const siblings = new Map<string, number>();
  for (const item of items) {
    const path = item.source.conditionPath;
    if (!path || item.source.origin.kind !== 'policy') continue;
    const m = ITEM.exec(path);
    if (!m) continue;
    const key = `${item.source.origin.file}\u0000${item.source.origin.policy}\u0000${m[1]}.${m[2]}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { op: m[2]!, members: [], size: 0 }));
    g.members.push({ index: Number(m[3]), item });
  }
  // a list whose items include nested all/any/none blocks has positions no single expression fills
  for (const item of items) {
    const path = item.source.conditionPath;
    if (!path || item.source.origin.kind !== 'policy') continue;
    const re = /\.(all|any|none)\.of\[(\d+)\]/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(path)) !== null) {
      const key = `${item.source.origin.file}\u0000${item.source.origin.policy}\u0000${path.slice(0, m.index)}.${m[1]}`;
      siblings.set(key, Math.max(siblings.get(key) ?? 0, Number(m[2]) + 1));
    }
  }
  for (const [key, g] of groups) {
    if (g.members.length < 2 || g.members.length !== siblings.get(key)) continue;
    g.members.sort((a, b) => a.index - b.index);
    const cost = (i: Item): number => (i.analysis.costWithVariables ?? i.analysis.cost).rankCostUnits;
    let worst: { i: number; j: number; ratio: number } | null = null;
    for (let i = 0; i < g.members.length; i++) {
      for (let j = i + 1; j < g.members.length; j++) {
        const ci = cost(g.members[i]!.item);
        const cj = cost(g.members[j]!.item);
        if (ci - cj >= 3 && ci >= 2 * cj) {
          const ratio = cj === 0 ? Infinity : ci / cj;
          if (!worst || ratio > worst.ratio) worst = { i, j, ratio };
        }
      }
    }
    if (!worst) continue;
    const a = g.members[worst.i]!.item;
    const b = g.members[worst.j]!.item;
    const order = g.members.map((m, k) => ({ text: m.item.analysis.expression, c: cost(m.item), k })).sort((x, y) => x.c - y.c || x.k - y.k);
    const what = `${g.op}.of`;
    a.analysis.recommendations.push({
      rule: 'cheaper-operand-first',
      severity: worst.ratio >= 10 ? 'warning' : 'info',
      message:
        `\`${what}\` evaluates item ${worst.i + 1} \`${clip(a.analysis.expression)}\` (cost ${fmt(cost(a))}${a.analysis.costWithVariables ? ' with the variables it reads' : ''}) ` +
        `before item ${worst.j + 1} \`${clip(b.analysis.expression)}\` (cost ${fmt(cost(b))}); the engine stops at the first item that decides, so list cheaper items first`,
      suggestion: `${what}: ${order.map((o) => `[${clip(o.text, 40)}]`).join(', ')}`,
      span: a.analysis.span,
      text: a.analysis.expression,
    });
    sortRecommendations(a.analysis.recommendations);
  }
}
