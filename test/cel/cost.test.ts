import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCel } from '../../src/cel/ast.js';
import { estimateCost } from '../../src/cel/cost.js';
import { parseSizeHints } from '../../src/cel/paths.js';
import { UsageError } from '../../src/util/errors.js';

function cost(expr: string, hints: string[] = [], assumedSize = 100, knownSizes?: Map<string, { min: number; max: number }>) {
  const r = estimateCost(parseCel(expr), { sizeHints: parseSizeHints(hints), assumedSize, ...(knownSizes ? { knownSizes } : {}) });
  return { min: r.total.min, max: r.total.max === Infinity ? null : r.total.max, rank: r.total.rank, unboundedBy: r.unboundedBy };
}

test('identifiers and selects cost 1 each, constants 0', () => {
  assert.deepEqual(cost('R.attr.x'), { min: 3, max: 3, rank: 3, unboundedBy: [] });
  assert.equal(cost('1').max, 0);
  assert.equal(cost('"abc"').max, 0);
  assert.equal(cost('true').max, 0);
});

test('list and map literal creation cost 10 and 30 plus their elements', () => {
  assert.equal(cost('[1, 2, 3]').max, 10);
  assert.equal(cost('[a]').max, 11);
  assert.equal(cost('{"a": 1}').max, 30);
  assert.equal(cost('{"a": b}').max, 31);
});

test('&& and ||: min is the left operand, max is left + right', () => {
  assert.deepEqual(cost('a && b'), { min: 1, max: 2, rank: 2, unboundedBy: [] });
  const or = cost('a || b.c');
  assert.equal(or.min, 1);
  assert.equal(or.max, 3);
  // the expensive side first: min still only the left
  assert.equal(cost('b.c.d || a').min, 3);
});

test('ternary: condition plus the union of the branches', () => {
  const t = cost('a ? b.c : 1');
  assert.equal(t.min, 1);
  assert.equal(t.max, 3);
});

test('a comprehension with a size hint: range + init + result + size × (condition + step)', () => {
  // range 3, init 0, result 1; per element: condition 3 + step (min 1, max 1 + p) where p = t == "x" = 2
  assert.deepEqual(cost('R.attr.tags.exists(t, t == "x")', ['R.attr.tags=10']), { min: 4, max: 64, rank: 64, unboundedBy: [] });
});

test('nested comprehensions multiply', () => {
  // inner: 3 + 1 + 20 × (3 + 1 + 3) = 144; outer: 3 + 1 + 10 × (3 + 1 + 144) = 1484
  const c = cost('R.attr.g.exists(x, R.attr.h.exists(y, y == x))', ['R.attr.g=10', 'R.attr.h=20']);
  assert.equal(c.max, 1484);
  assert.equal(c.min, 4);
  const bigger = cost('R.attr.g.exists(x, R.attr.h.exists(y, y == x))', ['R.attr.g=100', 'R.attr.h=20']);
  assert.equal(bigger.max, 3 + 1 + 100 * (3 + 1 + 144));
});

test('without a size hint a comprehension is unbounded and names the path', () => {
  const c = cost('R.attr.tags.exists(t, true)');
  assert.equal(c.max, null);
  assert.deepEqual(c.unboundedBy, ['R.attr.tags']);
  // rank assumes the size: 3 + 1 + 100 × (3 + 1)
  assert.equal(c.rank, 404);
  assert.equal(cost('R.attr.tags.exists(t, true)', [], 10).rank, 44);
});

test('aliases are one path: request.resource.attr.tags is hinted by R.attr.tags', () => {
  const c = cost('request.resource.attr.tags.exists(t, true)', ['R.attr.tags=5']);
  assert.deepEqual(c, { min: 5, max: 4 + 1 + 5 * 4, rank: 25, unboundedBy: [] });
  const d = cost('R.attr.tags.exists(t, true)', ['request.resource.attr.tags=5']);
  assert.equal(d.max, 3 + 1 + 5 * 4);
});

test('element paths: a hint on R.attr.groups.@items.members bounds the inner range', () => {
  const c = cost('R.attr.groups.exists(g, g.members.exists(m, m == P.id))', ['R.attr.groups=10', 'R.attr.groups.@items.members=5']);
  // inner: g.members 2 + result 1 + 5 × (3 + 1 + p) with p = m == P.id = 1 + 2 + 1 → 43
  // outer: 3 + 1 + 10 × (3 + 1 + 43) = 474
  assert.equal(c.max, 474);
});

test('matches: (size + 1) × 0.1 × (regex length × 0.25)', () => {
  // str = ceil(101 × 0.1) = 11, regex = ceil(8 × 0.25) = 2 → 22, plus receiver 3
  const c = cost('R.attr.name.matches("^[a-z]+$")', ['R.attr.name=100']);
  assert.equal(c.max, 25);
  assert.equal(c.min, 3 + 1 * 2);
  assert.equal(cost('R.attr.name.matches("^[a-z]+$")').max, null);
  // the global form costs the same
  assert.equal(cost('matches(R.attr.name, "^[a-z]+$")', ['R.attr.name=100']).max, 25);
});

