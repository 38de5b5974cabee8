/**
 * `authz-perf test`: every bundled scenario's suites pass; a broken expectation is exit 1 naming
 * suite, test, principal, resource and action (tree, JSON, JUnit); an invalid suite is exit 2 with
 * file:line:column; shared testdata fixtures, auxData and expected outputs work as in Cerbos; the
 * check bench/serve/loadtest run first turns a failure into a report warning.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BUNDLED_SCENARIOS_DIR, listScenarios } from '../../src/scenario/index.js';
import { preflightPolicyTests } from '../../src/policytest/index.js';
import { renderTerminalPage } from '../../src/report/render-terminal.js';
import { renderMarkdownPage } from '../../src/report/render-markdown.js';
import { reportEnvelope } from '../../src/report/build.js';
import type { Report } from '../../src/report/types.js';
import { runCli } from '../helpers/cli.js';

let work = '';
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'authz-perf-test-cmd-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

for (const { name } of await listScenarios()) {
  test(`authz-perf test ${name}: every suite passes (bundled name and folder)`, async () => {
    for (const arg of [name, join(BUNDLED_SCENARIOS_DIR, name)]) {
      const run = await runCli(['test', arg]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^Test results\n/);
      const total = /^(\d+) tests executed \[(\d+) OK\]$/m.exec(run.stdout);
      assert.ok(total && Number(total[1]) > 0 && total[1] === total[2], run.stdout);
    }
  });
}

/** rbac-simple as a bare policy folder with its suite inside, one expectation flipped. */
async function brokenRepository(): Promise<string> {
  const dir = join(work, 'broken');
  await cp(join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), dir, { recursive: true });
  const suite = await readFile(join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'tests', 'rbac_test.yaml'), 'utf8');
  const broken = suite.replace(/(principal: ed\n\s+resource: doc\n\s+actions: \{[^}]*?)delete: EFFECT_DENY/, '$1delete: EFFECT_ALLOW');
  assert.notEqual(broken, suite, 'the expectation to flip is in the bundled suite');
  await writeFile(join(dir, 'rbac_test.yaml'), broken);
  return dir;
}

test('a broken expectation: exit 1, the failure named in the tree, on stderr, in JSON and in JUnit', async () => {
  const dir = await brokenRepository();
  const junit = join(work, 'out', 'junit.xml');
  const run = await runCli(['test', dir, '--junit', junit]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /RbacSimpleSuite \(rbac_test\.yaml\) \[64 OK\] \[1 FAILED\]/);
  assert.match(run.stdout, /delete \[FAILED\]\n\s+└──OUTCOME: expected: EFFECT_ALLOW, actual: EFFECT_DENY/);
  assert.match(run.stdout, /^65 tests executed \[64 OK\] \[1 FAILED\]$/m);
  assert.equal(
    run.stderr,
    'authz-perf test: FAILED rbac_test.yaml: suite "RbacSimpleSuite", test "documents", principal ed, resource doc, action delete: expected EFFECT_ALLOW, got EFFECT_DENY\n',
  );
  const xml = await readFile(junit, 'utf8');
  assert.match(xml, /<testsuites errors="0" failures="1" skipped="0" tests="65">/);
  assert.match(xml, /classname="ed\.doc\.delete" name="documents">\n\s+<failure type="RESULT_FAILED" message="Effect expectation unsatisfied">/);

  const json = await runCli(['test', dir, '--json']);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout) as { summary: { overallResult: string; testsCount: number }; suites: Array<{ testCases: Array<{ name: string; principals: Array<{ name: string; resources: Array<{ actions: Array<{ name: string; details: { result: string; failure?: unknown } }> }> }> }> }> };
  assert.deepEqual([doc.summary.overallResult, doc.summary.testsCount], ['RESULT_FAILED', 65]);
  const failed = doc.suites[0]!.testCases.flatMap((t) => t.principals.flatMap((p) => p.resources.flatMap((r) => r.actions.filter((a) => a.details.result === 'RESULT_FAILED').map((a) => `${t.name}/${p.name}/${a.name}`))));
  assert.deepEqual(failed, ['documents/ed/delete']);
});

