/**
 * Relative scenario paths resolve against the caller's cwd (the CLI context's), never against the
 * process's working directory: in the scenario loader and through every CLI command that loads one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/index.js';
import { serveCommand } from '../../src/cli/serve.js';
import { UsageError } from '../../src/util/errors.js';
import { runCli } from '../helpers/cli.js';
import type { SizeReport } from '../../src/report/types.js';

const SCENARIO = `name: mine
policies: pol
slo:
  p99: 7ms
requests:
  principals:
    roles: [{ roles: [user] }]
  resources:
    - kind: doc
      actions: [view]
`;
const POLICY = `resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
`;

// <cwd>/x/scenario.yaml with its policies in <cwd>/x/pol
const cwd = await mkdtemp(join(tmpdir(), 'authz-perf-cwd-'));
await mkdir(join(cwd, 'x', 'pol'), { recursive: true });
await writeFile(join(cwd, 'x', 'scenario.yaml'), SCENARIO);
await writeFile(join(cwd, 'x', 'pol', 'doc.yaml'), POLICY);
after(() => rm(cwd, { recursive: true, force: true }));

test('the test cwd is not the process working directory', () => {
  assert.notEqual(process.cwd(), cwd);
});

test('loadScenario resolves ./x, x/scenario.yaml and a bare folder name under options.cwd', async () => {
  for (const arg of ['./x', 'x/', 'x/scenario.yaml', 'x']) {
    const s = await loadScenario(arg, { cwd });
    assert.equal(s.name, 'mine', arg);
    assert.equal(s.dir, join(cwd, 'x'), arg);
    assert.equal(s.policyDir, join(cwd, 'x', 'pol'), arg);
  }
});

test('the same relative path is not found under another cwd', async () => {
  const other = await mkdtemp(join(tmpdir(), 'authz-perf-cwd-other-'));
  try {
    await assert.rejects(loadScenario('./x', { cwd: other }), (err: unknown) => err instanceof UsageError && /--scenario: \.\/x: no such scenario folder or file/.test(err.message));
    await assert.rejects(loadScenario('x', { cwd: other }), (err: unknown) => err instanceof UsageError && /unknown scenario 'x'/.test(err.message));
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test('bundled names and absolute paths do not depend on cwd', async () => {
  assert.equal((await loadScenario('rbac-simple', { cwd })).name, 'rbac-simple');
  assert.equal((await loadScenario(join(cwd, 'x'), { cwd: tmpdir() })).name, 'mine');
});

test('size --scenario ./x reads the scenario under the CLI cwd', async () => {
  const run = await runCli(['size', '--rps', '1000', '--scenario', './x', '--json', '--no-report'], { cwd });
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as SizeReport;
  assert.equal(report.size.inputs.scenario, 'mine');
  assert.equal(report.size.inputs.p99TargetMs, 7);
});

test('loadtest --scenario ./x reads the scenario under the CLI cwd', async () => {
  const run = await runCli(['loadtest', '--rps', '10', '--duration', '1s', '--scenario', './x', '--request-pool', '5', '--export-k6', 'load.js'], { cwd });
  assert.equal(run.code, 0, run.stderr);
  assert.match(await readFile(join(cwd, 'load.js'), 'utf8'), /mine/);
});

test('serve --scenario ./x serves the scenario under the context cwd', async () => {
  let stderr = '';
  const ctx = {
    stdout: { write: () => true },
    stderr: { write: (chunk: string) => ((stderr += chunk), true) },
    cwd,
    env: {},
    debug: false,
    exitCode: 0,
  };
  const code = await serveCommand(ctx, { scenario: './x', host: '127.0.0.1', port: '0', cache: true }, { untilStopped: async () => undefined });
  assert.equal(code, 0);
  assert.match(stderr, /\(scenario mine, 1 policy\)/);
});
