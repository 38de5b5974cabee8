import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { compilePolicySources, createEngine, type CheckRequest } from '../../src/engine/index.js';
import { BUNDLED_SCENARIOS_DIR } from '../../src/scenario/index.js';
import { InputError } from '../../src/util/errors.js';
import { FUZZ_PARAMETERS, FUZZ_RUNS, mutatedJson, onlyInputErrors, withinCaseLimit } from './support.js';

const read = (rel: string): string => readFileSync(`${BUNDLED_SCENARIOS_DIR}/${rel}`, 'utf8');
const derivedRoles = { file: '/p/derived_roles.yaml', text: read('abac-cel/policies/derived_roles.yaml') };
const seeds = ['abac-cel/policies/document.yaml', 'abac-cel/policies/expense.yaml', 'rbac-simple/policies/project.yaml'].map((f) => parse(read(f)) as unknown);

/** A bundled policy with its structure mutated, then written back as YAML and sometimes cut or spliced. */
const policyText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...seeds.map((_, i) => i)), fc.nat(), fc.constantFrom('none', 'none', 'none', 'truncate', 'splice'), fc.constantFrom(':', '- ', '\n  ', '"', "'", '{', '[', '&a ', '*a', '!!binary ', '#', '\t', '---\n'))
  .chain(([seed, at, how, bytes]) =>
    mutatedJson(seeds[seed]).map((doc) => {
      const text = stringify(doc);
      const cut = at % (text.length + 1);
      if (how === 'truncate') return text.slice(0, cut);
      if (how === 'splice') return text.slice(0, cut) + bytes + text.slice(cut);
      return text;
    }),
  );

const requestFor = (kind: string): CheckRequest => ({
  principal: { id: 'alice', roles: ['user', 'admin', 'manager'], attr: { department: 'eng', level: 3 } },
  resources: [{ resource: { kind, id: 'r1', attr: { owner: 'alice', status: 'draft', department: 'eng', amount: 10 } }, actions: ['view', 'edit', 'approve', 'share'] }],
});

test(`policy YAML: ${FUZZ_RUNS} mutated policies load or fail with one clean file:line:column error; loaded ones answer checks`, async () => {
  const outcomes = { loaded: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(policyText, async (text) => {
      await withinCaseLimit('loading and checking a policy', () => {
        const set = onlyInputErrors(() => compilePolicySources([derivedRoles, { file: '/p/policy.yaml', text }]));
        outcomes[set instanceof InputError ? 'refused' : 'loaded']++;
        if (set instanceof InputError) return;
        const engine = createEngine(set);
        for (const kind of ['document', 'expense', 'project']) assert.equal(engine.check(requestFor(kind)).results.length, 1);
      });
    }),
    FUZZ_PARAMETERS,
  );
  // the mutations reach both outcomes, so neither path goes untested (about 9-11 % of them load:
  // 177, 198 and 2xx of 2,000 in runs seen, so the floor is half that share)
  assert.ok(outcomes.loaded > FUZZ_RUNS / 20 && outcomes.refused > FUZZ_RUNS / 20, JSON.stringify(outcomes));
});

test('YAML alias expansion is bounded: an alias bomb is an InputError, not a memory blow-up', async () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
  await withinCaseLimit('an alias bomb', () => {
    const result = onlyInputErrors(() => compilePolicySources([{ file: '/p/bomb.yaml', text: bomb }]));
    assert.ok(result instanceof InputError);
  });
});