test('an invalid suite: exit 2 with file:line:column', async () => {
  const dir = join(work, 'invalid');
  await cp(join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), dir, { recursive: true });
  await writeFile(join(dir, 'bad_test.yaml'), 'name: Bad\nprincipals:\n  a: { id: a, roles: [viewer] }\nresources:\n  d: { kind: document, id: d }\ntests:\n  - name: t\n    input: { principals: [a], resources: [d], actions: [view] }\n    expected:\n      - principal: a\n        resource: d\n        actions: { view: ALLOW }\n');
  const run = await runCli(['test', dir]);
  assert.equal(run.code, 2);
  assert.equal(run.stderr, `authz-perf: ${join(dir, 'bad_test.yaml')}:12:26: effect must be EFFECT_ALLOW or EFFECT_DENY, got ALLOW\n`);
  const missing = await runCli(['test', join(work, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^authz-perf: .*nope: no such policy folder, scenario folder or bundled scenario\n$/);
});

test('testdata fixtures, auxData and expected outputs: checked as Cerbos checks them', async () => {
  const dir = join(work, 'outputs');
  await mkdir(join(dir, 'testdata'), { recursive: true });
  await writeFile(
    join(dir, 'doc.yaml'),
    `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - name: view-rule
      actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
      condition: { match: { expr: R.attr.owner == P.id } }
      output:
        when:
          ruleActivated: '"owner " + P.id'
          conditionNotMet: '{"who": P.id, "n": 3}'
    - name: edit-rule
      actions: [edit]
      effect: EFFECT_ALLOW
      roles: [user]
      output: { when: { ruleActivated: request.auxData.jwt.iss } }
`,
  );
  await writeFile(join(dir, 'testdata', 'principals.yaml'), 'principals:\n  al: { id: al, roles: [user] }\n');
  await writeFile(join(dir, 'testdata', 'resources.yml'), 'resources:\n  d1: { kind: doc, id: d1, attr: { owner: al } }\n');
  await writeFile(join(dir, 'testdata', 'auxdata.json'), '{"auxData": {"tok": {"jwt": {"iss": "my.domain"}}}}');
  const suite = (n: number, iss: string): string => `name: OutSuite
principals:
  bo: { id: bo, roles: [user] }
tests:
  - name: t1
    input: { principals: [al, bo], resources: [d1], actions: [view, edit], auxData: tok }
    expected:
      - principal: al
        resource: d1
        actions: { view: EFFECT_ALLOW, edit: EFFECT_ALLOW }
        outputs:
          - action: view
            expected: [{ src: "resource.doc.vdefault#view-rule", val: "owner al" }]
      - principal: bo
        resource: d1
        actions: { edit: EFFECT_ALLOW }
        outputs:
          - action: view
            expected: [{ src: "resource.doc.vdefault#view-rule", val: { who: bo, n: ${n} } }]
          - action: edit
            expected: [{ src: "resource.doc.vdefault#edit-rule", val: ${iss} }]
`;
  await writeFile(join(dir, 'doc_test.yaml'), suite(3, 'my.domain'));
  const ok = await runCli(['test', dir, '--verbose']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^4 tests executed \[4 OK\]$/m);

  await writeFile(join(dir, 'doc_test.yaml'), suite(4, 'other'));
  const bad = await runCli(['test', dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /view \[FAILED\]\n.*OUTCOME: output expectation unsatisfied\n.*resource\.doc\.vdefault#view-rule\n.*EXPECTED: \{"n":4,"who":"bo"\}\n.*ACTUAL: \{"n":3,"who":"bo"\}/);
  assert.match(bad.stdout, /EXPECTED: "other"\n.*ACTUAL: "my\.domain"/);
  assert.match(bad.stderr, /principal bo, resource d1, action edit: output resource\.doc\.vdefault#edit-rule expected "other", got "my\.domain"/);
});

test('before a benchmark: a failing suite is one line and a warning at the top of the report', async () => {
  const dir = await brokenRepository();
  const outcome = await preflightPolicyTests(dir, null);
  assert.ok(outcome?.warning, 'a failing suite warns');
  assert.match(outcome.warning, /suite RbacSimpleSuite, test documents, principal ed, resource doc, action delete/);
  const passing = await preflightPolicyTests(join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'tests'));
  assert.deepEqual(passing, { line: 'policy tests: 1 suite, 65 tests: 65 OK, 0 failed, 0 skipped' });
  assert.equal(await preflightPolicyTests(join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), null), null, 'no suites: nothing to say');

  const env = { cpuModel: 'x', cores: 1, totalMemoryBytes: 1, nodeVersion: 'v20', os: 'linux', gitSha: null, loadGeneratorSharedHost: true };
  const report = { ...reportEnvelope('verify', [], new Date(0), new Date(1000), env as never), warnings: [outcome.warning] } as unknown as Report;
  const terminal = renderTerminalPage(report, 'SECTION', { color: false } as never);
  assert.ok(terminal.indexOf(`Warning: ${outcome.warning}`) < terminal.indexOf('SECTION'));
  assert.match(renderMarkdownPage(report, 'SECTION'), /> \[!WARNING\]\n> policy tests failed/);
});
