/**
 * List and set functions. Cerbos's own: hasIntersection/has_intersection, intersect, except,
 * isSubset/is_subset (each as a function of two lists and as a method). cel-go's ext.Lists:
 * distinct, flatten, sort, reverse, slice, lists.range (sortBy is a macro, in comprehensions.ts).
 * cel-go's ext.Sets: sets.contains, sets.equivalent, sets.intersects. Elements compare with CEL
 * equality, so `1`, `1.0` and `1u` are the same element.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { asInt, asList, celCompare, celIndexOf, fail } from './values.js';

export function hasIntersection(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.some((x) => celIndexOf(b, x) >= 0);
}

/** Elements of `a` matched one-for-one in `b` (a multiset intersection, in `a`'s order). */
export function intersect(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const left = [...b];
  const out: unknown[] = [];
  for (const x of a) {
    const i = celIndexOf(left, x);
    if (i < 0) continue;
    out.push(x);
    left.splice(i, 1);
  }
  return out;
}

export function except(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  return a.filter((x) => celIndexOf(b, x) < 0);
}

export function isSubset(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.every((x) => celIndexOf(b, x) >= 0);
}

export function distinct(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of list) if (celIndexOf(out, x) < 0) out.push(x);
  return out;
}

export function flatten(list: readonly unknown[], depth: bigint): unknown[] {
  if (depth < 0n) return fail('level must be non-negative');
  const out: unknown[] = [];
  for (const x of list) {
    if (Array.isArray(x) && depth > 0n) out.push(...flatten(x, depth - 1n));
    else out.push(x);
  }
  return out;
}

export function sortList(list: readonly unknown[]): unknown[] {
  return [...list].sort((a, b) => celCompare(a, b, 'sort'));
}

export function slice(list: readonly unknown[], start: bigint, end: bigint): unknown[] {
  if (start < 0n || end < 0n) return fail(`cannot slice(${start}, ${end}), negative indexes not supported`);
  if (start > end) return fail(`cannot slice(${start}, ${end}), start index must be less than or equal to end index`);
  if (end > BigInt(list.length)) return fail(`cannot slice(${start}, ${end}), list is length ${list.length}`);
  return list.slice(Number(start), Number(end));
}

export function range(n: bigint): bigint[] {
  if (n < 0n) return fail(`lists.range: size must be non-negative, got ${n}`);
  const out: bigint[] = [];
  for (let i = 0n; i < n; i++) out.push(i);
  return out;
}

class ListsNamespace {}
class SetsNamespace {}

type Pair = (a: unknown[], b: unknown[]) => unknown;

export function registerLists(env: Environment): void {
  const pairs: Array<[string, Pair, string]> = [
    ['hasIntersection', hasIntersection, 'bool'],
    ['has_intersection', hasIntersection, 'bool'],
    ['intersect', intersect, 'list'],
    ['except', except, 'list'],
    ['isSubset', isSubset, 'bool'],
    ['is_subset', isSubset, 'bool'],
  ];
  for (const [name, fn, returns] of pairs) {
    const handler = (a: unknown, b: unknown): unknown => fn(asList(a, name), asList(b, name));
    env.registerFunction(`${name}(list, list): ${returns}`, handler).registerFunction(`list.${name}(list): ${returns}`, handler);
  }
  env
    .registerFunction('list.distinct(): list', (l: unknown) => distinct(asList(l, 'distinct')))
    .registerFunction('list.flatten(): list', (l: unknown) => flatten(asList(l, 'flatten'), 1n))
    .registerFunction('list.flatten(int): list', (l: unknown, d: unknown) => flatten(asList(l, 'flatten'), asInt(d, 'flatten')))
    .registerFunction('list.sort(): list', (l: unknown) => sortList(asList(l, 'sort')))
    .registerFunction('list.reverse(): list', (l: unknown) => [...asList(l, 'reverse')].reverse())
    .registerFunction('list.slice(int, int): list', (l: unknown, s: unknown, e: unknown) => slice(asList(l, 'slice'), asInt(s, 'slice'), asInt(e, 'slice')))
    .registerType('ListsNamespace', ListsNamespace)
    .registerConstant('lists', 'ListsNamespace', new ListsNamespace())
    .registerFunction('ListsNamespace.range(int): list<int>', (_ns: unknown, n: unknown) => range(asInt(n, 'lists.range')))
    .registerType('SetsNamespace', SetsNamespace)
    .registerConstant('sets', 'SetsNamespace', new SetsNamespace())
    .registerFunction('SetsNamespace.contains(list, list): bool', (_ns: unknown, a: unknown, b: unknown) => isSubset(asList(b, 'sets.contains'), asList(a, 'sets.contains')))
    .registerFunction('SetsNamespace.equivalent(list, list): bool', (_ns: unknown, a: unknown, b: unknown) => {
      const x = asList(a, 'sets.equivalent');
      const y = asList(b, 'sets.equivalent');
      return isSubset(x, y) && isSubset(y, x);
    })
    .registerFunction('SetsNamespace.intersects(list, list): bool', (_ns: unknown, a: unknown, b: unknown) => hasIntersection(asList(a, 'sets.intersects'), asList(b, 'sets.intersects')));
}


