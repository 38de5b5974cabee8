import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STAGE_BUDGET, StageRecorder } from '../../src/bench/stages.js';

test('stage summary: shares of the measured total beside the stage budget shares', () => {
  const rec = new StageRecorder(100);
  for (let i = 0; i < 100; i++) rec.record({ parse: 100, cacheLookup: 50, policyLookup: 150, celEval: 600, serialise: 100 });
  const b = rec.summarise();
  assert.equal(b.sampledChecks, 100);
  assert.equal(b.totalBudgetMs, 50);
  assert.equal(b.totalMeanNs, 1000);
  const byStage = Object.fromEntries(b.stages.map((s) => [s.stage, s]));
  assert.equal(byStage.celEval!.measuredShare, 0.6);
  assert.equal(byStage.celEval!.budgetMs, 15);
  assert.equal(byStage.celEval!.budgetShare, 15 / 25);
  assert.equal(byStage.parse!.budgetUsed, 100 / 2e6);
  assert.deepEqual(b.stages.map((s) => s.budgetMs), STAGE_BUDGET.map((s) => s.budgetMs));
});

test('stage p99 and total p99 come from the per-check samples', () => {
  const rec = new StageRecorder(1000);
  for (let i = 0; i < 1000; i++) rec.record({ parse: i < 990 ? 1 : 1000, cacheLookup: 0, policyLookup: 0, celEval: 10, serialise: 0 });
  rec.record({ parse: 5, cacheLookup: 5, policyLookup: 5, celEval: 5, serialise: 5 }); // over capacity: ignored
  const b = rec.summarise();
  assert.equal(b.sampledChecks, 1000);
  const parse = b.stages.find((s) => s.stage === 'parse')!;
  assert.ok(parse.p99Ns > 1 && parse.p99Ns <= 1000);
  assert.ok(b.totalP99Ns > 11);
});
