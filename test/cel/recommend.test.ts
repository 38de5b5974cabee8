import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeExpression, DEFAULT_ANALYZE_OPTIONS, type AnalyzeOptions } from '../../src/cel/analyze.js';
import { expressionFromFlag } from '../../src/cel/sources.js';
import fc from 'fast-check';
import { containsWord, plainRegex } from '../../src/cel/recommend.js';
import type { Recommendation } from '../../src/cel/types.js';

function recs(expr: string, options: Partial<AnalyzeOptions> = {}): Recommendation[] {
  const r = analyzeExpression(expressionFromFlag(expr), { ...DEFAULT_ANALYZE_OPTIONS, ...options });
  if (!r.ok) throw new Error(r.error.message);
  return r.analysis.recommendations;
}

function only(expr: string, rule: Recommendation['rule'], options: Partial<AnalyzeOptions> = {}): Recommendation[] {
  return recs(expr, options).filter((r) => r.rule === rule);
}

test('cheaper-operand-first: the expensive operand first is flagged with a reordered rewrite and the span of the chain', () => {
  const expr = 'x == 1 && R.attr.tags.exists(t, t.startsWith("a")) && P.id == "u"';
  const [r, ...rest] = only(expr, 'cheaper-operand-first', { sizeHints: new Map([['R.attr.tags', 50]]) });
  assert.ok(r);
  assert.equal(rest.length, 0);
  assert.equal(r.text, expr);
  assert.deepEqual(r.span, { line: 1, column: 1, endLine: 1, endColumn: expr.length + 1 });
  assert.equal(r.suggestion, 'x == 1 && P.id == "u" && R.attr.tags.exists(t, t.startsWith("a"))');
  assert.equal(r.severity, 'warning');
  // already cheap-first: nothing to say
  assert.deepEqual(only('x == 1 && R.attr.tags.exists(t, true)', 'cheaper-operand-first'), []);
});

test('cheaper-operand-first keeps parentheses where precedence needs them', () => {
  const [r] = only('R.attr.tags.exists(t, true) && (a || b)', 'cheaper-operand-first');
  assert.equal(r?.suggestion, '(a || b) && R.attr.tags.exists(t, true)');
});

test('nested-comprehension points at the outer comprehension and says when the inner range can be hoisted', () => {
  const expr = 'a && R.attr.groups.exists(g, P.attr.teams.exists(t, t == g))';
  const [r] = only(expr, 'nested-comprehension');
  assert.ok(r);
  assert.equal(r.text, 'R.attr.groups.exists(g, P.attr.teams.exists(t, t == g))');
  assert.equal(r.span.column, 6);
  assert.match(r.message, /O\(n²\)/);
  assert.match(r.suggestion, /does not depend on `g`/);
  const dependent = only('R.attr.groups.exists(g, g.members.exists(m, m == P.id))', 'nested-comprehension');
  assert.doesNotMatch(dependent[0]!.suggestion, /does not depend/);
  const triple = only('a.exists(x, b.exists(y, c.exists(z, z == y)))', 'nested-comprehension');
  assert.equal(triple[0]?.severity, 'error');
  assert.match(triple[0]!.message, /O\(n³\)/);
});

test('repeated-subexpression: reported once, at the first occurrence, with every location', () => {
  const expr = 'size(R.attr.reviewers) > 0 && size(R.attr.reviewers) < 10';
  const [r, ...rest] = only(expr, 'repeated-subexpression');
  assert.equal(rest.length, 0);
  assert.equal(r?.text, 'size(R.attr.reviewers)');
  assert.equal(r?.span.column, 1);
  assert.match(r!.message, /2 times/);
  assert.match(r!.message, /1:1, 1:31/);
  assert.match(r!.suggestion, /cel\.bind/);
  // plain attribute reads are not worth a binding
  assert.deepEqual(only('R.attr.a == 1 || R.attr.a == 2', 'repeated-subexpression'), []);
  // the same text over different iteration variables' scopes is not a repeat
  assert.deepEqual(only('l.exists(x, x.y.z + 1 > 2) && m.exists(x, x.y.z + 1 > 2)', 'repeated-subexpression'), []);
  // ... but within one scope it is
  assert.equal(only('l.exists(x, x.a.b + 1 > 2 || x.a.b + 1 < 0)', 'repeated-subexpression')[0]?.text, 'x.a.b + 1');
});

