/**
 * Shared by the fuzz tests: how many cases (2,000 in `npm test`, AUTHZ_PERF_FUZZ_RUNS in
 * `npm run fuzz`), what every answer must look like (no stack trace, one line, a bounded time
 * per case), and mutations of known-good JSON documents.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/util/errors.js';

export const FUZZ_RUNS = Number(process.env.AUTHZ_PERF_FUZZ_RUNS ?? 2000);
/** fast-check parameters: the case count, and no shrinking (a shrink re-runs whole requests or CLI runs many times); the counterexample is printed as found */
export const FUZZ_PARAMETERS = { numRuns: FUZZ_RUNS, endOnFailure: true } as const;
/**
 * per case: generous, so only a hang or a runaway input fails it, not a slow host (a 16-fold
 * bench report rendered as HTML took 4.9 s on a 2-core host at load average 20)
 */
export const CASE_LIMIT_MS = 10_000;

const STACK_LINE = /^\s*at\s.+(?:\(.*:\d+:\d+\)|:\d+:\d+)$/m;

/** No stack frame (`at fn (file:1:2)`) and no Node internals in `text`. */
export function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, STACK_LINE, `stack trace in: ${text.slice(0, 300)}`);
  assert.ok(!text.includes('node:internal'), `Node internals in: ${text.slice(0, 300)}`);
  assert.ok(!text.includes('Maximum call stack size exceeded'), `stack overflow reported: ${text.slice(0, 300)}`);
}

/** A user-facing message: non-empty, one line, no stack trace. */
export function assertCleanMessage(message: string): void {
  assert.ok(message.length > 0, 'empty message');
  assert.ok(!message.includes('\n'), `message of more than one line: ${message.slice(0, 300)}`);
  assertNoStackTrace(message);
}

/** Runs `fn`, which may only fail with an InputError that names file:line:column and reads cleanly. */
export function onlyInputErrors<T>(fn: () => T): T | InputError {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    assert.ok(err.location.file !== undefined && err.location.line !== undefined && err.location.column !== undefined, `no position: ${err.describe()}`);
    assertCleanMessage(err.describe());
    return err;
  }
}

/** `fn()` within CASE_LIMIT_MS. */
export async function withinCaseLimit<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  assert.ok(ms < CASE_LIMIT_MS, `${what} took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms)`);
  return result;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON pointers (as key lists) of every value in `doc`, the root first. */
function pathsOf(doc: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) pathsOf(v, [...prefix, k], out);
  return out;
}

/** Values that break careless code: extremes, wrong types, empty and odd containers. */
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, -1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, '', ' ', '__proto__', 'constructor', [], {}, [null], { __proto__: null } as unknown as Json, '\u0000', '😀'.repeat(50), 'x'.repeat(5000)),
);

type Mutation = { kind: 'replace' | 'delete' | 'wrap' | 'duplicate'; at: number; value: Json };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'delete', 'wrap', 'duplicate'),
  at: fc.nat(),
  value: hostileValue,
});

/** A deep copy that keeps each object's prototype (hostileValue has a null-prototype object) and own `__proto__` keys. */
function copyJson(v: Json): Json {
  if (Array.isArray(v)) return v.map(copyJson);
  if (v === null || typeof v !== 'object') return v;
  const out = Object.create(Object.getPrototypeOf(v) as object | null) as Record<string, Json>;
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: copyJson(v[k]!), enumerable: true, writable: true, configurable: true });
  return out;
}

function applyMutation(doc: Json, m: Mutation): Json {
  // a copy: the constants of hostileValue are single instances, shared by every case, and a later
  // mutation inside one would change it for good (an array replaced into itself became a cycle,
  // and pathsOf overflowed the stack in a later case)
  const value = copyJson(m.value);
  const paths = pathsOf(doc);
  const path = paths[m.at % paths.length]!;
  if (path.length === 0) return m.kind === 'wrap' ? [doc] : m.kind === 'replace' ? value : doc;
  const parent = path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string, Json>)[key as string]!, doc) as Record<string, Json> | Json[];
  const key = path[path.length - 1]!;
  const old = (parent as Record<string, Json>)[key as string]!;
  if (m.kind === 'replace') (parent as Record<string, Json>)[key as string] = value;
  else if (m.kind === 'wrap') (parent as Record<string, Json>)[key as string] = { inner: [old] };
  else if (m.kind === 'duplicate') (parent as Record<string, Json>)[key as string] = Array.isArray(old) ? [...old, ...old] : old;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key as string];
  return doc;
}

/** `base` with up to four random mutations (a deep copy: `base` is not changed). */
export function mutatedJson(base: unknown): fc.Arbitrary<unknown> {
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => ms.reduce<Json>((doc, m) => applyMutation(doc, m), structuredClone(base) as Json));
}

/** JSON text of `base` mutated, sometimes also cut short or with bytes spliced in. */
export function mutatedJsonText(base: unknown): fc.Arbitrary<string> {
  return fc.tuple(mutatedJson(base), fc.nat(), fc.constantFrom('none', 'none', 'truncate', 'splice'), fc.string({ maxLength: 4 })).map(([doc, at, how, bytes]) => {
    const text = JSON.stringify(doc, null, 2) ?? 'null';
    const cut = at % (text.length + 1);
    if (how === 'truncate') return text.slice(0, cut);
    if (how === 'splice') return text.slice(0, cut) + bytes + text.slice(cut);
    return text;
  });
}
