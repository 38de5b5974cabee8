import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runCli } from '../helpers/cli.js';
import { CEL_MAX_NESTING, celNestingError, compilePolicySources } from '../../src/engine/index.js';
import { analyzeExpression, standalonePosition } from '../../src/cel/analyze.js';
import { generateCorpus } from '../../src/cel/corpus.js';
import { InputError } from '../../src/util/errors.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const NOTS = '!'.repeat(10_000) + 'true';
const ORS = Array.from({ length: 20_000 }, (_, i) => `R.attr.a${i}`).join(' || ');

test('celNestingError: 10,000 nested ! and a 20,000-term || are refused where they pass the limit', () => {
  assert.deepEqual(celNestingError(NOTS)?.offset, CEL_MAX_NESTING);
  const or = celNestingError(ORS);
  assert.ok(or);
  assert.equal(ORS.slice(or.offset, or.offset + 2), '||');
  assert.equal(ORS.slice(0, or.offset).split('||').length - 1, CEL_MAX_NESTING);
  assert.match(or.message, new RegExp(`more than ${CEL_MAX_NESTING} levels`));
  // brackets count; commas start a new chain; strings and comments are not read
  assert.ok(celNestingError('('.repeat(CEL_MAX_NESTING + 1) + '1' + ')'.repeat(CEL_MAX_NESTING + 1)));
  assert.equal(celNestingError(`[${Array.from({ length: 5_000 }, () => '1 + 1').join(', ')}]`), null);
  assert.equal(celNestingError(`"${'!'.repeat(5_000)}" == R.attr.x // ${'|| '.repeat(1_000)}`), null);
});

test('property: realistic expressions are never refused; arbitrary text never throws', () => {
  const corpus = generateCorpus(2_000, 9);
  for (const e of corpus) assert.equal(celNestingError(e), null, e);
  // long (thousands of characters) but shallow: 100 conditions joined by &&
  for (let i = 0; i < corpus.length; i += 100) {
    const long = corpus.slice(i, i + 100).map((e) => `(${e})`).join(' && ');
    assert.ok(long.length > 2 * CEL_MAX_NESTING);
    assert.equal(celNestingError(long), null);
  }
  fc.assert(
    // longer than the limit, so the scan runs, mostly of operator and bracket characters
    fc.property(fc.string({ unit: fc.constantFrom('!', '-', '(', ')', '[', ']', ',', '|', '&', ' ', 'a', '"', "'", '\\', '/', 'i', 'n'), minLength: 501, maxLength: 1_500 }), (s) => {
      const r = celNestingError(s);
      assert.ok(r === null || (r.offset >= 0 && r.offset < s.length));
    }),
    { numRuns: 2_000 },
  );
});

test('analyze-cel: a too-deep expression is a per-expression error at its position, never a stack overflow', async () => {
  for (const text of [NOTS, ORS]) {
    const r = analyzeExpression({ text, origin: { kind: 'expr', file: null }, position: standalonePosition(text) });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /nested more than 500 levels/);
  }
  const run = await runCli(['analyze-cel', '--no-report', '--expr', NOTS, '--expr', 'R.attr.x == 1'], { cwd: ROOT });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^authz-perf: --expr:1:501: expression nested more than 500 levels deep/);
  assert.doesNotMatch(run.stderr + run.stdout, /Maximum call stack/);
});

test('policy loading (and so serve): a too-deep condition is file:line:column naming the limit', () => {
  for (const text of [NOTS, ORS]) {
    const policy = `apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: ["view"]\n      effect: EFFECT_ALLOW\n      roles: ["user"]\n      condition:\n        match:\n          expr: "${text}"\n`;
    assert.throws(
      () => compilePolicySources([{ file: 'deep.yaml', text: policy }]),
      (e: unknown) => e instanceof InputError && /^deep\.yaml:11:\d+: CEL syntax error: expression nested more than 500 levels/.test(e.describe()),
    );
  }
});

test('analyze-cel on an empty folder: exit 2, "no inputs found"', async () => {
  const run = await runCli(['analyze-cel', '--no-report', 'test/fixtures/cel-empty-folder-does-not-exist'], { cwd: ROOT });
  assert.equal(run.code, 2);
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/authz-perf-empty-`);
  try {
    const empty = await runCli(['analyze-cel', '--no-report', dir], { cwd: ROOT });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no inputs found/);
    assert.equal(empty.stderr.trim().split('\n').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