test('string functions are proportional to size × 0.1', () => {
  assert.equal(cost('R.attr.name.startsWith("abc")').max, 3 + 1);
  assert.equal(cost('R.attr.name.endsWith("abcdefghijkl")').max, 3 + 2);
  // contains: ceil(100 × 0.1) × ceil(11 × 0.1) = 10 × 2
  const c = cost('R.attr.name.contains("abcdefghijk")', ['R.attr.name=100']);
  assert.equal(c.max, 23);
  assert.equal(c.min, 3);
  assert.deepEqual(cost('R.attr.name.contains("x")').unboundedBy, ['R.attr.name']);
});

test('in against a list literal costs its length; against a map literal 1; unknown lists are unbounded', () => {
  assert.equal(cost('x in [1, 2, 3]').max, 1 + 10 + 3);
  assert.equal(cost('x in {"a": 1}').max, 1 + 30 + 1);
  assert.equal(cost('x in P.roles').max, null);
  assert.equal(cost('x in P.roles', ['P.roles=4']).max, 1 + 2 + 4);
});

test('equality: 0.1 × the smaller known size; two unknown operands cost 1', () => {
  // the literal's 21 characters bound the comparison: ceil(21 × 0.1) = 3
  assert.equal(cost('R.attr.a == "abcdefghijklmnopqrstu"').max, 3 + 3);
  assert.equal(cost('R.attr.a == P.id').max, 3 + 2 + 1);
  assert.equal(cost('1 == 1').max, 1);
});

test('string concatenation sizes flow into comparisons', () => {
  // "ab" + s: size [2, 12] → cost ceil(0.2)..ceil(1.2) = 1..2 plus args 3; == "x": smaller size 1 → 1
  const c = cost('"ab" + R.attr.s == "x"', ['R.attr.s=10']);
  assert.equal(c.min, 5);
  assert.equal(c.max, 6);
});

test('cel.bind: empty range (10) + init + body, the bound size is known inside', () => {
  // body: x 1 + result 1 + 2 × (3 + [1..3]) where y == 1 costs 2 → min 10, max 14
  const c = cost('cel.bind(x, [1, 2], x.exists(y, y == 1))');
  assert.equal(c.min, 30);
  assert.equal(c.max, 34);
});

test('map and filter macros use cel-go expansion costs', () => {
  // map: range 3 + init 10 + result 1 + n × (t + 12) with t = x + 1 → 1 + 1 + 0 = 2
  assert.equal(cost('R.attr.l.map(x, x + 1)', ['R.attr.l=10']).max, 3 + 10 + 1 + 10 * 14);
  // filter: + n × (p + 13) with p = x > 1 → 2
  assert.equal(cost('R.attr.l.filter(x, x > 1)', ['R.attr.l=10']).max, 3 + 10 + 1 + 10 * 15);
});

test('size hints: bad syntax is a usage error naming the flag', () => {
  assert.throws(() => parseSizeHints(['R.attr.tags']), (e: unknown) => e instanceof UsageError && /--size-hint/.test(e.message));
  assert.throws(() => parseSizeHints(['R.attr.tags=-1']), UsageError);
  assert.throws(() => parseSizeHints(['=3']), UsageError);
  assert.deepEqual([...parseSizeHints(['request.principal.attr.groups=20', 'R.attr.tags.@values=3'])], [
    ['P.attr.groups', 20],
    ['R.attr.tags.@items', 3],
  ]);
});

test('unbounded-by names the attribute paths behind computed values (concatenation, string functions, map results)', () => {
  assert.deepEqual(cost('R.attr.path.startsWith("/teams/" + P.attr.team + "/")').unboundedBy, ['P.attr.team']);
  assert.deepEqual(cost('R.attr.tags.all(t, !t.lowerAscii().contains("x"))', ['R.attr.tags=5']).unboundedBy, ['R.attr.tags.@items']);
  assert.deepEqual(cost('R.attr.l.map(s, s.size()).exists_one(d, d == 1)').unboundedBy, ['R.attr.l']);
  assert.deepEqual(cost('R.attr.l.map(s, s.split("/")[0]).exists(d, d.contains(P.attr.x))').unboundedBy.sort(), ['P.attr.x', 'R.attr.l', 'R.attr.l.@items']);
  // shadowed names make the trail circular: it stops
  assert.ok(cost('x.map(x, x + x).exists(x, x.contains("a"))').unboundedBy.length > 0);
});

test('policy constants: sizes known from their values bound lists and their elements; hints override', () => {
  const known = new Map([
    ['C.classes', { min: 2, max: 2 }],
    ['C.classes.@items', { min: 3, max: 6 }],
  ]);
  assert.deepEqual(cost('P.attr.c in C.classes', [], 100, known), { min: 7, max: 7, rank: 7, unboundedBy: [] });
  // exists over a known 2-element constant: range 2 + result 1 + 2 × (condition 3 + step 1 + predicate 4),
  // the predicate's == costs ceil(0.1 × 6) = 1: the elements are at most 6 characters long
  const c = cost('C.classes.exists(x, x == P.id)', [], 100, known);
  assert.equal(c.max, 2 + 1 + 2 * (3 + 1 + 4));
  assert.equal(cost('P.attr.c in C.classes', ['C.classes=10'], 100, known).max, 3 + 2 + 10);
});

