import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, exportJWK, generateKeyPair, UnsecuredJWT } from 'jose';
import { AuxDataError, createJwtDecoder, parseJwks } from '../../src/engine/aux-data.js';
import { RequestShapeError, toCheckRequest } from '../../src/engine/request.js';
import { InputError } from '../../src/util/errors.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const nowS = NOW / 1000;
const { publicKey, privateKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
const keySet = { keys: [jwk] };
const sign = (claims: Record<string, unknown>, key = privateKey): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key);

const base = { principal: { id: 'p', roles: ['u'] }, resources: [{ resource: { kind: 'doc', id: 'd' }, actions: ['a'] }] };

test('toCheckRequest reads auxData.jwt {token, keySetId} and refuses unknown fields by name', () => {
  assert.deepEqual(toCheckRequest({ ...base, auxData: { jwt: { token: 't', keySetId: 'ks1' } } }).auxData, { jwt: { token: 't', keySetId: 'ks1' } });
  assert.equal(toCheckRequest({ ...base, auxData: {} }).auxData, undefined);
  for (const [auxData, field] of [
    [{ jwt: { tokn: 'x' } }, 'auxData.jwt.tokn'],
    [{ jwt: {} }, 'auxData.jwt.token'],
    [{ jwt: { token: 5 } }, 'auxData.jwt.token'],
    [{ other: 1 }, 'auxData.other'],
    ['x', 'auxData'],
  ] as const) {
    assert.throws(() => toCheckRequest({ ...base, auxData }), (err: unknown) => err instanceof RequestShapeError && err.field === field);
  }
});

test('with a key set: a valid token gives its claims; expired, forged and malformed tokens and a foreign keySetId are invalid auxData', async () => {
  const decoder = createJwtDecoder({ keySet, keySetId: 'ks1', now: () => NOW });
  assert.equal(decoder.verifies, true);
  const good = await sign({ sub: 'alice', exp: nowS + 60 });
  assert.deepEqual(await decoder.claims({ jwt: { token: good } }), { sub: 'alice', exp: '2030-01-01T00:01:00Z' });
  assert.equal(await decoder.claims(undefined), undefined);
  const other = (await generateKeyPair('ES256')).privateKey;
  for (const token of [await sign({ sub: 'a', exp: nowS - 1 }), await sign({ sub: 'a' }, other), 'not.a.jwt']) {
    await assert.rejects(decoder.claims({ jwt: { token } }), AuxDataError);
  }
  await assert.rejects(decoder.claims({ jwt: { token: good, keySetId: 'nope' } }), (err: unknown) => err instanceof AuxDataError && err.message === 'invalid auxData');
});

test('without a key set: tokens are decoded, signatures are not checked, exp and nbf still are', async () => {
  const decoder = createJwtDecoder({ now: () => NOW });
  assert.equal(decoder.verifies, false);
  const unsigned = new UnsecuredJWT({ sub: 'bob', aud: ['x'] }).encode();
  assert.deepEqual(await decoder.claims({ jwt: { token: unsigned, keySetId: 'anything' } }), { sub: 'bob', aud: ['x'] });
  const single = new UnsecuredJWT({ aud: 'x', iat: nowS - 1.5, level: 3 }).encode();
  assert.deepEqual(await decoder.claims({ jwt: { token: single } }), { aud: ['x'], iat: '2029-12-31T23:59:58.5Z', level: 3 });
  await assert.rejects(decoder.claims({ jwt: { token: await sign({ exp: nowS - 1 }) } }), AuxDataError);
  await assert.rejects(decoder.claims({ jwt: { token: await sign({ nbf: nowS + 60 }) } }), AuxDataError);
  await assert.rejects(decoder.claims({ jwt: { token: 'garbage' } }), AuxDataError);
});

test('parseJwks accepts a key set and refuses anything else with an InputError naming the file', () => {
  assert.deepEqual(parseJwks(JSON.stringify(keySet), 'keys.jwks'), keySet);
  for (const text of ['{', '{}', '{"keys": []}', '{"keys": [{"x": 1}]}']) {
    assert.throws(() => parseJwks(text, 'keys.jwks'), (err: unknown) => err instanceof InputError && err.location.file === 'keys.jwks');
  }
});
