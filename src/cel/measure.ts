/**
 * `--measure`: evaluates each expression with the engine's CEL environment (the real library the
 * reference engine uses) against generated or given inputs, reports ns/eval beside the static
 * cost, and the Spearman rank correlation between the two.
 *
 * Generated inputs follow each expression's own usage: a path iterated by a macro becomes a list
 * of `listSize` elements, a receiver of string functions a string, a path compared with a literal
 * takes that literal's type (and value half of the time), so the expression runs its real work.
 */
import { celEnvironment, principalValue, resourceValue, type Attributes } from '../engine/index.js';
import type { CelNode, NodeLookup } from './ast.js';
import { forEachChild } from './ast.js';
import type { CostResult } from './cost.js';
import type { MeasuredCost } from './types.js';
import { mulberry32 } from '../util/random.js';

export type Shape =
  | { kind: 'obj'; fields: Map<string, Shape> }
  | { kind: 'list'; item: Shape }
  | { kind: 'str'; values: string[] }
  | { kind: 'num' }
  | { kind: 'bool' };

export interface RequestInput {
  principal: Record<string, unknown>;
  resource: Record<string, unknown>;
  variables?: Record<string, unknown>;
  constants?: Record<string, unknown>;
}

export interface MeasureOptions {
  seed: number;
  /** elements per generated list */
  listSize: number;
  /** --input: one request for every expression, instead of generated ones */
  input?: RequestInput;
  /** monotonic clock in ns */
  clock: () => bigint;
  /** time per timed batch (ns); default 2 ms */
  batchNs?: number;
  /** timed batches; the median is reported; default 5 */
  batches?: number;
}

const STRING_RECEIVER = new Set([
  'startsWith', 'endsWith', 'contains', 'matches', 'lowerAscii', 'upperAscii', 'trim', 'replace', 'split',
  'substring', 'indexOf', 'lastIndexOf', 'charAt',
]);
const LIST_FUNCTIONS = new Set(['hasIntersection', 'intersect', 'except', 'isSubset']);

/** Infers the shape of every path the expression reads from how it is used. */
export function inferShapes(root: CelNode, paths: NodeLookup<string>): Map<string, Shape> {
  const roots = new Map<string, Shape>();
  const visit = (node: CelNode, parent: CelNode | null): void => {
    const path = paths.get(node);
    if (path !== undefined) {
      const leaf = usage(node, parent);
      if (leaf) insert(roots, path.split('.'), leaf);
    }
    forEachChild(node, (c) => visit(c, node));
  };
  visit(root, null);
  return roots;
}

function usage(node: CelNode, parent: CelNode | null): Shape | null {
  if (!parent) return { kind: 'bool' };
  switch (parent.kind) {
    case 'select':
    case 'index':
      return parent.operand === node ? null : { kind: 'str', values: [] };
    case 'comprehension':
      return parent.range === node ? { kind: 'list', item: { kind: 'str', values: [] } } : { kind: 'bool' };
    case 'call':
      if (parent.target === node && STRING_RECEIVER.has(parent.fn)) return { kind: 'str', values: [] };
      if (parent.fn === 'matches' && parent.args[0] === node && !parent.target) return { kind: 'str', values: [] };
      if (LIST_FUNCTIONS.has(parent.fn)) return { kind: 'list', item: { kind: 'str', values: [] } };
      if (parent.fn === 'size') return { kind: 'list', item: { kind: 'str', values: [] } };
      if (parent.fn === 'timestamp' || parent.fn === 'duration') return { kind: 'str', values: [parent.fn === 'timestamp' ? '2026-01-01T00:00:00Z' : '1h'] };
      return { kind: 'str', values: [] };
    case 'binary': {
      const other = parent.left === node ? parent.right : parent.left;
      if (parent.op === 'in') {
        if (parent.right === node) return { kind: 'list', item: literalShape(other) ?? { kind: 'str', values: [] } };
        if (parent.right.kind === 'list') {
          const values = parent.right.elements.filter((e) => e.kind === 'literal' && e.type === 'string').map((e) => String((e as { value: unknown }).value));
          if (values.length) return { kind: 'str', values };
        }
        return { kind: 'str', values: [] };
      }
      if (parent.op === '+' || parent.op === '-' || parent.op === '*' || parent.op === '/' || parent.op === '%') {
        return literalShape(other) ?? { kind: 'num' };
      }
      return literalShape(other) ?? { kind: 'str', values: [] };
    }
    case 'and':
    case 'or':
    case 'not':
    case 'ternary':
      return parent.kind === 'ternary' && parent.cond !== node ? { kind: 'str', values: [] } : { kind: 'bool' };
    case 'neg':
      return { kind: 'num' };
    default:
      return { kind: 'str', values: [] };
  }
}

