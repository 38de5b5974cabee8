/**
 * startCerbos / stop: health reached, nothing left running after stop, policy errors in one line
 * naming the file, configuration (globals, lenient scope search) reaching Cerbos. Skipped (one
 * line) without a runnable Cerbos binary.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { BUNDLED_SCENARIOS_DIR } from '../../src/scenario/index.js';
import { findCerbos, startCerbos, type RunningCerbos } from '../../src/targets/cerbos.js';
import { InputError } from '../../src/util/errors.js';
import { isRunning, runningInGroup, waitFor } from './processes.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

const POLICY_HEADER = 'apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  version: default\n';

async function check(cerbos: RunningCerbos, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${cerbos.httpUrl}/api/check/resources`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

function effectOf(json: Record<string, unknown>, action: string): unknown {
  const results = json['results'] as Array<{ actions: Record<string, string> }>;
  return results[0]?.actions[action];
}

describe('Cerbos start and stop', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authz-perf-cerbos-lifecycle-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('health reached on loopback, gRPC port listening; stop leaves no process and no temporary folder', async () => {
    const cerbos = await startCerbos({ policyDir: join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies') });
    let stopped = false;
    try {
      assert.match(cerbos.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(cerbos.grpcAddress, /^127\.0\.0\.1:\d+$/);
      assert.match(cerbos.version, /^\d+\.\d+\.\d+/);
      const health = await request(`${cerbos.httpUrl}/_cerbos/health`);
      assert.equal(health.statusCode, 200);
      assert.match(await health.body.text(), /SERVING/);
      assert.ok(isRunning(cerbos.pid));
      const [grpcHost, grpcPort] = cerbos.grpcAddress.split(':');
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(grpcPort), grpcHost!, () => {
          socket.end();
          resolve();
        });
        socket.once('error', reject);
      });
      assert.ok(runningInGroup(cerbos.pid).includes(cerbos.pid), 'cerbos leads its own process group');
      assert.ok(existsSync(cerbos.configFile));

      const { status, json } = await check(cerbos, {
        requestId: 'x',
        principal: { id: 'u', roles: ['viewer'] },
        resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view', 'delete'] }],
      });
      assert.equal(status, 200);
      assert.equal(effectOf(json, 'view'), 'EFFECT_ALLOW');
      assert.equal(effectOf(json, 'delete'), 'EFFECT_DENY');

      await cerbos.stop();
      stopped = true;
      assert.equal(isRunning(cerbos.pid), false, 'the cerbos pid is gone once stop() resolves');
      assert.equal(existsSync(dirname(cerbos.configFile)), false, 'the temporary folder is removed');
      // the watchdog sharing its process group goes too (a bound: an init that reaps late does not matter, zombies count as gone)
      assert.ok(await waitFor(() => runningInGroup(cerbos.pid).length === 0, 10_000), `still running in the group: ${runningInGroup(cerbos.pid).join(', ')}`);
      assert.equal((await cerbos.exited).code, 0, 'Cerbos shuts down cleanly on SIGTERM');
      await cerbos.stop(); // idempotent
    } finally {
      if (!stopped) await cerbos.stop();
    }
  });

  test('Cerbos dying on its own: exited settles with the signal, stop() still cleans up', async () => {
    const cerbos = await startCerbos({ policyDir: join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies') });
    process.kill(cerbos.pid, 'SIGKILL');
    assert.deepEqual(await cerbos.exited, { code: null, signal: 'SIGKILL' });
    await cerbos.stop();
    assert.equal(existsSync(dirname(cerbos.configFile)), false);
    assert.ok(await waitFor(() => runningInGroup(cerbos.pid).length === 0, 10_000), 'the watchdog is gone too');
  });

  test('a policy folder with an error: one line naming the file, line and column, with Cerbos\'s own message', async () => {
    const policies = join(dir, 'bad');
    await mkdir(policies, { recursive: true });
    await writeFile(join(policies, 'fine.yaml'), `${POLICY_HEADER}  resource: fine\n  rules:\n    - actions: [a]\n      effect: EFFECT_ALLOW\n      roles: [r]\n`);
    await writeFile(
      join(policies, 'broken.yaml'),
      `${POLICY_HEADER}  resource: broken\n  rules:\n    - actions: [a]\n      effect: EFFECT_ALLOW\n      roles: [r]\n      condition:\n        match:\n          expr: R.attr.x ==\n`,
    );
    const err = await startCerbos({ policyDir: policies }).then(
      () => assert.fail('Cerbos started on a broken policy'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof InputError, `an input error, got ${String(err)}`);
    const line = err.describe();
    assert.doesNotMatch(line, /\n/);
    assert.ok(line.startsWith(`${join(policies, 'broken.yaml')}:11:11: `), line);
    assert.match(line, /Cerbos: Invalid expression `R\.attr\.x ==`/);
  });

  test('an unknown field in a policy names the file and the field', async () => {
    const policies = join(dir, 'unknown-field');
    await mkdir(policies, { recursive: true });
    await writeFile(join(policies, 'odd.yaml'), `${POLICY_HEADER}  resource: odd\n  rulez: []\n`);
    await assert.rejects(startCerbos({ policyDir: policies }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.describe(), `${join(policies, 'odd.yaml')}:5:3: Cerbos: unknown field "rulez"`);
      return true;
    });
  });

  test('a missing policy folder is an input error before anything starts', async () => {
    await assert.rejects(startCerbos({ policyDir: join(dir, 'nope') }), (e: unknown) => e instanceof InputError && /does not exist/.test(e.message));
  });

  test('globals and lenient scope search reach Cerbos', async () => {
    const policies = join(dir, 'config');
    await mkdir(policies, { recursive: true });
    await writeFile(
      join(policies, 'env.yaml'),
      `${POLICY_HEADER}  resource: env\n  rules:\n    - actions: [deploy]\n      effect: EFFECT_ALLOW\n      roles: [dev]\n      condition:\n        match:\n          expr: globals.stage == "staging"\n`,
    );
    await writeFile(join(policies, 'base.yaml'), `${POLICY_HEADER}  resource: env\n  scope: acme\n  rules:\n    - actions: [view]\n      effect: EFFECT_ALLOW\n      roles: [dev]\n`);
    const request = (scope: string) => ({
      principal: { id: 'p', roles: ['dev'] },
      resources: [{ resource: { kind: 'env', id: 'e', scope }, actions: ['deploy', 'view'] }],
    });

    const strict = await startCerbos({ policyDir: policies, globals: { stage: 'staging' } });
    try {
      const plain = await check(strict, request(''));
      assert.equal(effectOf(plain.json, 'deploy'), 'EFFECT_ALLOW', 'globals.stage is "staging"');
      const missingScope = await check(strict, request('acme.team'));
      assert.notEqual(effectOf(missingScope.json, 'view'), 'EFFECT_ALLOW', 'strict search: no policy for scope acme.team');
    } finally {
      await strict.stop();
    }

    const lenient = await startCerbos({ policyDir: policies, globals: { stage: 'prod' }, lenientScopeSearch: true });
    try {
      const plain = await check(lenient, request(''));
      assert.equal(effectOf(plain.json, 'deploy'), 'EFFECT_DENY', 'globals.stage is "prod"');
      const missingScope = await check(lenient, request('acme.team'));
      assert.equal(effectOf(missingScope.json, 'view'), 'EFFECT_ALLOW', 'lenient search falls back to scope acme');
    } finally {
      await lenient.stop();
    }
  });

  test('strings reach Cerbos as given: globals and a policy folder path holding "$" (Cerbos expands $VAR in its configuration)', async () => {
    const policies = join(dir, 'cost$HOME${USER}');
    await mkdir(policies, { recursive: true });
    const values = ['$', 'a$b', '${HOME}', '$HOME', '$$', '${A:b}', 'x$'];
    const rules = values
      .map((v, i) => `    - actions: [a${i}]\n      effect: EFFECT_ALLOW\n      roles: [dev]\n      condition:\n        match:\n          expr: globals.list[${i}] == ${JSON.stringify(v)} && globals.nested.v == "$1"\n`)
      .join('');
    await writeFile(join(policies, 'dollar.yaml'), `${POLICY_HEADER}  resource: dollar\n  rules:\n${rules}`);
    const cerbos = await startCerbos({ policyDir: policies, globals: { list: values, nested: { v: '$1' } } });
    try {
      const actions = values.map((_, i) => `a${i}`);
      const { json } = await check(cerbos, { principal: { id: 'p', roles: ['dev'] }, resources: [{ resource: { kind: 'dollar', id: 'd' }, actions }] });
      for (const [i, action] of actions.entries()) assert.equal(effectOf(json, action), 'EFFECT_ALLOW', `globals.list[${i}] is ${JSON.stringify(values[i])}`);
    } finally {
      await cerbos.stop();
    }
  });

  test('a schema folder becomes the store\'s _schemas; with enforcement "reject" a bad attribute is refused', async () => {
    const policies = join(dir, 'schemas-policies');
    const schemas = join(dir, 'schemas');
    await mkdir(policies, { recursive: true });
    await mkdir(schemas, { recursive: true });
    await writeFile(join(schemas, 'doc.json'), JSON.stringify({ type: 'object', properties: { pages: { type: 'integer' } }, required: ['pages'] }));
    await writeFile(
      join(policies, 'doc.yaml'),
      `${POLICY_HEADER}  resource: doc\n  schemas:\n    resourceSchema:\n      ref: cerbos:///doc.json\n  rules:\n    - actions: [read]\n      effect: EFFECT_ALLOW\n      roles: [r]\n`,
    );
    const cerbos = await startCerbos({ policyDir: policies, schemaDir: schemas, schemaEnforcement: 'reject' });
    try {
      const body = (attr: Record<string, unknown>) => ({ principal: { id: 'p', roles: ['r'] }, resources: [{ resource: { kind: 'doc', id: 'd', attr }, actions: ['read'] }] });
      assert.equal(effectOf((await check(cerbos, body({ pages: 3 }))).json, 'read'), 'EFFECT_ALLOW');
      assert.equal(effectOf((await check(cerbos, body({ pages: 'many' }))).json, 'read'), 'EFFECT_DENY');
    } finally {
      await cerbos.stop();
    }
    assert.ok(existsSync(join(schemas, 'doc.json')), 'the caller\'s schema folder is left alone');
  });

  test('aborting during start-up kills Cerbos and rejects', async () => {
    const abort = new AbortController();
    const pending = startCerbos({ policyDir: join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), signal: abort.signal });
    abort.abort(new Error('stop now'));
    await assert.rejects(pending, /stop now/);
  });
});
