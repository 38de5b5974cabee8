/**
 * `scenario init`'s front door: a policy folder (and its Cerbos test suites, or a decision log) →
 * the text of a scenario.yaml that points back at that policy folder.
 *
 *   initScenario({ policyDir, outDir, testsDir?, decisionLog? })  → { text, summary }
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { loadTestSuites, type TestSuite } from '../policytest/index.js';
import type { AttrValue, CheckRequest, GlobalValue } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import { observationsFromLog, type DecisionLog } from './audit-log.js';
import { draftScenario } from './draft.js';
import { observationsFromSuites, type ObservedTraffic } from './observations.js';
import { readPolicyFacts } from './policy-facts.js';

export { parseDecisionLog } from './audit-log.js';
export type { DecisionLog, LoggedCall } from './audit-log.js';

export interface InitScenarioOptions {
  policyDir: string;
  /** the folder scenario.yaml is written to (paths in it are relative to this) */
  outDir: string;
  /** default: suites under policyDir, else a `tests` folder beside it */
  testsDir?: string;
  /** build the mix from these logged decisions instead of the test suites */
  decisionLog?: { log: DecisionLog; file: string };
  name?: string;
}

export interface InitScenarioResult {
  text: string;
  summary: { observations: number; resourceKinds: number; actions: number; testsDir: string | null; source: string };
}

export async function initScenario(o: InitScenarioOptions): Promise<InitScenarioResult> {
  const policyDir = resolve(o.policyDir);
  const outDir = resolve(o.outDir);
  const facts = await readPolicyFacts(policyDir);
  if (facts.files === 0) throw new InputError('no Cerbos policies in this folder', { file: policyDir });
  const testsDir = o.testsDir !== undefined ? resolve(o.testsDir) : await findTests(policyDir);
  const suites = testsDir ? await loadTestSuites(testsDir) : [];
  let traffic: ObservedTraffic;
  let repeatShare: number | null = null;
  if (o.decisionLog) {
    traffic = { observations: observationsFromLog(o.decisionLog.log), origin: `decision log ${basename(o.decisionLog.file)} (${o.decisionLog.log.calls.length} requests)` };
    repeatShare = repeatedShare(o.decisionLog.log.calls.map((c) => c.request));
  } else {
    traffic = { observations: observationsFromSuites(suites), origin: testsDir ? `test suites in ${relative(outDir, testsDir) || '.'}` : 'the policies alone (no test suites found)' };
  }
  const text = draftScenario({
    name: o.name ?? (basename(outDir) === 'scenario' ? basename(dirname(policyDir)) : basename(outDir)),
    traffic,
    facts,
    policies: relative(outDir, policyDir) || '.',
    tests: testsDir && testsDir !== policyDir ? relative(outDir, testsDir) : null,
    globals: suiteGlobals(suites, outDir),
    repeatShare,
  });
  const kinds = new Set(traffic.observations.map((x) => x.resource.kind));
  for (const k of facts.kinds.keys()) kinds.add(k);
  const actions = new Set(traffic.observations.flatMap((x) => x.actions));
  for (const v of facts.kinds.values()) for (const a of v.actions) actions.add(a);
  return { text, summary: { observations: traffic.observations.length, resourceKinds: kinds.size, actions: actions.size, testsDir, source: traffic.origin } };
}

/** Suites inside the policy folder (Cerbos's own layout), else a `tests` folder beside it. */
async function findTests(policyDir: string): Promise<string | null> {
  if ((await loadTestSuites(policyDir)).length > 0) return policyDir;
  const beside = join(dirname(policyDir), 'tests');
  return existsSync(beside) && statSync(beside).isDirectory() && (await loadTestSuites(beside)).length > 0 ? beside : null;
}

/** The first engine globals a suite or test pins in its options (Cerbos servers read them from configuration). */
function suiteGlobals(suites: readonly TestSuite[], outDir: string): { value: Record<string, AttrValue>; from: string } | null {
  for (const suite of suites) {
    for (const test of suite.tests) {
      if (test.globals && Object.keys(test.globals).length > 0) return { value: plain(test.globals) as Record<string, AttrValue>, from: relative(outDir, suite.file) };
    }
  }
  return null;
}

function plain(v: GlobalValue): AttrValue {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Share of requests equal (ids aside) to an earlier one. */
function repeatedShare(requests: readonly CheckRequest[]): number {
  if (requests.length === 0) return 0;
  const seen = new Set<string>();
  let repeats = 0;
  for (const r of requests) {
    const key = JSON.stringify({ principal: r.principal, resources: r.resources });
    if (seen.has(key)) repeats++;
    else seen.add(key);
  }
  return Math.round((repeats / requests.length) * 100) / 100;
}
