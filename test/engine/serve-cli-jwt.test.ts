// serve --jwks: auxData JWTs verified against a key set file and read by conditions as
// request.auxData.jwt; without --jwks they are decoded, and serve says so once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { serveCommand, type ServeFlags } from '../../src/cli/serve.js';
import { captureContext } from '../helpers/cli.js';
import { UsageError, InputError } from '../../src/util/errors.js';

const context = captureContext;
const flags = (over: Partial<ServeFlags>): ServeFlags => ({ port: '0', host: '127.0.0.1', cache: true, ...over });

const policy = `resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: request.auxData.jwt.tenant == R.attr.tenant && "readers" in request.aux_data.jwt.groups
`;

test('serve --jwks verifies auxData JWTs and conditions read their claims; a forged token is a 400', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-jwks-'));
  try {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    writeFileSync(path.join(dir, 'policies', 'doc.yaml'), policy);
    const sign = (claims: Record<string, unknown>, key = privateKey): Promise<string> =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuedAt().setExpirationTime('1h').sign(key);
    const forger = await generateKeyPair('ES256');
    const ctx = context();
    const answers: unknown[] = [];
    const code = await serveCommand(ctx, flags({ policies: path.join(dir, 'policies'), jwks: path.join(dir, 'jwks.json') }), {
      async untilStopped(server) {
        for (const token of [await sign({ tenant: 'acme', groups: ['readers'] }), await sign({ tenant: 'other', groups: ['readers'] }), await sign({ tenant: 'acme', groups: ['readers'] }, forger.privateKey)]) {
          const res = await fetch(`${server.url}/api/check/resources`, {
            method: 'POST',
            body: JSON.stringify({ principal: { id: 'a', roles: ['user'] }, resources: [{ resource: { kind: 'doc', id: 'd', attr: { tenant: 'acme' } }, actions: ['view'] }], auxData: { jwt: { token } } }),
          });
          answers.push(res.status === 200 ? ((await res.json()) as { results: Array<{ actions: unknown }> }).results[0]!.actions : res.status);
        }
      },
    });
    assert.equal(code, 0);
    assert.deepEqual(answers, [{ view: 'EFFECT_ALLOW' }, { view: 'EFFECT_DENY' }, 400]);
    // verified tokens: no "decoded without verifying" note
    assert.ok(!ctx.err.join('').includes('without verifying'), ctx.err.join(''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve without --jwks decodes JWTs and says so once; bad --jwks values are input or usage errors', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-jwks-'));
  try {
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'doc.yaml'), policy);
    writeFileSync(path.join(dir, 'bad.json'), '{"keys": []}');
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ tenant: 'acme', groups: ['readers'] }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const ctx = context();
    const answers: unknown[] = [];
    const policies = path.join(dir, 'policies');
    await serveCommand(ctx, flags({ policies }), {
      async untilStopped(server) {
        for (let i = 0; i < 2; i++) {
          const res = await fetch(`${server.url}/api/check/resources`, {
            method: 'POST',
            body: JSON.stringify({ principal: { id: 'a', roles: ['user'] }, resources: [{ resource: { kind: 'doc', id: 'd', attr: { tenant: 'acme' } }, actions: ['view'] }], auxData: { jwt: { token } } }),
          });
          answers.push(((await res.json()) as { results: Array<{ actions: unknown }> }).results[0]!.actions);
        }
      },
    });
    assert.deepEqual(answers, [{ view: 'EFFECT_ALLOW' }, { view: 'EFFECT_ALLOW' }]);
    assert.equal(ctx.err.join('').split('without verifying').length - 1, 1);
    const none = { async untilStopped() {} };
    await assert.rejects(serveCommand(context(), flags({ policies, jwksId: 'k' }), none), (e: unknown) => e instanceof UsageError && /^--jwks-id: needs --jwks/.test(e.message));
    await assert.rejects(serveCommand(context(), flags({ policies, jwks: path.join(dir, 'bad.json') }), none), (e: unknown) => e instanceof InputError && /not a JSON Web Key Set/.test(e.message));
    await assert.rejects(serveCommand(context(), flags({ policies, jwks: path.join(dir, 'missing.json') }), none), (e: unknown) => e instanceof UsageError && /^--jwks: cannot read/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