test('sets extension: cel-go\'s size(a) × size(b) estimate, twice for equivalent; the namespace is not a variable read', () => {
  // args 3 + 3, call 1, 10 × 5 comparisons
  assert.deepEqual(cost('sets.contains(R.attr.tags, P.attr.groups)', ['R.attr.tags=10', 'P.attr.groups=5']), { min: 7, max: 57, rank: 57, unboundedBy: [] });
  assert.equal(cost('sets.equivalent(R.attr.tags, P.attr.groups)', ['R.attr.tags=10', 'P.attr.groups=5']).max, 7 + 2 * 50);
  assert.deepEqual(cost('sets.intersects(R.attr.tags, ["a"])').unboundedBy, ['R.attr.tags']);
  const root = parseCel('sets.contains(R.attr.tags, ["a"])');
  const r = estimateCost(root, { sizeHints: new Map(), assumedSize: 100 });
  assert.equal(root.kind === 'call' && root.target ? r.paths.get(root.target) : 'no target', undefined);
});

test('cel-go list extension estimates: distinct n², sort n log n × 0.1, slice/reverse/flatten copy, lists.range n, each with a new list', () => {
  const hint = ['R.attr.tags=10'];
  assert.equal(cost('R.attr.tags.distinct()', hint).max, 3 + 1 + 10 + 100);
  assert.equal(cost('R.attr.tags.sort()', hint).max, 3 + 1 + 10 + Math.ceil(10 * 4 * 0.1));
  assert.equal(cost('R.attr.tags.slice(1, 3)', hint).max, 3 + 1 + 10 + 2);
  assert.equal(cost('R.attr.tags.flatten()', hint).max, 3 + 1 + 10 + 10);
  assert.equal(cost('[1, 2].reverse()').max, 10 + 1 + 10 + 2);
  assert.deepEqual(cost('R.attr.tags.flatten(2)', hint).unboundedBy, ['R.attr.tags.@items']);
  assert.equal(cost('R.attr.tags.flatten(2)', [...hint, 'R.attr.tags.@items=4']).max, 3 + 1 + 10 + 10 * 4 * 2);
  assert.equal(cost('lists.range(5)').max, 1 + 10 + 5);
  assert.deepEqual(cost('lists.range(R.attr.n)').unboundedBy, ['lists.range()']);
  // sizes flow on: the sorted list's size bounds the comprehension over it
  assert.equal(cost('R.attr.tags.sort().exists(t, t == "a")', hint).max !== null, true);
});

test('Cerbos hierarchy and IP/CIDR functions: string parsing 0.1 × size (IP text at most 49 characters), comparisons per segment', () => {
  // hierarchy("a.b.c") splits 5 characters (1), ancestorOf compares at most 3 segments
  assert.equal(cost('hierarchy("a.b.c").ancestorOf(hierarchy("a.b"))').max, 1 + 1 + 1 + 1 + 1 + 3);
  assert.deepEqual(cost('hierarchy(R.attr.path).ancestorOf(hierarchy(P.attr.path))').unboundedBy.sort(), ['P.attr.path', 'R.attr.path']);
  assert.equal(cost('hierarchy(R.attr.path).ancestorOf(hierarchy(P.attr.path))', ['R.attr.path=40', 'P.attr.path=20']).max, 3 + 1 + 4 + 3 + 1 + 2 + 1 + 20);
  // an IP address or CIDR cannot be longer than 49 characters: never unbounded
  assert.equal(cost('isIP(R.attr.ip)').max, 3 + 1 + 5);
  assert.equal(cost('cidr("10.0.0.0/8").containsIP(R.attr.ip)').max, 1 + 1 + 3 + 1 + 5);
  assert.equal(cost('R.attr.ip.inIPAddrRange("10.0.0.0/8")').max, 3 + 1 + 5 + 1);
  assert.equal(cost('ip("10.0.0.1").family() == 4').max, 1 + 1 + 1 + 1);
});

test('strings, base64 and regex namespaces, math, time functions', () => {
  assert.deepEqual(cost('strings.quote(R.attr.name)', ['R.attr.name=50']), { min: 4, max: 9, rank: 9, unboundedBy: [] });
  assert.deepEqual(cost('base64.decode(R.attr.b)').unboundedBy, ['R.attr.b']);
  // as matches: (4 + 1) × 0.1 → 1, × ⌈3 × 0.25⌉ = 1
  assert.equal(cost('regex.extract("abcd", "a.+")').max, 1 + 1);
  assert.equal(cost('math.greatest(1, 2, 3)').max, 1 + 3);
  assert.equal(cost('math.least(R.attr.l)', ['R.attr.l=7']).max, 3 + 1 + 7);
  assert.equal(cost('timeSince(timestamp(R.attr.t)) > duration("1h")').max, 3 + 1 + 1 + 1 + 1);
});
