/**
 * What a policy folder says about the traffic it expects: the resource kinds and actions its
 * resource policies (and principal / role policies) name, and the principal and resource
 * attributes its conditions, variables and outputs read, with the shape each use implies. Paths
 * and shapes come from the CEL analyzer (src/cel), which resolves `request.resource.attr.x` and
 * `R.attr.x` to one path.
 */
import { relative } from 'node:path';
import { analyzeExpression } from '../cel/analyze.js';
import { inferShapes, type Shape } from '../cel/measure.js';
import { expressionsFromPolicy } from '../cel/sources.js';
import { parsePolicyDocuments, readPolicyFiles } from '../engine/index.js';

export interface AttributeUse {
  shape: Shape;
  /** `file:line` of the first expression reading it, relative to the policy folder */
  firstRead: string;
}

export interface PolicyFacts {
  /** resource kind → actions named for it (no wildcards), and the file first naming the kind */
  kinds: Map<string, { actions: Set<string>; file: string }>;
  /** top-level `P.attr` names read by expressions */
  principalAttr: Map<string, AttributeUse>;
  /** top-level `R.attr` names read by expressions, by the resource kind whose policy reads them (`*`: derived roles, exports) */
  resourceAttr: Map<string, Map<string, AttributeUse>>;
  files: number;
}

export async function readPolicyFacts(policyDir: string): Promise<PolicyFacts> {
  const facts: PolicyFacts = { kinds: new Map(), principalAttr: new Map(), resourceAttr: new Map(), files: 0 };
  for (const { file, text } of await readPolicyFiles(policyDir)) {
    const name = relative(policyDir, file);
    const docs = safeDocuments(text, file);
    if (docs.length === 0 || docs.every((d) => d.kind === 'ignored')) continue;
    facts.files++;
    for (const doc of docs) {
      if (doc.kind === 'resourcePolicy') for (const rule of doc.rules) addActions(facts, doc.resource, rule.actions, name);
      if (doc.kind === 'principalPolicy') for (const rule of doc.rules) addActions(facts, rule.resource, rule.actions.map((a) => a.action), name);
      if (doc.kind === 'rolePolicy') for (const rule of doc.rules) addActions(facts, rule.resource, rule.allowActions, name);
    }
    for (const input of expressionsFromPolicy(text, file, true).inputs) {
      const outcome = analyzeExpression(input);
      if (!outcome.ok) continue;
      const where = `${name}:${outcome.analysis.span.line}`;
      const roots = inferShapes(outcome.root, outcome.cost.paths);
      addAttributes(facts.principalAttr, roots.get('P'), where);
      const kind = /^resource\.(.+)\.v[^.]+(\/.*)?$/.exec(input.origin.policy ?? '')?.[1] ?? '*';
      addAttributes(facts.resourceAttr.get(kind) ?? facts.resourceAttr.set(kind, new Map()).get(kind)!, roots.get('R'), where);
    }
  }
  return facts;
}

/** Policy files that do not parse are the loader's to report; here they add nothing. */
function safeDocuments(text: string, file: string): ReturnType<typeof parsePolicyDocuments> {
  try {
    return parsePolicyDocuments(text, file);
  } catch {
    return [];
  }
}

function addActions(facts: PolicyFacts, kind: string, actions: readonly string[], file: string): void {
  if (kind.includes('*')) return;
  const entry = facts.kinds.get(kind) ?? facts.kinds.set(kind, { actions: new Set(), file }).get(kind)!;
  for (const a of actions) if (!a.includes('*')) entry.actions.add(a);
}

function addAttributes(into: Map<string, AttributeUse>, root: Shape | undefined, where: string): void {
  if (root?.kind !== 'obj') return;
  const attr = root.fields.get('attr');
  if (attr?.kind !== 'obj') return;
  for (const [name, shape] of attr.fields) {
    const known = into.get(name);
    if (!known) into.set(name, { shape, firstRead: where });
    else if (known.shape.kind === 'str' && shape.kind === 'str') known.shape = { kind: 'str', values: [...known.shape.values, ...shape.values] };
  }
}
