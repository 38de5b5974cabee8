/**
 * Our engine and the real Cerbos PDP decide alike on every bundled scenario: 2,000 requests of
 * each scenario's seeded stream, every action compared. Skipped (one line) without a runnable
 * Cerbos binary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compilePolicySources, createEngine, loadPolicySet, readPolicyFiles, type Engine } from '../../src/engine/index.js';
import { createRequestStream, listScenarios, loadScenario, takeRequests, type Scenario } from '../../src/scenario/index.js';
import { findCerbos, startCerbos, type RunningCerbos } from '../../src/targets/cerbos.js';
import { compareWithCerbos, describeDifference } from '../../src/targets/differential.js';
import { cerbosOptionsFor } from '../../src/targets/scenario-cerbos.js';

const REQUESTS = 2000;
const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;
const scenarios = await listScenarios();

describe('differential: our engine and the Cerbos PDP agree on every bundled scenario', { skip }, () => {
  test('there are bundled scenarios to compare', () => {
    assert.ok(scenarios.length >= 3, `bundled scenarios: ${scenarios.map((s) => s.name).join(', ')}`);
  });

  for (const summary of scenarios) {
    describe(summary.name, () => {
      let scenario: Scenario;
      let engine: Engine;
      let cerbos: RunningCerbos | undefined;
      before(async () => {
        scenario = await loadScenario(summary.name);
        engine = createEngine(await loadPolicySet(scenario.policyDir), { cache: false, globals: scenario.globals });
        cerbos = await startCerbos(cerbosOptionsFor(scenario));
      });
      after(async () => {
        await cerbos?.stop();
      });

      test(`${REQUESTS} requests of the seeded stream: the same effect for every action`, async () => {
        const requests = takeRequests(createRequestStream(scenario), REQUESTS);
        const result = await compareWithCerbos({ requests, engine, cerbosUrl: cerbos!.httpUrl, concurrency: 8, maxDifferences: 10 });
        assert.equal(result.requests, REQUESTS);
        assert.ok(result.actions >= REQUESTS, `${result.actions} actions compared`);
        assert.equal(
          result.differingActions,
          0,
          `${result.differingActions} of ${result.actions} actions differ (Cerbos ${cerbos!.version}); first ones:\n` +
            result.differences.map((d) => `  ${describeDifference(d)}`).join('\n'),
        );
        assert.equal(result.cerbosErrors, 0);
      });
    });
  }
});

describe('differential: a changed rule shows up as differences', { skip }, () => {
  let cerbos: RunningCerbos | undefined;
  after(async () => {
    await cerbos?.stop();
  });

  test('our engine without the "editors keep history" DENY: every editor delete differs, named in full', async () => {
    const scenario = await loadScenario('rbac-simple');
    cerbos = await startCerbos(cerbosOptionsFor(scenario));
    const files = await readPolicyFiles(scenario.policyDir);
    const rule = /(- name: editors-keep-history\n\s+actions: \[delete\]\n\s+effect: EFFECT_DENY\n\s+roles: )\[editor\]/;
    const changed = files.map((f) => ({ ...f, text: f.text.replace(rule, '$1[nobody]') }));
    assert.ok(changed.some((f, i) => f.text !== files[i]!.text), 'the rule to change is in document.yaml');
    const engine = createEngine(compilePolicySources(changed, scenario.policyDir), { cache: false });
    const requests = takeRequests(createRequestStream(scenario), 500);

    const result = await compareWithCerbos({ requests, engine, cerbosUrl: cerbos.httpUrl, concurrency: 4, maxDifferences: 5 });
    const expected = requests.flatMap((r, i) =>
      r.principal.roles.includes('editor') && !r.principal.roles.includes('suspended') && !r.principal.roles.includes('admin')
        ? r.resources.filter((e) => e.resource.kind === 'document' && e.actions.includes('delete')).map(() => i)
        : [],
    );
    assert.ok(expected.length > 0, 'the stream holds editor deletes');
    assert.equal(result.differingActions, expected.length);
    assert.deepEqual(
      result.differences.map((d) => d.requestIndex),
      expected.slice(0, 5),
      'the first differences, in request order',
    );
    for (const d of result.differences) {
      assert.equal(d.action, 'delete');
      assert.equal(d.resource.kind, 'document');
      assert.equal(d.reference, 'EFFECT_ALLOW');
      assert.equal(d.cerbos, 'EFFECT_DENY');
      assert.match(describeDifference(d), new RegExp(`principal ${d.principal.id} roles \\[.*editor.*\\] resource document/${d.resource.id} action delete: reference EFFECT_ALLOW, cerbos EFFECT_DENY`));
    }
    const deleteRow = result.perAction.find((a) => a.kind === 'document' && a.action === 'delete');
    assert.equal(deleteRow?.differing, expected.length);
    assert.equal(result.perAction.reduce((n, a) => n + a.differing, 0), expected.length);
  });
});
