/**
 * `--cel-engines`: the same conditions and inputs evaluated by @marcbachmann/cel-js and by cel-js
 * (ChromeGG). Reports ns per evaluation for each, the ratio, and whether both returned the same
 * normalised result for every input. A condition one library cannot parse is listed, not fatal.
 */
import { parse as marcParse } from '@marcbachmann/cel-js';
import { batchSize, batched, runTasks, type RunOptions } from './runner.js';
import type { CelEngineComparison, CelEngineConditionResult } from './types.js';

export interface ConditionInputs {
  conditionId: string;
  expr: string;
  /** CEL activations (variables by name) the engine used for this condition */
  inputs: Array<Record<string, unknown>>;
}

export const ENGINE_VERSIONS = { marcbachmann: '@marcbachmann/cel-js 8', chromegg: 'cel-js 0.8 (ChromeGG)' } as const;

export type Evaluator = (input: Record<string, unknown>) => unknown;

const ERROR_MARK = 'error';

/**
 * Canonical text of a CEL result so the two libraries can be compared: integers come back as
 * BigInt from one and number from the other, maps as Map or object; errors are one category.
 */
export function normaliseCelValue(value: unknown): string {
  return JSON.stringify(toPlain(value));
}

function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : Number.isNaN(value) ? 'NaN' : value;
  if (value === undefined) return null;
  if (value instanceof Uint8Array) return Array.from(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return toPlain(Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v])));
  if (value instanceof Set) return [...value].map(toPlain);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object') {
    const valueOf = (value as { valueOf(): unknown }).valueOf();
    if (valueOf !== value) return toPlain(valueOf);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = toPlain((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * cel-js (ChromeGG) has no BigInt support. Activations can carry BigInt integers computed by the
 * reference engine (variables in V): hand that library the same values as numbers, as it would
 * have computed them itself. Returns the input unchanged when it holds no BigInt.
 */
export function forChromeGG<T>(value: T): T {
  return (hasBigInt(value, 0) ? withoutBigInt(value, new Map()) : value) as T;
}

function hasBigInt(value: unknown, depth: number): boolean {
  if (typeof value === 'bigint') return true;
  if (depth > 32 || value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array) return false;
  if (value instanceof Map) return [...value.values()].some((v) => hasBigInt(v, depth + 1));
  return Object.values(value).some((v) => hasBigInt(v, depth + 1));
}

function withoutBigInt(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array) return value;
  // shared sub-objects (V and variables are one object) stay shared
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(withoutBigInt(v, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(k, withoutBigInt(v, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = withoutBigInt(v, seen);
  return out;
}

function safely(fn: Evaluator, input: Record<string, unknown>): { text: string; failed: boolean } {
  try {
    return { text: normaliseCelValue(fn(input)), failed: false };
  } catch (err) {
    return { text: `${ERROR_MARK}: ${(err as Error).message.split('\n')[0]}`, failed: true };
  }
}

function compileMarc(expr: string): Evaluator {
  const program = marcParse(expr);
  return (input) => program(input);
}

type ChromeGG = typeof import('cel-js');
let chromeGG: ChromeGG | null = null;

/**
 * cel-js (ChromeGG) builds its parser on import (~2 s of CPU), so it is loaded only when a
 * comparison runs, not with every CLI start.
 */
export async function loadChromeGG(): Promise<void> {
  chromeGG ??= await import('cel-js');
}

function compileChrome(expr: string): Evaluator {
  if (chromeGG === null) throw new Error('cel-js not loaded: await loadChromeGG() first');
  const { parse, evaluate } = chromeGG;
  const parsed = parse(expr);
  if (!parsed.isSuccess) throw new Error(parsed.errors.join('; '));
  const cst = parsed.cst;
  return (input) => evaluate(cst, input);
}

/** Compiles a condition for @marcbachmann/cel-js; pass the engine's own (with its custom functions). */
export type MarcCompiler = (expr: string) => Evaluator;

/** Agreement only: evaluates every input with both libraries (no timing). */
export function checkAgreement(c: ConditionInputs, marcCompiler: MarcCompiler = compileMarc): Omit<CelEngineConditionResult, 'marcbachmannNs' | 'chromeggNs' | 'ratio'> & {
  marc: Evaluator | null;
  chrome: Evaluator | null;
} {
  const parseErrors: CelEngineConditionResult['parseErrors'] = [];
  let marc: Evaluator | null = null;
  let chrome: Evaluator | null = null;
  try {
    marc = marcCompiler(c.expr);
  } catch (err) {
    parseErrors.push({ engine: 'marcbachmann', message: (err as Error).message.split('\n')[0] ?? '' });
  }
  try {
    chrome = compileChrome(c.expr);
  } catch (err) {
    parseErrors.push({ engine: 'chromegg', message: (err as Error).message.split('\n')[0] ?? '' });
  }
  let agreements = 0;
  const disagreements: CelEngineConditionResult['disagreements'] = [];
  const evalErrors = { marcbachmann: 0, chromegg: 0 };
  if (marc && chrome) {
    c.inputs.forEach((input, i) => {
      const a = safely(marc!, input);
      const b = safely(chrome!, forChromeGG(input));
      if (a.failed) evalErrors.marcbachmann++;
      if (b.failed) evalErrors.chromegg++;
      // two errors agree whatever their wording: neither library yields a value
      const same = a.failed && b.failed ? true : a.text === b.text;
      if (same) agreements++;
      // keep the first five as examples; disagreementCount has the total
      else if (disagreements.length < 5) disagreements.push({ input: i, marcbachmann: a.text, chromegg: b.text });
    });
  }
  const disagreementCount = marc && chrome ? c.inputs.length - agreements : 0;
  return { conditionId: c.conditionId, expr: c.expr, inputs: c.inputs.length, agreements, disagreementCount, disagreements, evalErrors, parseErrors, marc, chrome };
}

/** Agreement plus ns/op for each library over the same inputs (cycled). */
export async function compareCelEngines(
  conditions: ConditionInputs[],
  options: RunOptions,
  marcCompiler: MarcCompiler = compileMarc,
): Promise<CelEngineComparison> {
  await loadChromeGG();
  const results: CelEngineConditionResult[] = [];
  for (const c of conditions) {
    const { marc, chrome, ...agreement } = checkAgreement(c, marcCompiler);
    const time = async (engine: string, fn: Evaluator | null, inputs: Array<Record<string, unknown>>): Promise<number | null> => {
      if (!fn || inputs.length === 0) return null;
      let i = 0;
      const op = (): unknown => {
        const input = inputs[i]!;
        i = i + 1 === inputs.length ? 0 : i + 1;
        try {
          return fn(input);
        } catch {
          return undefined; // an error is a result here; its cost is part of the comparison
        }
      };
      const def = batched({ id: `${engine}:${c.conditionId}`, name: `${engine} ${c.conditionId}`, beforeAll: () => void (i = 0), op }, batchSize(op));
      const outcome = await runTasks([def], { ...options, onTask: undefined });
      return outcome.results[0]?.meanNs ?? null;
    };
    const marcbachmannNs = await time('marcbachmann', marc, c.inputs);
    const chromeggNs = await time('chromegg', chrome, c.inputs.map(forChromeGG));
    results.push({
      ...agreement,
      marcbachmannNs,
      chromeggNs,
      ratio: marcbachmannNs && chromeggNs ? chromeggNs / marcbachmannNs : null,
    });
    options.onTask?.({ phase: 'done', id: `cel-engines:${c.conditionId}`, name: `cel engines ${c.conditionId}` });
  }
  const ratios = results.map((r) => r.ratio).filter((r): r is number => r !== null && r > 0);
  return {
    engines: { ...ENGINE_VERSIONS },
    conditions: results,
    geomeanRatio: ratios.length ? Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length) : null,
    totalDisagreements: results.reduce((s, r) => s + r.disagreementCount, 0),
    unparsable: results.filter((r) => r.parseErrors.length > 0).length,
  };
}
