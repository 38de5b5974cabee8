/**
 * Cerbos's hierarchy functions. A hierarchy is a list of levels: `hierarchy("a.b.c")` splits on
 * the delimiter ("." by default) and keeps empty levels, `hierarchy(["a", "b"])` takes the levels
 * as given. It is represented as a CEL list of strings, so `size()`, `[i]` and `==` are the list
 * operations (Cerbos gives it its own type `cerbos.lib.hierarchy`; where Cerbos rejects list
 * operations on it at compile time, e.g. `"a" in h`, this engine accepts them).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { asString, fail, typeName } from './values.js';

export type Hierarchy = readonly string[];

/** Splits like Go's strings.Split: an empty delimiter splits into characters (UTF-8 runes). */
export function parseHierarchy(text: string, delimiter = '.'): string[] {
  if (delimiter === '') return [...text];
  return text.split(delimiter);
}

export function hierarchyFromList(list: readonly unknown[]): string[] {
  return list.map((level) => (typeof level === 'string' ? level : fail(`failed to convert list to string slice: unsupported type conversion from '${typeName(level)}' to string`)));
}

function asHierarchy(v: unknown, fn: string): Hierarchy {
  if (Array.isArray(v)) return v as Hierarchy;
  return fail(`${fn}: expected a hierarchy, got ${typeName(v)}`);
}

/** `a` is a strict prefix of `b`. */
export function ancestorOf(a: Hierarchy, b: Hierarchy): boolean {
  if (a.length >= b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function immediateParentOf(a: Hierarchy, b: Hierarchy): boolean {
  return a.length + 1 === b.length && ancestorOf(a, b);
}

/** One is a prefix of the other (equal hierarchies overlap). */
export function overlaps(a: Hierarchy, b: Hierarchy): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  for (let i = 0; i < short.length; i++) if (short[i] !== long[i]) return false;
  return true;
}

/** Same length and same parent (a hierarchy is its own sibling; single levels are siblings). */
export function siblingOf(a: Hierarchy, b: Hierarchy): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The longest common prefix; of two hierarchies of equal length the last level is never part of
 * it (so `a.b` and `a.b` have `a` in common), as Cerbos 0.55 answers.
 */
export function commonAncestors(a: Hierarchy, b: Hierarchy): string[] {
  const limit = Math.min(a.length, b.length) - (a.length === b.length ? 1 : 0);
  const out: string[] = [];
  for (let i = 0; i < limit; i++) {
    if (a[i] !== b[i]) break;
    out.push(a[i]!);
  }
  return out;
}

export function registerHierarchy(env: Environment): void {
  env
    .registerFunction('hierarchy(string): list<string>', (s: unknown) => parseHierarchy(asString(s, 'hierarchy')))
    .registerFunction('hierarchy(string, string): list<string>', (s: unknown, d: unknown) => parseHierarchy(asString(s, 'hierarchy'), asString(d, 'hierarchy')))
    .registerFunction('hierarchy(list): list<string>', (l: unknown) => hierarchyFromList(l as unknown[]));
  const methods: Array<[string, (a: Hierarchy, b: Hierarchy) => unknown, string]> = [
    ['ancestorOf', ancestorOf, 'bool'],
    ['descendentOf', (a, b) => ancestorOf(b, a), 'bool'],
    ['immediateParentOf', immediateParentOf, 'bool'],
    ['immediateChildOf', (a, b) => immediateParentOf(b, a), 'bool'],
    ['overlaps', overlaps, 'bool'],
    ['siblingOf', siblingOf, 'bool'],
    ['commonAncestors', commonAncestors, 'list<string>'],
  ];
  for (const [name, fn, returns] of methods) {
    env.registerFunction(`list.${name}(list): ${returns}`, (a: unknown, b: unknown) => fn(asHierarchy(a, name), asHierarchy(b, name)));
  }
}
