/**
 * Attribute generators (scenario.yaml forms, see scenarios/README.md) inferred from the values a
 * repository's fixtures or decision log hold, or, for an attribute nobody sets, from how the
 * conditions use it (the CEL analyzer's inferred shape).
 */
import type { Shape } from '../cel/measure.js';
import type { AttrValue } from '../engine/index.js';
import { isObject } from '../util/json-values.js';

/** A generator as written in scenario.yaml: a plain scalar, or a one-key-and-options map. */
export type GenSpec = AttrValue;

/** Distinct values up to this many are drawn with their observed weights; more become ranges. */
const MAX_ONE_OF_NUMBERS = 8;
const MAX_ONE_OF_STRINGS = 40;

/** A generator reproducing the observed values' kinds, ranges and frequencies. */
export function genFromValues(values: readonly AttrValue[]): GenSpec {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return null;
  if (present.every((v) => typeof v === 'boolean')) return { bool: round(present.filter((v) => v === true).length / present.length, 3) };
  if (present.every((v) => typeof v === 'number')) return numberGen(present as number[]);
  if (present.every((v) => typeof v === 'string')) return oneOf(present, MAX_ONE_OF_STRINGS);
  if (present.every(Array.isArray)) {
    const lists = present as AttrValue[][];
    const items = lists.flat();
    const lengths = lists.map((l) => l.length);
    return { listOf: items.length ? genFromValues(items) : 'item', min: Math.min(...lengths), max: Math.max(...lengths) };
  }
  if (present.every(isObject)) return { object: objectFields(present as Array<Record<string, AttrValue>>) };
  // mixed kinds: the observed values themselves
  return oneOf(present, MAX_ONE_OF_STRINGS);
}

/** Generators per key over several objects (a key missing from some objects is generated for all). */
export function objectFields(objects: ReadonlyArray<Record<string, AttrValue>>): Record<string, GenSpec> {
  const byKey = new Map<string, AttrValue[]>();
  for (const o of objects) for (const [k, v] of Object.entries(o)) (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(v);
  const out: Record<string, GenSpec> = {};
  for (const [k, vs] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    const gen = genFromValues(vs);
    if (gen !== null) out[k] = gen;
  }
  return out;
}

function numberGen(values: number[]): GenSpec {
  const distinct = new Set(values);
  if (distinct.size <= MAX_ONE_OF_NUMBERS) return oneOf(values, MAX_ONE_OF_NUMBERS);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.every(Number.isInteger) ? { int: [min, max] } : { number: [min, max] };
}

/** `{ oneOf, weights }` of the most frequent values (weights left out when all equal); one value is itself. */
export function oneOf(values: readonly AttrValue[], limit: number): GenSpec {
  const counts = new Map<string, { value: AttrValue; n: number }>();
  for (const v of values) {
    const key = JSON.stringify(v);
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { value: v, n: 1 });
  }
  const top = [...counts.values()].sort((a, b) => b.n - a.n).slice(0, limit);
  if (top.length === 1) return constant(top[0]!.value);
  const equal = top.every((t) => t.n === top[0]!.n);
  return { oneOf: top.map((t) => t.value), ...(equal ? {} : { weights: top.map((t) => t.n) }) };
}

/** A single value: scalars as themselves, lists and maps under `const` (a bare list is ambiguous). */
function constant(value: AttrValue): GenSpec {
  return value !== null && typeof value === 'object' ? { const: value } : value;
}

/** A generator for an attribute only the conditions tell about: the literals it is compared with, or its kind. */
export function genFromShape(shape: Shape, name: string): GenSpec {
  switch (shape.kind) {
    case 'bool':
      return { bool: 0.5 };
    case 'num':
      return { int: [0, 100] };
    case 'str': {
      const literals = [...new Set(shape.values)];
      return literals.length > 0 ? oneOf([...literals, `other-${name}`], MAX_ONE_OF_STRINGS) : { id: name, count: 20 };
    }
    case 'list':
      return { listOf: genFromShape(shape.item, name), min: 0, max: 3 };
    case 'obj': {
      const fields: Record<string, GenSpec> = {};
      for (const [k, v] of shape.fields) fields[k] = genFromShape(v, k);
      return { object: fields };
    }
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
