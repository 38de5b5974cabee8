import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePolicySources, createEngine, type Attributes } from '../../src/engine/index.js';
import { analyzeExpression } from '../../src/cel/analyze.js';
import { expressionFromFlag } from '../../src/cel/sources.js';
import { InputError } from '../../src/util/errors.js';
import { FUZZ_PARAMETERS, FUZZ_RUNS, assertCleanMessage, onlyInputErrors, withinCaseLimit } from './support.js';

// Cerbos-flavoured CEL: the request variables, the Cerbos extension functions and the macros, put
// together by templates, plus token soup for the parsers' error paths.
const path = fc.constantFrom(
  'P.id', 'P.attr.groups', 'P.attr.level', 'P.attr.ip', 'R.id', 'R.kind', 'R.attr.tags', 'R.attr.owner', 'R.attr.path', 'R.attr.n',
  'request.auxData.jwt.sub', 'request.principal.roles', 'runtime.effectiveDerivedRoles', 'G.env', 'globals.region', 'V.missing', 'C.missing',
);
const literal = fc.oneof(
  fc.integer({ min: -3, max: 300 }).map(String),
  fc.constantFrom('"a.b.c"', '"10.0.0.0/8"', '"192.168.1.7"', '""', "'pub'", '[1, 2, 2]', '["x", "y"]', '{"k": 1}', '2u', '1.5', 'null', 'true', 'b"ab"'),
);
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    path,
    literal,
    fc.constantFrom('now()', 'timestamp("2024-01-02T03:04:05Z")', 'duration("90m")', 'now().getHours()', 'timestamp("2024-01-02T03:04:05Z").timeSince()'),
    fc.tuple(tie('e'), fc.constantFrom('==', '!=', '<', '<=', '&&', '||', '+', '-', '*', '/', '%', 'in'), tie('e')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('e'), fc.constantFrom('exists', 'all', 'exists_one', 'filter', 'map'), tie('e')).map(([l, m, b]) => `${l}.${m}(x, ${b})`),
    fc.tuple(tie('e'), fc.constantFrom('hasIntersection', 'intersect', 'except', 'isSubset', 'startsWith', 'endsWith', 'contains', 'matches', 'inIPAddrRange', 'charAt', 'slice', 'sortBy'), tie('e')).map(([r, f, a]) => `${r}.${f}(${a})`),
    fc.tuple(fc.constantFrom('hierarchy', 'size', 'isIP', 'isCIDR', 'int', 'string', 'dyn', 'type', 'has'), tie('e')).map(([f, a]) => (f === 'has' ? `has(${a}.f)` : `${f}(${a})`)),
    fc.tuple(tie('e'), fc.constantFrom('distinct', 'flatten', 'reverse', 'sort', 'lowerAscii', 'size', 'ancestorOf', 'descendentOf')).map(([r, f]) => (f.endsWith('Of') ? `hierarchy(${r}).${f}(hierarchy("a.b"))` : `${r}.${f}()`)),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, a, b]) => `${c} ? ${a} : ${b}`),
    tie('e').map((e) => `!(${e})`),
    fc.tuple(tie('e'), path).map(([e, p]) => `cel.bind(v, ${e}, v == ${p})`),
  ),
})).e;
const token = fc.constantFrom('P', 'R', '.', 'attr', '(', ')', '[', ']', '{', '}', ',', ':', '?', '!', '-', '&&', '||', '==', 'in', '"', "'", '1', 'x', ' ', '\\', 'u', '`', '.exists(', 'size(', '\n');
const soup = fc.array(token, { maxLength: 30 }).map((ts) => ts.join(''));
const celText = fc.oneof({ weight: 4, arbitrary: expr }, { weight: 1, arbitrary: soup });
const attrs = fc.dictionary(fc.constantFrom('groups', 'level', 'ip', 'tags', 'owner', 'path', 'n'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }) as fc.Arbitrary<Attributes>;

const policyWith = (condition: string): string =>
  `resourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: [view]\n      effect: EFFECT_ALLOW\n      roles: [user]\n      condition:\n        match:\n          expr: ${JSON.stringify(condition)}\n`;

test(`CEL: ${FUZZ_RUNS} expressions analyse, compile in a policy (or fail with file:line:column) and evaluate against any attributes`, async () => {
  const outcomes = { compiled: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(celText, attrs, attrs, async (text, pAttr, rAttr) => {
      await withinCaseLimit('analysing, compiling and evaluating an expression', () => {
        const analysis = analyzeExpression(expressionFromFlag(text));
        if (!analysis.ok) assertCleanMessage(analysis.error.message);

        const set = onlyInputErrors(() => compilePolicySources([{ file: '/p/doc.yaml', text: policyWith(text) }]));
        outcomes[set instanceof InputError ? 'refused' : 'compiled']++;
        if (set instanceof InputError) return;
        const response = createEngine(set, { cache: false, globals: { env: 'prod' } }).check({
          principal: { id: 'alice', roles: ['user'], attr: pAttr },
          resources: [{ resource: { kind: 'doc', id: 'a.b', attr: rAttr }, actions: ['view'] }],
          auxData: { jwtClaims: { sub: 'alice' } },
        });
        assert.ok(['EFFECT_ALLOW', 'EFFECT_DENY'].includes(response.results[0]!.actions.view!));
      });
    }),
    FUZZ_PARAMETERS,
  );
  assert.ok(outcomes.compiled > FUZZ_RUNS / 10 && outcomes.refused > FUZZ_RUNS / 10, JSON.stringify(outcomes));
});
