/**
 * The verify section's renderers, from a saved report (test/targets/fixtures/verify-report.json:
 * 200 rbac-simple requests, Cerbos 0.55.0 against our engine with one DENY rule removed from its
 * copy of the policies, so 13 editor deletes differ).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadReport } from '../../src/report/load.js';
import { renderReport, reportHeadlines } from '../../src/report/render.js';
import type { VerifyReport } from '../../src/report/types.js';
import { PACKAGE_ROOT } from '../../src/util/version.js';

const file = join(PACKAGE_ROOT, 'test', 'targets', 'fixtures', 'verify-report.json');
const report = loadReport(readFileSync(file, 'utf8'), file) as VerifyReport;

test('the saved report loads as a verify report with its differences', () => {
  assert.equal(report.command, 'verify');
  assert.equal(report.verify.differingActions, 13);
  assert.equal(report.verify.differences.length, 3);
});

test('terminal: the verdict, agreement per action and the first differences with both effects', () => {
  const text = renderReport(report, 'terminal', { color: false });
  assert.match(text, /13 of 797 actions differ \(1\.63%\)/);
  assert.match(text, /First 3 of 13 differences/);
  assert.match(text, /│ document\s+│ delete\s+│\s+\d+ │\s+13 │/);
  assert.match(text, /│\s+3 │ user-872\s+│ editor\s+│ document\/document-32579 │ delete │ ALLOW\s+│ DENY\s+│/);
  assert.match(text, /Cerbos 0\.55\.0 \(platform package/);
});

test('Markdown and HTML carry the same rows', () => {
  const md = renderReport(report, 'md', { color: false });
  assert.match(md, /## Decision check: reference engine vs Cerbos/);
  assert.match(md, /\| 3 \| user-872 \| editor \| document\/document-32579 \| delete \| ALLOW \| DENY \|/);
  const html = renderReport(report, 'html', { color: false });
  assert.match(html, /<h2 id="verify">Decision check: reference engine vs Cerbos<\/h2>/);
  assert.match(html, /document\/document-32579/);
  assert.match(html, /differ<\/span>/);
});

test('headlines: differing actions (lower is better) and agreement', () => {
  const byKey = new Map(reportHeadlines(report).map((h) => [h.key, h]));
  assert.equal(byKey.get('verify/differingActions')?.value, 13);
  assert.equal(byKey.get('verify/differingActions')?.better, 'lower');
  assert.equal(byKey.get('verify/agreement')?.value, (797 - 13) / 797);
});

test('an agreeing run has no differences table', () => {
  const agreeing: VerifyReport = { ...report, verify: { ...report.verify, differingActions: 0, agreement: 1, passed: true, differences: [], perAction: report.verify.perAction.map((a) => ({ ...a, differing: 0 })) } };
  const text = renderReport(agreeing, 'terminal', { color: false });
  assert.match(text, /all 797 actions agree/);
  assert.doesNotMatch(text, /differences/i);
});
