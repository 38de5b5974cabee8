import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createEngine, compilePolicySources, startServer, type CheckRequest, type Engine } from '../../src/engine/index.js';

const policy = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [read]
      effect: EFFECT_ALLOW
      roles: ["*"]
`;
const engine = createEngine(compilePolicySources([{ file: 'doc.yaml', text: policy }]));
const seen: CheckRequest[] = [];
const spy: Engine = Object.assign(Object.create(engine) as Engine, {
  check(req: CheckRequest) {
    seen.push(req);
    return engine.check(req);
  },
});

const { publicKey, privateKey } = await generateKeyPair('ES256');
const keySet = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
const token = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);

const notices: string[] = [];
const verifying = await startServer(spy, { port: 0, jwt: { keySet } });
const decoding = await startServer(spy, { port: 0, onNotice: (m) => notices.push(m) });
after(async () => {
  await verifying.close();
  await decoding.close();
});

async function check(url: string, jwt: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/check/resources`, {
    method: 'POST',
    body: JSON.stringify({ principal: { id: 'p', roles: ['u'] }, resources: [{ resource: { kind: 'doc', id: 'd' }, actions: ['read'] }], auxData: { jwt } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('a verified token reaches engine.check as claims; a bad one answers 400 invalid auxData', async () => {
  const good = await check(verifying.url, { token: await token({ sub: 'alice' }) });
  assert.equal(good.status, 200);
  assert.deepEqual(seen.at(-1)?.auxData?.jwtClaims, { sub: 'alice' });
  const bad = await check(verifying.url, { token: await token({ sub: 'alice', exp: 1 }) });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, 'invalid auxData');
  const shape = await check(verifying.url, { tokn: 'x' });
  assert.equal(shape.status, 400);
  assert.equal(shape.body.field, 'auxData.jwt.tokn');
});

test('decoding without a key set gives the notice once', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await check(decoding.url, { token: await token({ sub: `u${i}` }) })).status, 200);
  assert.equal(notices.length, 1);
  assert.deepEqual(seen.at(-1)?.auxData?.jwtClaims, { sub: 'u2' });
});