function literalShape(n: CelNode): Shape | null {
  if (n.kind !== 'literal') return null;
  switch (n.type) {
    case 'string':
      return { kind: 'str', values: [String(n.value)] };
    case 'int':
    case 'uint':
    case 'double':
      return { kind: 'num' };
    case 'bool':
      return { kind: 'bool' };
    default:
      return null;
  }
}

function insert(into: Map<string, Shape>, segments: string[], leaf: Shape): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const existing = into.get(head);
  if (rest.length === 0) {
    into.set(head, merge(existing, leaf));
    return;
  }
  if (rest[0] === '@items') {
    const list: Shape = existing?.kind === 'list' ? existing : { kind: 'list', item: { kind: 'obj', fields: new Map() } };
    into.set(head, list);
    const holder = new Map<string, Shape>([['@', (list as { item: Shape }).item]]);
    insert(holder, ['@', ...rest.slice(1)], leaf);
    (list as { item: Shape }).item = holder.get('@')!;
    return;
  }
  const obj: Shape = existing?.kind === 'obj' ? existing : { kind: 'obj', fields: new Map() };
  into.set(head, obj);
  insert((obj as { fields: Map<string, Shape> }).fields, rest, leaf);
}

function merge(a: Shape | undefined, b: Shape): Shape {
  if (!a) return b;
  if (a.kind === 'obj' || a.kind === 'list') return a;
  if (b.kind === 'obj' || b.kind === 'list') return b;
  if (a.kind === 'str' && b.kind === 'str') return { kind: 'str', values: [...a.values, ...b.values] };
  return a.kind === 'str' ? b : a;
}

function materialize(shape: Shape, rnd: () => number, listSize: number): unknown {
  switch (shape.kind) {
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of shape.fields) out[k] = materialize(v, rnd, listSize);
      return out;
    }
    case 'list':
      return Array.from({ length: listSize }, () => materialize(shape.item, rnd, listSize));
    case 'str':
      if (shape.values.length && rnd() < 0.5) return shape.values[Math.floor(rnd() * shape.values.length)]!;
      return `v${Math.floor(rnd() * 1e6).toString(36)}-${'x'.repeat(Math.floor(rnd() * 24))}`;
    case 'num':
      return Math.floor(rnd() * 100);
    case 'bool':
      return rnd() < 0.5;
  }
}

/**
 * The activation the engine evaluates against, built as the engine builds it: `P` and `R` are the
 * engine's CEL views of the principal and resource (with `policyVersion` and `scope`; attribute
 * keys the engine drops, such as `constructor`, dropped here too), so ns/eval and results match it.
 */
