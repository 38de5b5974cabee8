import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parsePlanJson, summarizePlan } from '../../src/query/plan.js';
import { analysePlan } from '../../src/query/analyze.js';
import { InputError } from '../../src/util/errors.js';
import { FIXTURE_DIR } from '../query/plans.js';
import { FUZZ_PARAMETERS, FUZZ_RUNS, assertCleanMessage, mutatedJson, withinCaseLimit } from './support.js';

const seeds = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(`${FIXTURE_DIR}${f}`, 'utf8')) as unknown);

/** A plan `depth` levels deep (one child per node), as EXPLAIN (FORMAT JSON, ANALYZE) prints it. */
const deepPlan = (depth: number): unknown => {
  let node: Record<string, unknown> = { 'Node Type': 'Seq Scan', 'Relation Name': 't', 'Actual Total Time': 1, 'Actual Rows': 1, 'Actual Loops': 1, 'Plan Rows': 1 };
  for (let i = 0; i < depth; i++) node = { 'Node Type': 'Nested Loop', 'Actual Total Time': 2, 'Actual Rows': 1, 'Actual Loops': 1, 'Plan Rows': 1, Plans: [node] };
  return [{ Plan: node, 'Execution Time': 3 }];
};

const planJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...seeds).chain((seed) => mutatedJson(seed)) },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }).map(deepPlan) },
);

test(`EXPLAIN JSON: ${FUZZ_RUNS} mutated plans are analysed, or refused with one clean line naming the file`, async () => {
  const outcomes = { analysed: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(planJson, async (json) => {
      await withinCaseLimit('analysing a plan', () => {
        let plan;
        try {
          plan = parsePlanJson(json, '/p/plan.json');
        } catch (err) {
          assert.ok(err instanceof InputError, String(err));
          assert.equal(err.location.file, '/p/plan.json');
          assertCleanMessage(err.describe());
          outcomes.refused++;
          return;
        }
        const analysis = analysePlan('plan', '/p/plan.json', null, plan);
        assert.equal(analysis.status, 'ok');
        for (const finding of analysis.findings) assertCleanMessage(finding.message);
        assert.equal(summarizePlan(plan).length, plan.nodes.length);
        outcomes.analysed++;
      });
    }),
    FUZZ_PARAMETERS,
  );
  assert.ok(outcomes.analysed > FUZZ_RUNS / 10 && outcomes.refused > FUZZ_RUNS / 20, JSON.stringify(outcomes));
});
