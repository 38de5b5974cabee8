/**
 * Runs test suites against compiled policies: each test on a fresh, uncached engine (its own clock
 * and globals), every principal × resource × action of its input checked against the expected
 * effect (DENY when unlisted) and the expected outputs (each must be among the action's outputs
 * with an equal value; other outputs are allowed, as in Cerbos).
 */
import { createEngine } from '../engine/index.js';
import type { PolicySet } from '../engine/index.js';
import type { Effect, RuleOutput } from '../engine/index.js';
import type { ExpectedOutput, SuiteTest, TestSuite } from './suite.js';

/** An expected output that is missing or has another value. */
export interface OutputMismatch {
  src: string;
  expected: unknown;
  /** absent when the output is missing */
  actual?: unknown;
}

export interface ActionOutcome {
  action: string;
  expected: Effect;
  actual: Effect;
  passed: boolean;
  /** the action's rule outputs (when it had any) */
  outputs?: Array<{ src: string; val: unknown }>;
  outputMismatches?: OutputMismatch[];
}

export interface ResourceOutcome {
  name: string;
  actions: ActionOutcome[];
}

export interface PrincipalOutcome {
  name: string;
  resources: ResourceOutcome[];
}

export interface TestOutcome {
  name: string;
  skipped: boolean;
  principals: PrincipalOutcome[];
}

/** Counts of action checks (the unit `cerbos compile` counts as a test). */
export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface SuiteOutcome {
  name: string;
  description: string;
  file: string;
  tests: TestOutcome[];
  counts: TestCounts;
}

export interface TestFailure {
  suite: string;
  test: string;
  file: string;
  principal: string;
  resource: string;
  action: string;
  expected: Effect;
  actual: Effect;
  outputMismatches?: OutputMismatch[];
}

export interface TestRunResults {
  suites: SuiteOutcome[];
  counts: TestCounts;
  /** tests (entries of `tests:`) run and skipped */
  tests: number;
  skippedTests: number;
  failures: TestFailure[];
}

/** The policy set a test runs against: strict or lenient scope search. */
export type PolicySetFor = (lenientScopeSearch: boolean) => PolicySet;

export function runTestSuites(policySets: PolicySet | PolicySetFor, suites: TestSuite[]): TestRunResults {
  const setFor: PolicySetFor = typeof policySets === 'function' ? policySets : () => policySets;
  const results: TestRunResults = { suites: [], counts: zero(), tests: 0, skippedTests: 0, failures: [] };
  for (const suite of suites) {
    const outcome: SuiteOutcome = { name: suite.name, description: suite.description, file: suite.file, tests: [], counts: zero() };
    for (const test of suite.tests) {
      if (test.skip) results.skippedTests++;
      else results.tests++;
      outcome.tests.push(runTest(setFor, suite, test, outcome.counts, results.failures));
    }
    add(results.counts, outcome.counts);
    results.suites.push(outcome);
  }
  return results;
}

function runTest(setFor: PolicySetFor, suite: TestSuite, test: SuiteTest, counts: TestCounts, failures: TestFailure[]): TestOutcome {
  const outcome: TestOutcome = { name: test.name, skipped: test.skip, principals: [] };
  if (test.skip) {
    const n = test.principals.length * test.resources.length * test.actions.length;
    counts.total += n;
    counts.skipped += n;
    return outcome;
  }
  const pinned = test.now;
  const engine = createEngine(setFor(test.lenientScopeSearch), {
    cache: false,
    ...(pinned === undefined ? {} : { now: () => pinned }),
    ...(test.globals === undefined ? {} : { globals: test.globals }),
  });
  const claims = test.auxData === undefined ? undefined : suite.auxData.get(test.auxData);
  const resources = test.resources.map((r) => ({ resource: suite.resources.get(r)!, actions: test.actions }));
  for (const pName of test.principals) {
    const principalOutcome: PrincipalOutcome = { name: pName, resources: [] };
    const response = engine.check({
      requestId: `${suite.name}/${test.name}`,
      principal: suite.principals.get(pName)!,
      resources,
      ...(claims === undefined ? {} : { auxData: { jwtClaims: claims } }),
    });
    response.results.forEach((result, k) => {
      const rName = test.resources[k]!;
      const key = `${pName}\u0000${rName}`;
      const expected = test.expected.get(key) ?? {};
      const expectedOutputs = test.expectedOutputs.get(key) ?? {};
      const resourceOutcome: ResourceOutcome = { name: rName, actions: [] };
      for (const action of test.actions) {
        const want: Effect = expected[action] ?? 'EFFECT_DENY';
        const got: Effect = result.actions[action] ?? 'EFFECT_DENY';
        const actual = actionOutputs(result.outputs, action);
        const mismatches = compareOutputs(expectedOutputs[action] ?? [], actual);
        const passed = want === got && mismatches.length === 0;
        const a: ActionOutcome = { action, expected: want, actual: got, passed };
        if (actual.length > 0) a.outputs = actual;
        if (mismatches.length > 0) a.outputMismatches = mismatches;
        resourceOutcome.actions.push(a);
        counts.total++;
        if (passed) counts.passed++;
        else {
          counts.failed++;
          const failure: TestFailure = { suite: suite.name, test: test.name, file: suite.file, principal: pName, resource: rName, action, expected: want, actual: got };
          if (mismatches.length > 0) failure.outputMismatches = mismatches;
          failures.push(failure);
        }
      }
      principalOutcome.resources.push(resourceOutcome);
    });
    outcome.principals.push(principalOutcome);
  }
  return outcome;
}

function actionOutputs(outputs: RuleOutput[] | undefined, action: string): Array<{ src: string; val: unknown }> {
  return (outputs ?? []).filter((o) => o.action === action).map((o) => ({ src: o.src, val: o.val }));
}

function compareOutputs(expected: ExpectedOutput[], actual: Array<{ src: string; val: unknown }>): OutputMismatch[] {
  const mismatches: OutputMismatch[] = [];
  for (const want of expected) {
    const got = actual.filter((o) => o.src === want.src);
    if (got.length === 0) mismatches.push({ src: want.src, expected: want.val });
    else if (!got.some((o) => sameJson(o.val, want.val))) mismatches.push({ src: want.src, expected: want.val, actual: got[0]!.val });
  }
  return mismatches;
}

/** JSON equality with object keys in any order. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted (how outputs are printed and compared). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function zero(): TestCounts {
  return { total: 0, passed: 0, failed: 0, skipped: 0 };
}

function add(into: TestCounts, from: TestCounts): void {
  into.total += from.total;
  into.passed += from.passed;
  into.failed += from.failed;
  into.skipped += from.skipped;
}
