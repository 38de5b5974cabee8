/**
 * Seeded generator of realistic Cerbos-style CEL conditions, for throughput measurement
 * (`analyzeExpressions` over `generateCorpus(n, seed)`) and tests. Same seed, same corpus.
 */
import { mulberry32 } from '../util/random.js';
import type { ExpressionInput } from './analyze.js';

const ATTRS = ['owner', 'department', 'status', 'region', 'team', 'classification', 'project', 'tier'];
const LISTS = ['tags', 'groups', 'approvers', 'labels', 'members'];
const WORDS = ['admin', 'finance', 'eng', 'ops', 'public', 'draft', 'eu-west', 'us-east', 'gold', 'secret'];

/** `n` expressions of varied shape and cost. */
export function generateCorpus(n: number, seed: number): string[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const word = (): string => JSON.stringify(pick(WORDS));
  const side = (): string => pick(['R', 'P', 'request.resource', 'request.principal']);

  const atoms: Array<() => string> = [
    () => `${side()}.attr.${pick(ATTRS)} == ${word()}`,
    () => `R.attr.${pick(ATTRS)} == P.attr.${pick(ATTRS)}`,
    () => `R.attr.owner == P.id`,
    () => `${word()} in P.roles`,
    () => `P.attr.${pick(ATTRS)} in [${Array.from({ length: 1 + Math.floor(rnd() * 6) }, word).join(', ')}]`,
    () => `has(R.attr.${pick(ATTRS)})`,
    () => `R.attr.${pick(ATTRS)}.startsWith(${word()})`,
    () => `R.attr.${pick(ATTRS)}.matches("^${pick(WORDS)}-[0-9]+$")`,
    () => `size(R.attr.${pick(LISTS)}) < ${1 + Math.floor(rnd() * 20)}`,
    () => `R.attr.${pick(LISTS)}.exists(t, t == ${word()})`,
    () => `R.attr.${pick(LISTS)}.all(t, t in P.attr.${pick(LISTS)})`,
    () => `R.attr.${pick(LISTS)}.exists(g, g.${pick(LISTS)}.exists(m, m == P.id))`,
    () => `R.attr.${pick(LISTS)}.filter(x, x.startsWith(${word()})).size() > 0`,
    () => `timestamp(R.attr.created) < now() - duration("${1 + Math.floor(rnd() * 48)}h")`,
    () => `V.${pick(ATTRS)} && C.${pick(ATTRS)} != ""`,
    () => `cel.bind(o, R.attr.${pick(ATTRS)}, o == P.id || o == P.attr.manager)`,
    () => `R.attr.${pick(ATTRS)}.${pick(ATTRS)}.id == P.attr.${pick(ATTRS)}`,
    () => `P.attr.level + 1 > R.attr.level * 2`,
  ];

  const expr = (depth: number): string => {
    const r = rnd();
    if (depth <= 0 || r < 0.45) return pick(atoms)();
    if (r < 0.7) return `${expr(depth - 1)} && ${expr(depth - 1)}`;
    if (r < 0.9) return `(${expr(depth - 1)} || ${expr(depth - 1)})`;
    if (r < 0.95) return `!(${expr(depth - 1)})`;
    return `${expr(depth - 1)} ? ${expr(depth - 1)} : false`;
  };

  return Array.from({ length: n }, () => expr(1 + Math.floor(rnd() * 3)));
}

/**
 * The corpus as analysis inputs, ready for `analyzeExpressions(corpusInputs(n, seed))` — the
 * throughput benchmark (expressions per second, parse + full analysis).
 */
export function corpusInputs(n: number, seed: number): ExpressionInput[] {
  return generateCorpus(n, seed).map((text, i) => ({
    text,
    origin: { kind: 'text' as const, file: 'corpus' },
    position: (offset: number) => ({ line: i + 1, column: offset + 1 }),
  }));
}
