/** The load room's front door: a short --find-max against an in-process engine, without the CLI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLoadtestFlags } from '../../src/cli/loadtest-flags.js';
import { runLoadtestSession } from '../../src/load/session.js';
import { loadScenario, startInProcessTarget } from '../../src/load/scenario-requests.js';

test('runLoadtestSession: prepares the requests, starts the target, runs the steps and stops the target', async () => {
  const scenario = await loadScenario('rbac-simple', { cwd: process.cwd() });
  const parsed = parseLoadtestFlags({ findMax: true, startRps: '50', stepDuration: '300ms', maxSteps: '2', minSamples: '0', autocannon: false, warmup: '0', metrics: false });
  const events: string[] = [];
  const result = await runLoadtestSession({
    parsed,
    scenario,
    startTarget: async () => {
      events.push('start');
      const t = await startInProcessTarget(scenario);
      return { url: t.url, bundled: true, stop: async () => (events.push('stop'), t.close()) };
    },
  });
  assert.deepEqual(events, ['start', 'stop']);
  assert.equal(result.interrupted, false);
  assert.equal(result.section.config.scenario, 'rbac-simple');
  assert.equal(result.section.config.seed, scenario.seed);
  const steps = result.section.findMax!.steps;
  assert.ok(steps.length >= 1 && steps.length <= 2, `${steps.length} steps`);
  assert.equal(steps[0]!.targetRps, 50);
  assert.ok(result.section.counts.sent > 0);
  assert.equal(result.section.counts.failed, 0, "every decision matched the in-process engine");
  assert.equal(result.section.counts.completed, result.section.counts.succeeded + result.section.counts.failed);
});