test('regex rules: non-constant patterns, and constant patterns that are string functions', () => {
  const [dyn] = only('R.attr.name.matches(P.attr.pattern)', 'regex-non-constant');
  assert.equal(dyn?.severity, 'warning');
  assert.equal(only('R.attr.name.matches("^adm")', 'regex-as-string-function')[0]?.suggestion, 'R.attr.name.startsWith("adm")');
  assert.equal(only('R.attr.name.matches("-prod$")', 'regex-as-string-function')[0]?.suggestion, 'R.attr.name.endsWith("-prod")');
  assert.equal(only('R.attr.name.matches("^exact$")', 'regex-as-string-function')[0]?.suggestion, 'R.attr.name == "exact"');
  assert.equal(only('R.attr.name.matches("a\\\\.b")', 'regex-as-string-function')[0]?.suggestion, 'R.attr.name.contains("a.b")');
  assert.deepEqual(only('R.attr.name.matches("^[a-z]+$")', 'regex-as-string-function'), []);
  assert.equal(only('p.matches("^(write|admin)$")', 'regex-as-string-function')[0]?.suggestion, 'p in ["write", "admin"]');
  assert.equal(only('p.matches("^(?:a\\\\.b|c)$")', 'regex-as-string-function')[0]?.suggestion, 'p in ["a.b", "c"]');
  assert.deepEqual(only('p.matches("^(a|b+)$")', 'regex-as-string-function'), []);
  assert.deepEqual(only('p.matches("^(a|(b|c))$")', 'regex-as-string-function'), []);
  assert.equal(plainRegex('^a\\d'), null);
});

test('in-large-list: long list literals, with a map-literal rewrite', () => {
  const list = Array.from({ length: 20 }, (_, i) => `"v${i}"`).join(', ');
  const expr = `P.attr.region in [${list}]`;
  const [r] = only(expr, 'in-large-list');
  assert.equal(r?.text, expr);
  assert.match(r!.suggestion, /P\.attr\.region in \{"v0": true, "v1": true, \.\.\.\}/);
  assert.deepEqual(only('P.attr.region in ["a", "b"]', 'in-large-list'), []);
});

test('constant-fold: maximal variable-free operations, and boolean literals in && / ||', () => {
  const [r] = only('R.attr.a > 1 + 2 * 3', 'constant-fold');
  assert.equal(r?.text, '1 + 2 * 3');
  assert.equal(r?.span.column, 12);
  assert.equal(only('[1, 2].exists(x, x == 2) && a', 'constant-fold')[0]?.text, '[1, 2].exists(x, x == 2)');
  const [lit] = only('a && true', 'constant-fold');
  assert.match(lit!.message, /redundant/);
  assert.match(only('a && false', 'constant-fold')[0]!.message, /constant/);
  // literals, timestamp/duration literals and now() are not folding candidates
  assert.deepEqual(only('R.attr.t < timestamp("2026-01-01T00:00:00Z") && now() > R.attr.t && R.attr.l == [1, 2]', 'constant-fold'), []);
});

test('unguarded-optional-select: deep attribute reads need a has() guard on the optional level', () => {
  const [r] = only('R.attr.owner.team.id == P.id', 'unguarded-optional-select');
  assert.equal(r?.text, 'R.attr.owner.team.id');
  assert.equal(r?.suggestion, 'has(R.attr.owner) && ...');
  assert.deepEqual(only('has(R.attr.owner) && R.attr.owner.team.id == P.id', 'unguarded-optional-select'), []);
  assert.deepEqual(only('R.attr.owner == P.id', 'unguarded-optional-select'), []);
});

test('exceeds-budget: unbounded and over-budget expressions get an error with the fix', () => {
  const [u] = only('R.attr.tags.exists(t, t == "x")', 'exceeds-budget');
  assert.equal(u?.severity, 'error');
  assert.match(u!.suggestion, /--size-hint R\.attr\.tags=N/);
  const over = analyzeExpression(expressionFromFlag('R.attr.g.exists(x, R.attr.h.exists(y, y == x))'), {
    ...DEFAULT_ANALYZE_OPTIONS,
    sizeHints: new Map([['R.attr.g', 10], ['R.attr.h', 20]]),
    budgetUnits: 1000,
  });
  assert.ok(over.ok);
  if (!over.ok) return;
  assert.deepEqual(over.analysis.budget, { status: 'exceeds', factor: 1.484 });
  assert.match(over.analysis.recommendations[0]!.message, /exceeds budget 1000 by factor 1\.5/);
});

test('containsWord agrees with a \\b regex on random texts, spans and identifiers', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z_][a-z0-9_]{0,3}$/),
      fc.array(fc.constantFrom('x', 'xy', '_', 'a1', ' ', '.', '(', ')', ',', 'é', '"'), { maxLength: 20 }).map((parts) => parts.join('')),
      fc.nat(),
      fc.nat(),
      (word, text, p, q) => {
        const start = text.length ? p % (text.length + 1) : 0;
        const end = start + (text.length - start ? q % (text.length - start + 1) : 0);
        const expected = new RegExp(`\\b${word}\\b`).test(text.slice(start, end));
        assert.equal(containsWord(text, start, end, word), expected, `${JSON.stringify(text)} [${start}, ${end}) ${word}`);
      },
    ),
    { numRuns: 2000 },
  );
});
