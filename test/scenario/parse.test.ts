/**
 * scenario.yaml fields for scoped and versioned requests: `principals.scope`/`policyVersion`,
 * per-kind `scope`/`policyVersion` generators, and the top-level `globals:` map.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { createRequestStream, parseScenario, takeRequests, type Scenario } from '../../src/scenario/index.js';
import { InputError } from '../../src/util/errors.js';

const info = { file: '/x/scenario.yaml', dirExists: () => false };

/** A scenario with one principal block and one resource kind; the extra YAML lines go under each. */
function scenarioText(principalExtra: string, resourceExtra: string, top = ''): string {
  return `${top}
requests:
  principals:
    count: 20
    roles: [{ roles: [user] }]
    attr:
      tenant: { oneOf: [acme, acme.hr, acme.hr.uk] }
      level: { int: [1, 3] }
${principalExtra}
  resources:
    - kind: doc
      actions: [view]
${resourceExtra}
`;
}

function parse(text: string): Scenario {
  return parseScenario(text, info);
}

function inputError(text: string): InputError {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    assert.ok(err.location.line !== undefined && err.location.column !== undefined, err.describe());
    return err;
  }
  assert.fail('expected an InputError');
}

// The scope rule written independently of the parser's regular expression: "" or dot-separated
// segments of ASCII letters, digits, `_` and `-`, the first starting with a letter or digit, the
// others not with `-` (what cerbos compile 0.55 accepts).
function isCerbosScope(s: string): boolean {
  if (s === '') return true;
  const word = (c: string) => /[A-Za-z0-9_]/.test(c);
  return (
    /^[A-Za-z0-9]/.test(s) &&
    s.split('.').every((seg) => seg.length > 0 && word(seg[0]!) && [...seg].every((c) => word(c) || c === '-'))
  );
}

const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,5}$/);
const validScope = fc.array(segment, { minLength: 0, maxLength: 4 }).map((segs) => segs.join('.'));
const anyScopeText = fc.oneof(validScope, fc.string({ maxLength: 12 }), fc.constantFrom('.', 'a.', '.a', 'a..b', '-a', '_a', 'a.-b', 'a._b', 'a b', 'a.b-c_d', 'é'));

test('scope: any string parses exactly when it is a Cerbos scope (property)', () => {
  fc.assert(
    fc.property(anyScopeText, fc.boolean(), (scope, onPrincipal) => {
      const line = `      scope: ${JSON.stringify(scope)}`;
      const text = onPrincipal ? scenarioText(line.slice(2), '') : scenarioText('', line);
      if (isCerbosScope(scope)) {
        const s = parse(text);
        const gen = onPrincipal ? s.requests.principals.scope : s.requests.resources[0]!.scope;
        assert.deepEqual(gen, { type: 'const', value: scope });
      } else {
        assert.match(inputError(text).describe(), /^\/x\/scenario\.yaml:\d+:\d+: .*scope: .* is not a scope like "acme\.hr\.uk"/);
      }
    }),
    { numRuns: 300 },
  );
});

test('scope and policyVersion oneOf: every request carries one of the listed values (property)', () => {
  const versions = fc.uniqueArray(fc.stringMatching(/^\w{1,8}$/), { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(
      fc.uniqueArray(validScope, { minLength: 1, maxLength: 4 }),
      versions,
      fc.uniqueArray(validScope, { minLength: 1, maxLength: 4 }),
      versions,
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      (pScopes, pVersions, rScopes, rVersions, seed) => {
        const list = (values: string[]) => `{ oneOf: ${JSON.stringify(values)} }`;
        const s = parse(
          scenarioText(
            `    scope: ${list(pScopes)}\n    policyVersion: ${list(pVersions)}`,
            `      scope: ${list(rScopes)}\n      policyVersion: ${list(rVersions)}`,
          ),
        );
        for (const req of takeRequests(createRequestStream(s, { seed }), 30)) {
          // "" is the root scope / default version and leaves the field out of the request
          assert.ok(pScopes.includes(req.principal.scope ?? ''), `principal.scope ${req.principal.scope}`);
          assert.ok(pVersions.includes(req.principal.policyVersion!), `principal.policyVersion ${req.principal.policyVersion}`);
          for (const { resource } of req.resources) {
            assert.ok(rScopes.includes(resource.scope ?? ''), `resource.scope ${resource.scope}`);
            assert.notEqual(resource.scope, '');
            if (resource.policyVersion !== undefined) assert.ok(rVersions.includes(resource.policyVersion));
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('policyVersion: an unquoted number reads as its text, anything else must be word characters (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 99_999_999 }), (n) => {
      const s = parse(scenarioText(`    policyVersion: ${n}`, `      policyVersion: { oneOf: [default, ${n}] }`));
      assert.deepEqual(s.requests.principals.policyVersion, { type: 'const', value: String(n) });
      const gen = s.requests.resources[0]!.policyVersion;
      assert.ok(gen?.type === 'oneOf');
      assert.deepEqual(gen.values, ['default', String(n)]);
    }),
    { numRuns: 100 },
  );
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 8 }), (v) => {
      const text = scenarioText('', `      policyVersion: ${JSON.stringify(v)}`);
      if (/^\w+$/.test(v)) assert.deepEqual(parse(text).requests.resources[0]!.policyVersion, { type: 'const', value: v });
      else assert.match(inputError(text).describe(), /policyVersion: .* is not a policy version/);
    }),
    { numRuns: 200 },
  );
});

