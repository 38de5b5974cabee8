import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportBaseName } from '../../src/report/file-name.js';
import { renderHtmlPage } from '../../src/report/render-html.js';
import { shellFixture, syntheticRenderer } from './synthetic-section.js';

test('reportBaseName is the command and the UTC start time to the second', () => {
  assert.equal(reportBaseName({ command: 'bench', startedAt: '2026-11-23T09:30:00.123Z' }), 'bench-20261123T093000Z');
  assert.equal(reportBaseName({ command: 'size', startedAt: '2026-01-02T03:04:05Z' }), 'size-20260102T030405Z');
});

test('the HTML page names its JSON the way the CLI saves it: download name and re-render hint', () => {
  const report = { ...shellFixture(), startedAt: '2026-11-23T09:30:00.456Z' };
  const html = renderHtmlPage(report, syntheticRenderer.html(report));
  assert.match(html, /data-filename="bench-20261123T093000Z\.json"/);
  assert.match(html, /re-render with <code>authz-perf report bench-20261123T093000Z\.json<\/code>/);
});
