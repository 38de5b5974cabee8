import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_SCENARIOS_DIR, createRequestStream, listScenarios, loadScenario, parseScenario, takeRequests, DEFAULT_SLO } from '../../src/scenario/index.js';
import { InputError, UsageError } from '../../src/util/errors.js';

const info = { file: '/x/scenario.yaml', dirExists: () => false };
const minimal = `
requests:
  principals:
    roles: [{ roles: [user] }]
  resources:
    - kind: doc
      actions: [view]
`;

test('lists the four bundled scenarios, sorted', async () => {
  const names = (await listScenarios()).map((s) => s.name);
  assert.deepEqual(names, ['abac-cel', 'heavy-cel', 'multi-tenant', 'outputs-schemas', 'rbac-simple']);
});

test('loads a bundled scenario by name with absolute folders and the default SLO', async () => {
  const s = await loadScenario('abac-cel');
  assert.equal(s.name, 'abac-cel');
  assert.equal(s.dir, join(BUNDLED_SCENARIOS_DIR, 'abac-cel'));
  assert.equal(s.policyDir, join(s.dir, 'policies'));
  assert.equal(s.testsDir, join(s.dir, 'tests'));
  assert.deepEqual(s.slo, DEFAULT_SLO);
  assert.deepEqual(Object.keys(s.load).sort(), ['normal', 'peak', 'smoke', 'soak', 'spike', 'stress']);
  assert.equal(s.load['spike']?.executor, 'vus');
  assert.deepEqual(s.load['spike']?.thinkTimeMs, [50, 200]);
  assert.deepEqual(s.load['spike']?.stages.map((st) => [st.durationS, st.target]), [[30, 50], [10, 300], [120, 300], [10, 50], [30, 50]]);
  assert.equal(s.load['soak']?.stages[1]?.durationS, 1800);
});

test('loads a scenario from a folder path and from the file path', async () => {
  const dir = join(BUNDLED_SCENARIOS_DIR, 'rbac-simple');
  assert.equal((await loadScenario(dir)).name, 'rbac-simple');
  assert.equal((await loadScenario(join(dir, 'scenario.yaml'))).name, 'rbac-simple');
});

test('an unknown name is a UsageError listing the accepted names', async () => {
  await assert.rejects(loadScenario('nope'), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /unknown scenario 'nope'.*abac-cel, heavy-cel, multi-tenant, outputs-schemas, rbac-simple/);
    return true;
  });
});

test('minimal scenario gets defaults', () => {
  const s = parseScenario(minimal, info);
  assert.equal(s.name, 'x');
  assert.equal(s.requests.repeatShare, 0);
  assert.deepEqual(s.requests.resources[0]?.actions, [{ name: 'view', weight: 1 }]);
  assert.equal(s.testsDir, null);
});

function inputError(text: string): InputError {
  try {
    parseScenario(text, info);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err;
  }
  assert.fail('expected an InputError');
}

test('bad YAML and bad fields are InputErrors with file:line:column', () => {
  const yamlErr = inputError('requests: [1,\n');
  assert.equal(yamlErr.location.file, '/x/scenario.yaml');
  assert.ok(yamlErr.location.line !== undefined);

  const typo = inputError(minimal.replace('actions: [view]', 'actions: [view]\n      atr: {}'));
  assert.match(typo.describe(), /^\/x\/scenario\.yaml:8:7: .*unknown field "atr"/);

  const share = inputError(minimal + '  repeatShare: 2\n');
  assert.match(share.describe(), /:8:16: requests\.repeatShare must be between 0 and 1/);

  const ambiguous = inputError(minimal + '      attr:\n        tags: [a, b]\n');
  assert.match(ambiguous.describe(), /:9:15: .*ambiguous/);

  const proto = inputError(minimal + '      attr:\n        __proto__: 1\n');
  assert.match(proto.describe(), /__proto__.*not allowed/);

  const tooMany = inputError(minimal + '      actionsPerResource: 2\n');
  assert.match(tooMany.describe(), /actionsPerResource: max 2/);

  const noWeight = inputError(minimal + '      weight: 0\n');
  assert.match(noWeight.describe(), /:6:5: requests\.resources: at least one weight must be > 0/);
});

test('a user scenario folder: policies relative to it, tests folder optional', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'authz-perf-scenario-'));
  await mkdir(join(dir, 'pol'));
  await writeFile(join(dir, 'scenario.yaml'), `name: mine\npolicies: pol\n${minimal}`);
  const s = await loadScenario(dir);
  assert.equal(s.policyDir, join(dir, 'pol'));
  assert.equal(s.testsDir, null);
  await writeFile(join(dir, 'scenario.yaml'), `name: mine\npolicies: missing\n${minimal}`);
  await assert.rejects(loadScenario(dir), /policy folder .* does not exist/);
});

test('multi-tenant: scopes, versions and globals reach the parsed scenario and its requests', async () => {
  const s = await loadScenario('multi-tenant');
  assert.equal(s.globals?.['environment'], 'production');
  assert.deepEqual(s.globals?.['trustedNetworks'], ['10.0.0.0/8', '192.168.0.0/16']);
  assert.deepEqual(Object.keys(s.load).sort(), ['normal', 'peak', 'smoke', 'soak', 'spike', 'stress']);
  const reqs = takeRequests(createRequestStream(s), 1000);
  const scopes = new Set<string>();
  const versions = new Set<string>();
  for (const r of reqs) {
    scopes.add(`principal:${r.principal.scope ?? ''}`);
    for (const { resource } of r.resources) {
      scopes.add(`${resource.kind}:${resource.scope ?? ''}`);
      versions.add(`${resource.kind}:${resource.policyVersion ?? 'default'}`);
    }
  }
  for (const scope of ['', 'acme', 'acme.hr', 'acme.hr.uk']) {
    for (const who of ['principal', 'document', 'payslip']) assert.ok(scopes.has(`${who}:${scope}`), `${who}:${scope}`);
  }
  assert.deepEqual([...versions].filter((v) => v.startsWith('document:')).sort(), ['document:20240101', 'document:default']);
  // the older document ruleset exists at the root and acme only, so requests stay inside it
  for (const r of reqs) for (const { resource } of r.resources) if (resource.policyVersion === '20240101') assert.ok([undefined, 'acme'].includes(resource.scope));
});
