import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeExpression, compareWorstFirst, DEFAULT_ANALYZE_OPTIONS } from '../../src/cel/analyze.js';
import { corpusInputs } from '../../src/cel/corpus.js';
import { buildSection, tallyOf } from '../../src/cel/section.js';
import { EXPRESSION_ROW_COLUMNS, ROW, type ExpressionAnalysis } from '../../src/cel/types.js';

function analyses(n: number, seed: number): ExpressionAnalysis[] {
  return corpusInputs(n, seed).map((input, i) => {
    const r = analyzeExpression({ ...input, origin: { kind: 'text', file: `f${i % 3}.cel` } }, DEFAULT_ANALYZE_OPTIONS);
    if (!r.ok) throw new Error(r.error.message);
    return r.analysis;
  });
}

const base = { errors: [], options: DEFAULT_ANALYZE_OPTIONS, failOverUnits: 40, analysisMs: 1 };

test('a tally keeping the worst 25 lists exactly the 25 worst of the whole list; totals and per-file figures cover all', () => {
  const all = analyses(700, 9);
  const keep = 25;
  const s = buildSection({ ...base, tally: tallyOf(all, base.failOverUnits, keep), corpus: { seed: 9 } });

  const expected = [...all].sort(compareWorstFirst).slice(0, keep);
  assert.deepEqual(s.expressions.map((e) => e.id), expected.map((e) => e.id));
  assert.equal(s.totals.expressions, 700);
  assert.deepEqual(s.corpus, { seed: 9, expressions: 700, listed: keep });
  // the figures are real: three files, some over the fail-over threshold, some unbounded
  assert.equal(s.files.length, 3);
  assert.equal(s.totals.overFailThreshold, all.filter((a) => a.cost.maxCostUnits === null || a.cost.maxCostUnits > 40).length);
  assert.ok(s.totals.overFailThreshold > 0 && s.totals.overFailThreshold < 700);
  assert.equal(s.totals.unbounded, all.filter((a) => a.cost.maxCostUnits === null).length);
  assert.ok(s.totals.unbounded > 0);
  // every file's worst is the worst of that file's analyses
  for (const f of s.files) {
    const own = all.filter((a) => a.origin.file === f.file);
    assert.equal(f.worst, [...own].sort(compareWorstFirst)[0]!.id);
    assert.equal(f.expressions, own.length);
  }
});

test('the index has one compact row per expression, in input order, with its figures', () => {
  const all = analyses(300, 4);
  const s = buildSection({ ...base, tally: tallyOf(all, null) });
  assert.equal(s.index.rows.length, 300);
  assert.deepEqual(s.index.columns, EXPRESSION_ROW_COLUMNS);
  assert.equal(s.index.columns.length, s.index.rows[0]!.length);
  assert.deepEqual(s.index.origins.map((o) => o.file).sort(), ['f0.cel', 'f1.cel', 'f2.cel']);
  all.forEach((a, i) => {
    const row = s.index.rows[i]!;
    assert.equal(`${s.index.origins[row[ROW.origin]]!.file}:${row[ROW.line]}:${row[ROW.column]}`, a.id);
    assert.equal(row[ROW.maxCost], a.cost.maxCostUnits);
    assert.equal(row[ROW.rankCost], a.cost.rankCostUnits);
    assert.equal(row[ROW.minCost], a.cost.minCostUnits);
    assert.equal(row[ROW.depth], a.metrics.astDepth);
    assert.equal(row[ROW.nodes], a.metrics.nodeCount);
    assert.equal(row[ROW.comprehensions], a.metrics.comprehensionCount);
    assert.equal(row[ROW.nesting], a.metrics.maxComprehensionNesting);
    assert.equal(row[ROW.budget], a.budget.status);
    assert.deepEqual(row[ROW.recommendations], a.recommendations.map((r) => r.rule).slice(0, 10));
    assert.deepEqual(row[ROW.unboundedBy], a.cost.unboundedBy.slice(0, 5));
    assert.equal(row[ROW.maxCostWithVariables], null);
    assert.equal(row[ROW.nsPerEval], null);
    // compact: well under 600 bytes of JSON each
    assert.ok(JSON.stringify(row).length < 600, `row ${i} is ${JSON.stringify(row).length} bytes`);
  });
});

test('cost histograms count every expression once, unbounded ones apart', () => {
  const all = analyses(500, 5);
  const s = buildSection({ ...base, tally: tallyOf(all, null) });
  const { maxCost, rankCost } = s.distributions;
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  assert.equal(sum(maxCost.counts) + maxCost.unbounded, 500);
  assert.equal(maxCost.unbounded, s.totals.unbounded);
  assert.equal(sum(rankCost.counts), 500);
  assert.equal(rankCost.unbounded, 0);
  // each bucket holds exactly the values within its edges
  rankCost.bounds.forEach((lo, i) => {
    const hi = rankCost.bounds[i + 1] ?? rankCost.top ?? Infinity;
    assert.equal(rankCost.counts[i], all.filter((a) => a.cost.rankCostUnits >= lo && a.cost.rankCostUnits < hi).length, `bucket [${lo}, ${hi})`);
  });
  assert.ok(rankCost.counts[0]! > 0 && rankCost.counts[rankCost.counts.length - 1]! > 0, 'empty end buckets are trimmed');
});

test('a tally never reorders its caller\'s list and lists worst first', () => {
  const all = analyses(40, 2);
  const before = all.map((a) => a.id);
  const s = buildSection({ ...base, tally: tallyOf(all, null) });
  assert.equal(s.expressions.length, 40);
  assert.deepEqual(all.map((a) => a.id), before);
  for (let i = 1; i < s.expressions.length; i++) assert.ok(compareWorstFirst(s.expressions[i - 1]!, s.expressions[i]!) <= 0, 'worst first');
});