test('scope and policyVersion reject generators that do not give strings', () => {
  for (const gen of ['{ int: [1, 3] }', '{ bool: 0.5 }', '{ number: [1, 2] }', '{ listOf: { const: a } }', '{ object: { a: b } }', '{ principalId: 1 }', '{ oneOf: [a, 1.5] }', '{ const: true }']) {
    assert.match(inputError(scenarioText('', `      scope: ${gen}`)).describe(), /:13:14: requests\.resources\[0\]\.scope/, gen);
    assert.match(inputError(scenarioText(`    policyVersion: ${gen}`, '')).describe(), /requests\.principals\.policyVersion/, gen);
  }
  assert.match(inputError(scenarioText('', '      scope: [a, b]')).describe(), /ambiguous/);
});

test('fromPrincipal: a resource scope follows the principal attribute it names, which must give scopes too', () => {
  const s = parse(
    scenarioText(
      '    scope: { fromPrincipal: tenant, otherwise: acme }',
      '      scope: { fromPrincipal: tenant, share: 0.5, otherwise: { oneOf: ["", acme.sales] } }',
    ),
  );
  let same = 0;
  let total = 0;
  for (const req of takeRequests(createRequestStream(s), 400)) {
    assert.equal(req.principal.scope, req.principal.attr!['tenant'], 'a principal scope read from its own attribute');
    for (const { resource } of req.resources) {
      total++;
      if (resource.scope === req.principal.scope) same++;
      else assert.ok(resource.scope === undefined || resource.scope === 'acme.sales', String(resource.scope));
    }
  }
  assert.ok(same > total * 0.35 && same < total * 0.65, `${same} of ${total} in the principal's scope`);

  assert.match(inputError(scenarioText('', '      scope: { fromPrincipal: nope, otherwise: acme }')).describe(), /"nope", which requests\.principals\.attr does not define/);
  assert.match(inputError(scenarioText('', '      scope: { fromPrincipal: level, otherwise: acme }')).describe(), /resources\[0\]\.scope must give strings: .* not \{ int \}/);
  assert.match(inputError(scenarioText('', '      scope: { fromPrincipal: tenant, share: 0.9 }')).describe(), /null is not a scope/);
  assert.ok(parse(scenarioText('', '      scope: { fromPrincipal: tenant }')).requests.resources[0]!.scope);
});

test('the same principal always gets the same scope and version; the draws follow its attributes', () => {
  const s = parse(scenarioText('    scope: { oneOf: [a, b, c] }\n    policyVersion: { oneOf: [default, v2] }', ''));
  const seen = new Map<string, string>();
  for (const req of takeRequests(createRequestStream(s, { seed: 9 }), 300)) {
    const desc = JSON.stringify([req.principal.scope, req.principal.policyVersion]);
    assert.equal(seen.get(req.principal.id) ?? desc, desc);
    seen.set(req.principal.id, desc);
  }
  assert.ok(new Set(seen.values()).size > 1);
  // adding principal scope/version leaves roles, attributes and the resource draws as they were
  const plain = takeRequests(createRequestStream(parse(scenarioText('', '')), { seed: 9 }), 300);
  const scoped = takeRequests(createRequestStream(s, { seed: 9 }), 300);
  assert.deepEqual(
    scoped.map((r) => [r.principal.id, r.principal.roles, r.principal.attr, r.resources]),
    plain.map((r) => [r.principal.id, r.principal.roles, r.principal.attr, r.resources]),
  );
});

const safeKey = fc.string({ maxLength: 8 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));
const plainValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** As Cerbos reads globals: integers (written without a decimal point) are CEL ints. */
function asCelGlobals(v: unknown): unknown {
  // (from 1e21 on, numbers are written with an exponent, which makes them doubles)
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21) return BigInt(v);
  if (Array.isArray(v)) return v.map(asCelGlobals);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asCelGlobals(x)]));
  return v;
}

test('globals: any map of plain values round-trips from YAML into scenario.globals (property)', () => {
  fc.assert(
    fc.property(fc.dictionary(safeKey, plainValue, { maxKeys: 6, noNullPrototype: true }), (globals) => {
      // nested keys come from fc.jsonValue; the three the parser rejects are tested below
      fc.pre(!/"(__proto__|constructor|prototype)":/.test(JSON.stringify(globals)));
      const s = parse(stringify({ globals }) + scenarioText('', ''));
      assert.deepEqual(s.globals, asCelGlobals(globals));
    }),
    { numRuns: 200 },
  );
});

test('globals: absent means no field; it must be a map; hostile keys are rejected', () => {
  assert.equal(parse(scenarioText('', '')).globals, undefined);
  assert.deepEqual(parse(scenarioText('', '', 'globals:\n  env: prod\n  limits: { seats: 10 }')).globals, { env: 'prod', limits: { seats: 10n } });
  assert.deepEqual(parse(scenarioText('', '', 'globals:\n  a: 10.0\n  b: 1e3\n  c: 0x10')).globals, { a: 10, b: 1000, c: 16n });
  assert.match(inputError(scenarioText('', '', 'globals: [a, b]')).describe(), /^\/x\/scenario\.yaml:1:10: globals must be a mapping/);
  assert.match(inputError(scenarioText('', '', 'globals:\n  a: { __proto__: 1 }')).describe(), /"__proto__" is not allowed/);
});

test('lenientScopeSearch: absent is strict; true turns it on; anything but a boolean is an error at its place', () => {
  assert.equal(parse(scenarioText('', '')).lenientScopeSearch, undefined);
  assert.equal(parse(scenarioText('', '', 'lenientScopeSearch: true')).lenientScopeSearch, true);
  assert.equal(parse(scenarioText('', '', 'lenientScopeSearch: false')).lenientScopeSearch, undefined);
  assert.match(inputError(scenarioText('', '', 'lenientScopeSearch: yes please')).describe(), /^\/x\/scenario\.yaml:1:21: scenario\.lenientScopeSearch must be true or false/);
});
