/**
 * Policy test suites, the front door of `authz-perf test` and of the check `bench`, `serve` and
 * `loadtest` run before they measure:
 *
 *   resolveTestTarget(dir, cwd, testsDir?)  a scenario folder (its policies and tests), a bundled
 *                                           scenario name, or a policy folder with its suites inside
 *   runPolicyTests(target)                  loads the policies (strict, and lenient when a test asks)
 *                                           and the suites, runs them → TestRunResults
 *   preflightPolicyTests(target)            the same, summed up in one line and a warning on failure
 *   renderTree / toJsonResults / toJunit    the outputs of `cerbos compile`
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadPolicySet, type PolicySet } from '../engine/index.js';
import { listScenarios, loadScenario } from '../scenario/index.js';
import { describeUserError, isUserError, UsageError } from '../util/errors.js';
import { loadTestSuites, type TestSuite } from './suite.js';
import { runTestSuites, type TestRunResults } from './run.js';

export { loadTestSuites, parseTestSuite, findSuiteFiles } from './suite.js';
export type { TestSuite, SuiteTest, ExpectedOutput } from './suite.js';
export { runTestSuites, canonicalJson, sameJson } from './run.js';
export type { TestRunResults, TestFailure, SuiteOutcome, TestOutcome, ActionOutcome, TestCounts, OutputMismatch } from './run.js';
export { renderTree, toJsonResults, toJunit } from './render.js';

export interface TestTarget {
  policyDir: string;
  /** where the suites are found (recursively) */
  testsDir: string;
  /** file names in the output are relative to this */
  baseDir: string;
  lenientScopeSearch: boolean;
}

/** What `authz-perf test DIR` runs: DIR as a scenario folder or bundled scenario name, else a policy folder. */
export async function resolveTestTarget(dir: string, cwd: string, testsDir?: string): Promise<TestTarget> {
  const abs = path.resolve(cwd, dir);
  const tests = testsDir === undefined ? undefined : path.resolve(cwd, testsDir);
  if (existsSync(path.join(abs, 'scenario.yaml')) || (!existsSync(abs) && (await listScenarios()).some((s) => s.name === dir))) {
    const scenario = await loadScenario(existsSync(abs) ? abs : dir, { cwd });
    const scenarioDir = existsSync(abs) ? abs : path.dirname(scenario.policyDir);
    return { policyDir: scenario.policyDir, testsDir: tests ?? scenario.testsDir ?? scenario.policyDir, baseDir: scenarioDir, lenientScopeSearch: scenario.lenientScopeSearch === true };
  }
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UsageError(`${dir}: no such policy folder, scenario folder or bundled scenario`);
  if (tests !== undefined && (!existsSync(tests) || !statSync(tests).isDirectory())) throw new UsageError(`--tests: ${testsDir}: no such folder`);
  return { policyDir: abs, testsDir: tests ?? abs, baseDir: abs, lenientScopeSearch: false };
}

/** Loads the suites first (an invalid suite fails before policies compile), then the policies, and runs them. */
export async function runPolicyTests(target: TestTarget, suites?: TestSuite[]): Promise<TestRunResults> {
  const loaded = suites ?? (await loadTestSuites(target.testsDir));
  const strict = await loadPolicySet(target.policyDir, { lenientScopeSearch: target.lenientScopeSearch });
  let lenient: PolicySet | null = target.lenientScopeSearch ? strict : null;
  if (lenient === null && loaded.some((s) => s.tests.some((t) => t.lenientScopeSearch && !t.skip))) {
    lenient = await loadPolicySet(target.policyDir, { lenientScopeSearch: true });
  }
  return runTestSuites((wantLenient) => (wantLenient && lenient !== null ? lenient : strict), loaded);
}

export interface PreflightOutcome {
  /** one line for stderr */
  line: string;
  /** set when a suite failed or could not be read: goes at the top of the report */
  warning?: string;
}

/**
 * Runs the suites of a policy folder (or a scenario's tests folder) before a benchmark; null when
 * there are none. A failing or invalid suite is a warning, not an error: the figures are still
 * measured, but a reader should know the policies do not do what their tests say.
 */
export async function preflightPolicyTests(policyDir: string, testsDir: string | null, lenientScopeSearch = false): Promise<PreflightOutcome | null> {
  const dir = testsDir ?? policyDir;
  let suites: TestSuite[];
  try {
    suites = existsSync(dir) ? await loadTestSuites(dir) : [];
  } catch (err) {
    if (!isUserError(err)) throw err;
    const warning = `policy test suites could not be read: ${describeUserError(err)}`;
    return { line: `policy tests: ${warning}`, warning };
  }
  if (suites.length === 0) return null;
  const results = await runPolicyTests({ policyDir, testsDir: dir, baseDir: dir, lenientScopeSearch }, suites);
  const { counts } = results;
  const summary = `${suites.length} suite${suites.length === 1 ? '' : 's'}, ${counts.total} tests: ${counts.passed} OK, ${counts.failed} failed, ${counts.skipped} skipped`;
  if (counts.failed === 0) return { line: `policy tests: ${summary}` };
  const first = results.failures[0]!;
  const warning = `policy tests failed (${summary}); first: suite ${first.suite}, test ${first.test}, principal ${first.principal}, resource ${first.resource}, action ${first.action} (run authz-perf test for all)`;
  return { line: `policy tests: ${warning}`, warning };
}
