import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeExpression, DEFAULT_ANALYZE_OPTIONS } from '../../src/cel/analyze.js';
import { corpusInputs } from '../../src/cel/corpus.js';
import { buildSection, SectionTally } from '../../src/cel/section.js';
import type { ExpressionAnalysis } from '../../src/cel/types.js';

function analyses(n: number, seed: number): ExpressionAnalysis[] {
  return corpusInputs(n, seed).map((input, i) => {
    const r = analyzeExpression({ ...input, origin: { kind: 'text', file: `f${i % 3}.cel` } }, DEFAULT_ANALYZE_OPTIONS);
    if (!r.ok) throw new Error(r.error.message);
    return r.analysis;
  });
}

const base = { errors: [], options: DEFAULT_ANALYZE_OPTIONS, failOverUnits: 40, analysisMs: 1 };

test('a tally that keeps only the worst gives the section of the whole list: same listed worst, totals and per-file figures', () => {
  const all = analyses(700, 9);
  const keep = 25;
  const whole = buildSection({ ...base, expressions: all, corpus: { seed: 9, keep } });

  const tally = new SectionTally(base.failOverUnits, keep);
  for (const a of all) tally.add(a);
  const streamed = buildSection({ ...base, expressions: tally.worst(), tally, corpus: { seed: 9, keep } });

  assert.deepEqual(streamed, whole);
  assert.equal(streamed.expressions.length, keep);
  assert.equal(streamed.totals.expressions, 700);
  assert.deepEqual(streamed.corpus, { seed: 9, expressions: 700, listed: keep });
  // the figures are real: three files, some over the fail-over threshold, some unbounded
  assert.equal(streamed.files.length, 3);
  assert.ok(streamed.totals.overFailThreshold > 0 && streamed.totals.overFailThreshold < 700);
  assert.ok(streamed.totals.unbounded > 0);
  // every file's worst is the worst of that file's analyses
  for (const f of streamed.files) {
    const own = all.filter((a) => a.origin.file === f.file);
    const maxRank = Math.max(...own.filter((a) => a.cost.maxCostUnits === null).map((a) => a.cost.rankCostUnits));
    const worst = own.find((a) => a.id === f.worst)!;
    assert.equal(worst.cost.maxCostUnits, null);
    assert.equal(worst.cost.rankCostUnits, maxRank);
  }
});

test('a tally keeps everything by default and never reorders its caller\'s list', () => {
  const all = analyses(40, 2);
  const before = all.map((a) => a.id);
  const s = buildSection({ ...base, expressions: all });
  assert.equal(s.expressions.length, 40);
  assert.deepEqual(all.map((a) => a.id), before);
  for (let i = 1; i < s.expressions.length; i++) {
    const a = s.expressions[i - 1]!.cost;
    const b = s.expressions[i]!.cost;
    assert.ok((a.maxCostUnits ?? Infinity) >= (b.maxCostUnits ?? Infinity), 'worst first');
  }
});
