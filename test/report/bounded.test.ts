import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../../src/report/render.js';
import { loadReport } from '../../src/report/load.js';
import { largeCelReport } from './large-cel-report.js';

/** the bounds every analyze-cel report keeps, at any number of expressions */
const JSON_BYTES_PER_EXPRESSION = 600;
const MARKDOWN_MAX_BYTES = 200 * 1024;
const HTML_MAX_BYTES = 2 * 1024 * 1024;

for (const n of [4_000, 40_000]) {
  test(`analyze-cel report of ${n.toLocaleString('en-US')} expressions: JSON ≤ 600 B per expression with all of them, Markdown < 200 KB, HTML < 2 MB`, { timeout: 120_000 }, async (t) => {
    const report = await largeCelReport(n);
    const s = report.celAnalysis;
    assert.equal(s.totals.expressions, n);

    const json = renderReport(report, 'json', { color: false });
    const jsonBytes = Buffer.byteLength(json);
    assert.ok(jsonBytes <= n * JSON_BYTES_PER_EXPRESSION, `JSON ${jsonBytes} bytes for ${n} expressions`);
    // every expression's figures are in it, and it reads back
    const loaded = loadReport(json, 'big.json');
    assert.ok(loaded.command === 'analyze-cel');
    assert.equal(loaded.celAnalysis.index.rows.length, n);
    assert.equal(loaded.celAnalysis.expressions.length, 100);
    assert.equal(new Set(loaded.celAnalysis.index.rows.map((r) => r[1])).size, n);

    const md = renderReport(report, 'md', { color: false });
    assert.ok(Buffer.byteLength(md) < MARKDOWN_MAX_BYTES, `Markdown ${Buffer.byteLength(md)} bytes`);
    assert.match(md, new RegExp(`the other ${(n - 100).toLocaleString('en-US')} are left out here\\. The JSON report has every expression's figures`));
    assert.match(md, /### Cost distribution/);
    assert.match(md, /### Expressions \(worst 100 first\)/);

    const html = renderReport(report, 'html', { color: false });
    assert.ok(Buffer.byteLength(html) < HTML_MAX_BYTES, `HTML ${Buffer.byteLength(html)} bytes`);
    assert.match(html, /id="analyze-cel-max-cost-histogram"/);
    assert.match(html, /too large to embed here/);
    // the worst 100 in full: each listed expression's location is on the page
    for (const e of s.expressions) assert.ok(html.includes(`>${e.id}<`), `${e.id} listed`);

    const terminal = renderReport(report, 'terminal', { color: false });
    t.diagnostic(`${n} expressions: JSON ${jsonBytes} B (${Math.round(jsonBytes / n)} B each), Markdown ${Buffer.byteLength(md)} B, HTML ${Buffer.byteLength(html)} B, terminal ${terminal.length} characters`);
    assert.ok(terminal.length < 64 * 1024, `terminal ${terminal.length} characters`);
  });
}
