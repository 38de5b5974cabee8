import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Report } from '../../src/report/types.js';
import type { Headline } from '../../src/report/render-types.js';
import { changePercent, compareReports, verdictOf } from '../../src/report/compare.js';
import { comparisonMarkdown, comparisonTerminal } from '../../src/report/render-compare.js';
import { InputError } from '../../src/util/errors.js';
import { shellFixture } from './synthetic-section.js';

const h = (key: string, value: number, better: Headline['better'], unit = 'ops/s'): Headline => ({ key, label: key, value, unit, better });
const a = shellFixture();
const b: Report = { ...a, startedAt: '2026-11-24T09:30:00.000Z', environment: { ...a.environment, cores: 8 } };

test('change in percent and verdict follow the headline direction', () => {
  assert.equal(changePercent(100, 110), 10);
  assert.equal(changePercent(-50, -25), 50);
  assert.equal(changePercent(0, 0), 0);
  assert.equal(changePercent(0, 5), null);
  assert.equal(verdictOf(10, 100, 110, 'higher', 1), 'better');
  assert.equal(verdictOf(10, 100, 110, 'lower', 1), 'worse');
  assert.equal(verdictOf(-0.5, 100, 99.5, 'higher', 1), 'unchanged');
  assert.equal(verdictOf(null, 0, 5, 'lower', 1), 'worse');
});

test('headlines join on key; the rest are listed as only in A or B', () => {
  const c = compareReports(
    { report: a, file: 'a.json', headlines: [h('x', 100, 'higher'), h('lat', 2, 'lower', 'ms'), h('gone', 1, 'higher')] },
    { report: b, file: 'b.json', headlines: [h('lat', 3, 'lower', 'ms'), h('x', 100.5, 'higher'), h('new', 1, 'higher')] },
  );
  assert.deepEqual(c.rows.map((r) => [r.key, r.a, r.b, r.verdict]), [['x', 100, 100.5, 'unchanged'], ['lat', 2, 3, 'worse']]);
  assert.equal(c.rows[1]?.changePercent, 50);
  assert.deepEqual(c.onlyInA.map((x) => x.key), ['gone']);
  assert.deepEqual(c.onlyInB.map((x) => x.key), ['new']);
  assert.deepEqual(c.environmentDifferences, ['cores: 2 → 8']);
  assert.deepEqual(c.summary, { better: 0, worse: 1, unchanged: 1 });

  const text = comparisonTerminal(c, { color: false });
  assert.match(text, /! environments differ: cores: 2 → 8/);
  assert.match(text, /│ lat\s+│\s+2\.00 ms │\s+3\.00 ms │ \+50\.0% │ ↓ lower\s+│ worse/);
  assert.match(text, /Only in A: gone\nOnly in B: new/);
  assert.doesNotMatch(text, /\u001b\[/);
  assert.match(comparisonMarkdown(c), /> The environments differ/);
});

test('reports of different commands do not compare', () => {
  const size = { ...a, command: 'size' } as unknown as Report;
  assert.throws(() => compareReports({ report: a, file: 'a.json', headlines: [] }, { report: size, file: 's.json', headlines: [] }), InputError);
});
