/**
 * Every bundled scenario is valid Cerbos: `cerbos compile` accepts its policies and runs its test
 * suites with every test passing. Skipped (one line) without a runnable Cerbos binary.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { listScenarios, loadScenario } from '../../src/scenario/index.js';
import { findCerbos } from '../../src/targets/cerbos.js';
import { compileWithCerbos } from '../../src/targets/cerbos-compile.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;
const scenarios = await listScenarios();

describe('cerbos compile on the bundled scenarios', { skip }, () => {
  for (const summary of scenarios) {
    test(`${summary.name}: policies compile and every test suite passes`, async () => {
      const scenario = await loadScenario(summary.name);
      const result = await compileWithCerbos({ policyDir: scenario.policyDir, testsDir: scenario.testsDir });
      assert.deepEqual(result.compileErrors, []);
      assert.deepEqual(result.testFailures, []);
      if (scenario.testsDir !== null) assert.ok(result.testsCount > 0, `${summary.name}: cerbos ran ${result.testsCount} tests from ${scenario.testsDir}`);
      assert.equal(result.failedTests, 0);
      assert.equal(result.ok, true);
    });
  }

  test('a failing test and an invalid expression are reported, not passed', async () => {
    const scenario = await loadScenario('rbac-simple');
    const dir = await mkdtemp(join(tmpdir(), 'authz-perf-compile-test-'));
    try {
      await cp(scenario.policyDir, join(dir, 'policies'), { recursive: true });
      await cp(scenario.testsDir!, join(dir, 'tests'), { recursive: true });
      const suite = join(dir, 'tests', 'rbac_test.yaml');
      const text = await readFile(suite, 'utf8');
      await writeFile(suite, text.replace('EFFECT_ALLOW', 'EFFECT_DENY'));
      const failing = await compileWithCerbos({ policyDir: join(dir, 'policies'), testsDir: join(dir, 'tests') });
      assert.equal(failing.ok, false);
      assert.equal(failing.failedTests, 1);
      assert.equal(failing.testFailures.length, 1);
      assert.match(failing.testFailures[0]!, /^RbacSimpleSuite \/ .+ \/ .+ \/ .+ \/ .+: expected EFFECT_DENY, got EFFECT_ALLOW$/);

      await writeFile(
        join(dir, 'policies', 'broken.yaml'),
        'apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  version: default\n  resource: broken\n  rules:\n    - actions: [a]\n      effect: EFFECT_ALLOW\n      roles: [r]\n      condition:\n        match:\n          expr: R.attr.x ==\n',
      );
      const broken = await compileWithCerbos({ policyDir: join(dir, 'policies'), testsDir: join(dir, 'tests') });
      assert.equal(broken.ok, false);
      assert.equal(broken.compileErrors.length, 1);
      assert.match(broken.compileErrors[0]!, /^broken\.yaml:11:\d+: Invalid expression/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
