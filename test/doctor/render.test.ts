/**
 * The doctor section renders from a saved report (a real `doctor --scenario heavy-cel --load 200`
 * run): findings first in every format, headline figures visible, charts in the HTML, the schema
 * accepts it and `report` re-renders it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadReport } from '../../src/report/load.js';
import { renderReport, reportHeadlines, reportHtmlSection } from '../../src/report/render.js';
import type { DoctorReport } from '../../src/report/types.js';
import { missingHeadlines, visibleText } from '../report/fixture-checks.js';

const FILE = new URL('../../../test/doctor/fixtures/doctor-report.json', import.meta.url);
const report = loadReport(readFileSync(FILE, 'utf8'), 'doctor-report.json') as DoctorReport;

test('the fixture report validates and is a doctor report with findings', () => {
  assert.equal(report.command, 'doctor');
  assert.ok(report.doctor.findings.length > 0);
});

for (const format of ['terminal', 'md', 'html'] as const) {
  test(`${format}: findings come first, with their actions, and every headline figure is visible`, () => {
    const out = renderReport(report, format, { color: false });
    const text = visibleText(out, format);
    const first = report.doctor.findings[0]!;
    const at = text.indexOf(first.ruleId);
    assert.ok(at >= 0, 'the first finding is shown');
    assert.ok(at < text.indexOf('Figures over the window'), 'findings come before the figures');
    for (const f of report.doctor.findings) assert.ok(text.includes(f.ruleId), `${f.ruleId} shown`);
    assert.deepEqual(missingHeadlines(reportHeadlines(report), text).map((h) => h.key), []);
  });
}

test('html: the evidence charts over the window (latency, hit rate, heap, GC)', () => {
  const ids = reportHtmlSection(report).charts.map((c) => c.id);
  assert.deepEqual(ids, ['doctor-latency', 'doctor-hit-rate', 'doctor-heap', 'doctor-gc']);
});

test('coloured terminal output differs only by ANSI codes', () => {
  const plain = renderReport(report, 'terminal', { color: false });
  const coloured = renderReport(report, 'terminal', { color: true });
  assert.notEqual(plain, coloured);
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
});
