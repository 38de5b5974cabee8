import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeExpression, DEFAULT_ANALYZE_OPTIONS, type AnalyzeOptions } from '../../src/cel/analyze.js';
import { expressionFromFlag, expressionsFromText } from '../../src/cel/sources.js';
import { generateCorpus } from '../../src/cel/corpus.js';
import { parseCel, CelSyntaxError, type CelNode } from '../../src/cel/ast.js';

const OPTIONS: AnalyzeOptions = { ...DEFAULT_ANALYZE_OPTIONS, sizeHints: new Map([['R.attr.tags', 10]]) };

/** Analyses and checks the invariants every result must satisfy; never lets an exception escape. */
function check(text: string): void {
  const r = analyzeExpression(expressionFromFlag(text), OPTIONS);
  if (!r.ok) {
    assert.ok(r.error.message.length > 0);
    assert.ok(r.error.span.line >= 1 && r.error.span.column >= 1);
    return;
  }
  const a = r.analysis;
  assert.ok(a.cost.minCostUnits >= 0);
  assert.ok(a.cost.maxCostUnits === null || a.cost.maxCostUnits >= a.cost.minCostUnits, text);
  assert.ok(Number.isFinite(a.cost.rankCostUnits));
  assert.ok(a.metrics.nodeCount >= 1 && a.metrics.astDepth >= 1);
  for (const rec of a.recommendations) {
    assert.ok(text.includes(rec.text), `${rec.rule} text not in source`);
    assert.ok(rec.span.column >= 1 && rec.span.endColumn >= rec.span.column || rec.span.endLine > rec.span.line);
  }
}

const ident = fc.constantFrom('a', 'b', 'x', 'R', 'P', 'request', 'V', 'C');
const field = fc.constantFrom('attr', 'id', 'tags', 'owner', 'name', 'groups', 'members');
const literal = fc.oneof(
  fc.integer({ min: -5, max: 1000 }).map(String),
  fc.constantFrom('true', 'false', 'null', '1.5', '2u', 'b"xy"', '"str"', "'q'", '""', '"a(b"', 'r"\\d"'),
);

const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal,
    ident,
    fc.tuple(tie('e'), field).map(([e, f]) => `${e}.${f}`),
    fc.tuple(tie('e'), tie('e')).map(([l, r]) => `${l}[${r}]`),
    fc.tuple(tie('e'), fc.constantFrom('&&', '||', '==', '!=', '<', '>=', 'in', '+', '-', '*', '/', '%'), tie('e')).map(([l, o, r]) => `${l} ${o} ${r}`),
    tie('e').map((e) => `(${e})`),
    tie('e').map((e) => `!${e}`),
    tie('e').map((e) => `-${e}`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, t, f]) => `${c} ? ${t} : ${f}`),
    fc.array(tie('e'), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`),
    fc.array(fc.tuple(tie('e'), tie('e')), { maxLength: 3 }).map((xs) => `{${xs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    fc.tuple(tie('e'), fc.constantFrom('exists', 'all', 'exists_one', 'filter', 'map'), tie('e')).map(([r, m, p]) => `${r}.${m}(it, ${p})`),
    fc.tuple(tie('e'), fc.constantFrom('startsWith', 'endsWith', 'contains', 'matches', 'size', 'lowerAscii'), tie('e')).map(([t, f, a]) => `${t}.${f}(${a})`),
    tie('e').map((e) => `has(${e}.f)`),
    fc.tuple(tie('e'), tie('e')).map(([i, b]) => `cel.bind(v, ${i}, ${b})`),
    fc.tuple(fc.constantFrom('size', 'int', 'string', 'timestamp', 'duration', 'now', 'dyn'), tie('e')).map(([f, a]) => `${f}(${a})`),
  ),
})).e;

test('random grammar expressions: analysis never throws, invariants hold', () => {
  fc.assert(fc.property(expr, (e) => check(e)), { numRuns: 1500, seed: 20261123 });
});

test('every node span of a random valid expression is balanced and parses on its own', () => {
  fc.assert(
    fc.property(expr, (src) => {
      let root: CelNode;
      try {
        root = parseCel(src);
      } catch (e) {
        assert.ok(e instanceof CelSyntaxError);
        return;
      }
      const visit = (n: CelNode): void => {
        const t = src.slice(n.start, n.end);
        assert.ok(n.start >= 0 && n.end <= src.length && n.start < n.end, `bad range for ${n.kind}`);
        parseCel(t);
        for (const c of n.children) visit(c);
      };
      visit(root);
    }),
    { numRuns: 500, seed: 7 },
  );
});

test('mutated realistic expressions (inserted, deleted, replaced characters): only per-expression errors', () => {
  const corpus = generateCorpus(200, 3);
  const mutation = fc.tuple(
    fc.integer({ min: 0, max: corpus.length - 1 }),
    fc.array(
      fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), fc.constantFrom('(', ')', '"', '\\', '.', ',', '[', ']', '{', '&', '|', '!', '?', ':', ' ', '\n', 'x', '1', "'", '`', '#', '\u00e9')),
      { minLength: 1, maxLength: 4 },
    ),
  );
  fc.assert(
    fc.property(mutation, ([i, edits]) => {
      let s = corpus[i]!;
      for (const [kind, at, ch] of edits) {
        const p = s.length ? at % s.length : 0;
        s = kind === 'insert' ? s.slice(0, p) + ch + s.slice(p) : kind === 'delete' ? s.slice(0, p) + s.slice(p + 1) : s.slice(0, p) + ch + s.slice(p + 1);
      }
      check(s);
    }),
    { numRuns: 2500, seed: 99 },
  );
});

test('arbitrary strings and text files: never a crash', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => check(s)), { numRuns: 1000, seed: 5 });
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      for (const input of expressionsFromText(s, 'f.cel')) {
        const r = analyzeExpression(input, OPTIONS);
        const pos = r.ok ? r.analysis.span : r.error.span;
        assert.ok(pos.line >= 1 && pos.column >= 1);
      }
    }),
    { numRuns: 500, seed: 6 },
  );
});