export function activationFor(request: RequestInput): Record<string, unknown> {
  const variables = request.variables ?? {};
  const constants = request.constants ?? {};
  const p = request.principal;
  const r = request.resource;
  const principal = principalValue({ id: text(p.id), roles: Array.isArray(p.roles) ? p.roles.map(text) : [], ...attrOf(p) });
  const resource = resourceValue({
    kind: text(r.kind),
    id: text(r.id),
    ...attrOf(r),
    ...(typeof r.policyVersion === 'string' ? { policyVersion: r.policyVersion } : {}),
  });
  const aux = {};
  const globals = {};
  return {
    request: { principal, resource, aux_data: aux, auxData: aux },
    P: principal,
    R: resource,
    V: variables,
    variables,
    C: constants,
    constants,
    G: globals,
    globals,
    runtime: { effectiveDerivedRoles: [] },
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function attrOf(entity: Record<string, unknown>): { attr?: Attributes } {
  const attr = entity.attr;
  return attr !== null && typeof attr === 'object' && !Array.isArray(attr) ? { attr: attr as Attributes } : {};
}

/** A generated request that exercises `root` (seeded). */
export function generateRequest(root: CelNode, cost: CostResult, seed: number, listSize: number): RequestInput {
  const shapes = inferShapes(root, cost.paths);
  const rnd = mulberry32(seed);
  const part = (name: string): Record<string, unknown> => {
    const shape = shapes.get(name);
    const value = shape ? materialize(shape, rnd, listSize) : {};
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  };
  const principal = { id: 'user-1', roles: ['user'], attr: {}, ...part('P') };
  const resource = { kind: 'document', id: 'doc-1', attr: {}, ...part('R') };
  return { principal, resource, variables: part('V'), constants: part('C') };
}

/** Times one expression; never throws (errors are part of the result). */
export function measureExpression(text: string, request: RequestInput, options: MeasureOptions): MeasuredCost {
  let program: (ctx: Record<string, unknown>) => unknown;
  try {
    program = celEnvironment().parse(text) as unknown as (ctx: Record<string, unknown>) => unknown;
  } catch (err) {
    return { nsPerEval: 0, evaluations: 0, error: firstLine(err), result: null };
  }
  const activation = activationFor(request);
  let error: string | null = null;
  let result: string | null = null;
  const once = (): void => {
    try {
      program(activation);
    } catch {
      // errors cost time too; the first one is reported below
    }
  };
  try {
    result = preview(program(activation));
  } catch (err) {
    error = firstLine(err);
  }
  const clock = options.clock;
  const batchNs = BigInt(options.batchNs ?? 2_000_000);
  // calibrate: iterations per batch
  let n = 1;
  for (;;) {
    const t0 = clock();
    for (let i = 0; i < n; i++) once();
    const dt = clock() - t0;
    if (dt >= batchNs / 4n || n >= 1 << 20) break;
    n *= 2;
  }
  n = Math.max(1, n * 4);
  const samples: number[] = [];
  let evaluations = 0;
  for (let b = 0; b < (options.batches ?? 5); b++) {
    const t0 = clock();
    for (let i = 0; i < n; i++) once();
    samples.push(Number(clock() - t0) / n);
    evaluations += n;
  }
  samples.sort((a, b) => a - b);
  return { nsPerEval: Math.round(samples[Math.floor(samples.length / 2)]! * 10) / 10, evaluations, error, result };
}

function firstLine(err: unknown): string {
  const e = err as { summary?: string; message?: string };
  return (e?.summary ?? e?.message ?? String(err)).split('\n')[0]!;
}

function preview(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'bigint' ? `${value}` : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/** Spearman rank correlation (ties get average ranks); null with fewer than 3 points or no variance. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length || xs.length < 3) return null;
  const rx = ranks(xs);
  const ry = ranks(ys);
  const n = xs.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    const a = rx[i]! - mx;
    const b = ry[i]! - my;
    num += a * b;
    dx += a * a;
    dy += b * b;
  }
  if (dx === 0 || dy === 0) return null;
  return num / Math.sqrt(dx * dy);
}

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  let k = 0;
  while (k < order.length) {
    let j = k;
    while (j + 1 < order.length && order[j + 1]!.v === order[k]!.v) j++;
    const avg = (k + j) / 2 + 1;
    for (let m = k; m <= j; m++) out[order[m]!.i] = avg;
    k = j + 1;
  }
  return out;
}
