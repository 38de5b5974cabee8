/**
 * `scenario init`: on each bundled scenario's policies and tests it writes a scenario that loads,
 * whose stream the engine decides without errors, and whose mix covers every resource kind and
 * action the tests name; every generated value carries a comment. --from-audit builds the mix
 * from a decision log.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import { createEngine, loadPolicySet } from '../../src/engine/index.js';
import { loadTestSuites } from '../../src/policytest/index.js';
import { BUNDLED_SCENARIOS_DIR, createRequestStream, listScenarios, loadScenario, takeRequests } from '../../src/scenario/index.js';
import { initScenario, parseDecisionLog } from '../../src/scenario-init/index.js';
import { runCli } from '../helpers/cli.js';
import { PACKAGE_ROOT } from '../../src/util/version.js';

const SAMPLE_LOG = join(PACKAGE_ROOT, 'test', 'scenario', 'fixtures', 'decisions.jsonl');

const work = await mkdtemp(join(tmpdir(), 'authz-perf-init-'));
after(() => rm(work, { recursive: true, force: true }));

for (const { name } of await listScenarios()) {
  test(`${name}: the written scenario loads, runs, and covers every kind and action of its tests`, async () => {
    const dir = join(BUNDLED_SCENARIOS_DIR, name);
    const out = join(work, name);
    const { text } = await initScenario({ policyDir: join(dir, 'policies'), outDir: out });
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'scenario.yaml'), text);
    const scenario = await loadScenario(out);
    assert.equal(scenario.policyDir, join(dir, 'policies'));
    assert.equal(scenario.testsDir, join(dir, 'tests'));

    const requests = takeRequests(createRequestStream(scenario, { seed: 7 }), 3000);
    const engine = createEngine(await loadPolicySet(scenario.policyDir, { lenientScopeSearch: scenario.lenientScopeSearch === true }), { cache: false, globals: scenario.globals });
    const seen = new Map<string, Set<string>>();
    for (const r of requests) {
      const response = engine.check(r);
      assert.equal(response.results.length, r.resources.length);
      for (const e of r.resources) for (const a of e.actions) (seen.get(e.resource.kind) ?? seen.set(e.resource.kind, new Set()).get(e.resource.kind)!).add(a);
    }
    for (const suite of await loadTestSuites(join(dir, 'tests'))) {
      for (const t of suite.tests) {
        for (const r of t.resources) {
          const kind = suite.resources.get(r)!.kind;
          for (const a of t.actions) assert.ok(seen.get(kind)?.has(a), `${name}: ${kind} ${a} (test ${t.name}) never requested`);
        }
      }
    }
    assertEveryAttributeNoted(text, name);
  });
}

/** Each attribute generator has a comment before it saying where it came from. */
function assertEveryAttributeNoted(text: string, name: string): void {
  const doc = parseDocument(text);
  const req = doc.get('requests') as YAMLMap;
  const maps = [(req.get('principals') as YAMLMap).get('attr') as YAMLMap, ...((req.get('resources') as { items: YAMLMap[] }).items.map((r) => r.get('attr') as YAMLMap))];
  let attrs = 0;
  for (const m of maps) {
    if (!isMap(m)) continue;
    m.items.forEach((pair, i) => {
      attrs++;
      // the parser hands a comment before a map's first key to the map
      const comment = (isScalar(pair.key) ? pair.key.commentBefore : '') || (i === 0 ? m.commentBefore : '');
      assert.ok(/set it|read at/.test(comment ?? ''), `${name}: ${String((pair.key as { value: unknown }).value)} has no origin comment`);
    });
  }
  assert.ok(attrs > 0 || name === 'rbac-simple', `${name}: no attributes written`);
}

test('--from-audit: kinds, actions, role sets and repeats come from the logged decisions', async () => {
  const out = join(work, 'from-audit');
  const log = parseDecisionLog(await readFile(SAMPLE_LOG, 'utf8'), SAMPLE_LOG);
  const { text, summary } = await initScenario({ policyDir: join(BUNDLED_SCENARIOS_DIR, 'abac-cel', 'policies'), outDir: out, decisionLog: { log, file: SAMPLE_LOG } });
  assert.equal(summary.observations, 7);
  const doc = parseDocument(text).toJS() as { requests: { repeatShare: number; resourcesPerRequest: { min: number; max: number }; principals: { roles: Array<{ roles: string[]; weight: number }> }; resources: Array<{ kind: string; weight: number; actions: Record<string, number> }> } };
  // call 3 repeats call 1
  assert.equal(doc.requests.repeatShare, 0.2);
  assert.deepEqual(doc.requests.resourcesPerRequest, { min: 1, max: 2 });
  assert.deepEqual(doc.requests.principals.roles.map((r) => [r.roles.join('+'), r.weight]).sort(), [['auditor', 2], ['manager+user', 3], ['user', 2]]);
  const document = doc.requests.resources.find((r) => r.kind === 'document')!;
  assert.equal(document.weight, 4);
  assert.equal(document.actions.view, 4);
  assert.equal(document.actions.edit, 2);
  assert.equal(document.actions['view:summary'], 1);
  const expense = doc.requests.resources.find((r) => r.kind === 'expense')!;
  assert.deepEqual(expense.actions, { approve: 2, view: 2, submit: 1 });
  assert.match(text, /# .*decision log decisions\.jsonl/);
});

test('CLI: writes OUT/scenario.yaml, refuses to overwrite without --force, one line for a missing policy folder', async () => {
  const out = join(work, 'cli');
  const first = await runCli(['scenario', 'init', '--policies', join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /scenario init: .*scenario\.yaml from test suites .*2 resource kinds/);
  await loadScenario(out);
  const again = await runCli(['scenario', 'init', '--policies', join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^authz-perf: --out: .*scenario\.yaml exists; give --force to overwrite it\n$/);
  const missing = await runCli(['scenario', 'init', '--policies', join(work, 'nope'), '--out', join(work, 'x')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^authz-perf: .*nope.*policy folder not found\n$/);
  const badLog = join(work, 'bad.log');
  await writeFile(badLog, 'not json\n');
  const bad = await runCli(['scenario', 'init', '--policies', join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), '--out', join(work, 'y'), '--from-audit', badLog]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^authz-perf: .*bad\.log:1:1: .*\n$/);
});
