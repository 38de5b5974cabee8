import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { renderReport, reportHeadlines, type ReportFormat } from '../../src/report/render.js';
import { loadReport } from '../../src/report/load.js';
import { fixtureReports, isFixtureReportName, missingHeadlines, visibleText } from './fixture-checks.js';
import { FIXTURES } from './synthetic-section.js';

const fixtures = fixtureReports(FIXTURES.pathname);
const ANSI = /\u001b\[/;

test('fixture reports are present for the commands that have committed one', (t) => {
  const names = readdirSync(FIXTURES.pathname).filter(isFixtureReportName);
  t.diagnostic(`fixture reports: ${names.join(', ') || 'none yet'}`);
  assert.equal(fixtures.length, names.length, 'every fixture report loads and validates');
});

for (const { name, report } of fixtures) {
  test(`${name}: renders in every format with its headline figures visible`, () => {
    const headlines = reportHeadlines(report);
    assert.ok(headlines.length > 0, `${report.command} section has no headlines (comparisons need them)`);
    const keys = new Set<string>();
    for (const h of headlines) {
      assert.ok(!keys.has(h.key), `duplicate headline key ${h.key}`);
      keys.add(h.key);
      assert.ok(Number.isFinite(h.value), `headline ${h.key} is not a finite number`);
      assert.ok(h.better === 'higher' || h.better === 'lower');
    }
    for (const format of ['terminal', 'md', 'html'] as const satisfies readonly ReportFormat[]) {
      const output = renderReport(report, format, { color: false });
      assert.ok(output.length > 200, `${format} output is suspiciously short`);
      if (format !== 'html') assert.doesNotMatch(output, ANSI, `${format} output without colour has ANSI escapes`);
      const missing = missingHeadlines(headlines, visibleText(output, format));
      assert.deepEqual(
        missing.map((h) => `${h.label} = ${h.value} ${h.unit}`),
        [],
        `${format}: headline figures not found in the output`,
      );
    }
  });

  test(`${name}: coloured terminal output differs only by ANSI codes`, () => {
    const plain = renderReport(report, 'terminal', { color: false });
    const coloured = renderReport(report, 'terminal', { color: true });
    assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
  });

  test(`${name}: JSON output round-trips through loadReport`, () => {
    const json = renderReport(report, 'json', { color: false });
    assert.deepEqual(loadReport(json, name), JSON.parse(json));
    assert.deepEqual(JSON.parse(json), report);
  });
}
