import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCel, celClock, type Activation } from '../../src/engine/cel.js';
import { CASES } from './cel-library-cases.js';

const activation: Activation = {
  request: { principal: {}, resource: {}, aux_data: {}, auxData: {} },
  P: {},
  R: {},
  V: {},
  variables: {},
  C: {},
  constants: {},
  G: {},
  globals: {},
  runtime: { effectiveDerivedRoles: [] },
};

function evaluate(text: string): unknown {
  const { program } = compileCel({ text, location: { file: 'case.cel', line: 1, column: 1, style: 'inline', indent: 0 } });
  return program(activation);
}

for (const { family, holds, fails } of CASES) {
  test(`Cerbos CEL library, ${family}: documented expressions hold`, () => {
    for (const expr of holds) assert.equal(evaluate(expr), true, expr);
  });
  test(`Cerbos CEL library, ${family}: documented error cases raise an evaluation error`, () => {
    for (const expr of fails) assert.throws(() => evaluate(expr), Error, expr);
  });
}

test('now() and timeSince() read the injected clock and count the reads', () => {
  const saved = { now: celClock.now, reads: celClock.reads };
  try {
    celClock.now = () => Date.parse('2030-01-01T00:00:00Z');
    celClock.reads = 0;
    assert.equal(evaluate('now() == timestamp("2030-01-01T00:00:00Z")'), true);
    assert.equal(evaluate('timestamp("2029-12-31T23:00:00Z").timeSince() == duration("1h")'), true);
    assert.equal(celClock.reads, 2);
  } finally {
    celClock.now = saved.now;
    celClock.reads = saved.reads;
  }
});

test('library functions reach request attributes typed dyn (JSON numbers are doubles)', () => {
  const { program } = compileCel({
    text: 'hasIntersection(P.attr.n, [2]) && hierarchy(R.attr.scope).descendentOf(hierarchy(P.attr.scope)) && P.attr.ip.inIPAddrRange("10.0.0.0/8") && P.attr.n.all(i, v, v > i)',
    location: { file: 'case.cel', line: 1, column: 1, style: 'inline', indent: 0 },
  });
  const principal = { attr: { n: [1, 2], scope: 'acme.hr', ip: '10.1.1.1' } };
  const resource = { attr: { scope: 'acme.hr.uk' } };
  assert.equal(program({ ...activation, P: principal, R: resource, request: { principal, resource, aux_data: {}, auxData: {} } }), true);
});

test('a wrong receiver or argument for a zone accessor is a compile error', () => {
  assert.throws(() => evaluate('"x".getHours("UTC") == 1'), /getHours/);
});

test('zone-less timestamp accessors read UTC whatever the process time zone is', () => {
  const saved = process.env.TZ;
  try {
    for (const tz of ['America/New_York', 'Pacific/Auckland', 'UTC']) {
      process.env.TZ = tz;
      assert.equal(evaluate('timestamp("2021-03-20T12:00:00Z").getDayOfYear() == 78 && timestamp("2021-11-20T23:30:00Z").getDayOfYear() == 323'), true, tz);
      assert.equal(evaluate('timestamp("2021-03-20T23:30:00Z").getHours() == 23 && timestamp("2021-03-20T23:30:00Z").getDate() == 20'), true, tz);
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});
