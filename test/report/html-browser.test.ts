import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { Report } from '../../src/report/types.js';
import { renderHtmlPage } from '../../src/report/render-html.js';
import { renderReport } from '../../src/report/render.js';
import { FIXTURES, shellFixture, syntheticRenderer } from './synthetic-section.js';

const CHROMIUM = '/usr/bin/chromium';

interface PageCheck {
  canvases: Array<{ id: string; cssWidth: number; cssHeight: number; width: number; height: number; paintedPixels: number; drawn: boolean }>;
}

const MEASURE_CANVASES = `(() => {
  const canvases = Array.from(document.querySelectorAll('canvas')).map((c) => {
    const rect = c.getBoundingClientRect();
    const ctx = c.getContext('2d');
    let painted = 0;
    if (ctx && c.width > 0 && c.height > 0) {
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    }
    return { id: c.id, cssWidth: rect.width, cssHeight: rect.height, width: c.width, height: c.height,
      paintedPixels: painted, drawn: c.dataset.chartDrawn === 'true' };
  });
  return { canvases };
})()`;

/** Pages to open: the synthetic shell page (every chart feature) and each room's fixture report. */
function pages(dir: string): Array<{ name: string; file: string; expectedCharts: number }> {
  const synthetic = shellFixture();
  const section = syntheticRenderer.html(synthetic);
  const list = [{ name: 'report-shell', html: renderHtmlPage({ ...synthetic, interrupted: true }, section), expectedCharts: section.charts.length }];
  const fixtureDir = FIXTURES.pathname;
  for (const name of readdirSync(fixtureDir).filter((f) => f.endsWith('-report.json')).sort()) {
    const report = JSON.parse(readFileSync(path.join(fixtureDir, name), 'utf8')) as Report;
    const html = renderReport(report, 'html', { color: false });
    list.push({ name: name.replace(/\.json$/, ''), html, expectedCharts: (html.match(/"heightPx":/g) ?? []).length });
  }
  return list.map((p) => {
    const file = path.join(dir, `${p.name}.html`);
    writeFileSync(file, p.html);
    return { name: p.name, file, expectedCharts: p.expectedCharts };
  });
}

test('HTML reports render in headless Chromium: no errors, every chart drawn, offline', { timeout: 90_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} not found: install the Debian "chromium" package to run the browser test (.ci/run installs it in CI)`);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-html-'));
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    for (const { name, file, expectedCharts } of pages(dir)) {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('request', (req) => {
        if (!/^(file|data|blob):/.test(req.url())) problems.push(`network request: ${req.url()}`);
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // a string, so this file needs no DOM typings; runs in the page
      const check = (await page.evaluate(MEASURE_CANVASES)) as PageCheck;
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
      t.diagnostic(`${name}: ${check.canvases.length} chart(s); screenshot ${path.join(dir, `${name}.png`)}`);

      assert.deepEqual(problems, [], `${name}: console/page errors or network use`);
      assert.equal(check.canvases.length, expectedCharts, `${name}: one canvas per chart spec`);
      for (const c of check.canvases) {
        assert.ok(c.cssWidth > 0 && c.cssHeight > 0, `${name}: canvas ${c.id} has zero size`);
        assert.ok(c.width > 0 && c.height > 0, `${name}: canvas ${c.id} has no backing store`);
        assert.ok(c.drawn, `${name}: Chart.js did not draw ${c.id}`);
        assert.ok(c.paintedPixels > 500, `${name}: canvas ${c.id} is blank`);
      }
      await page.close();
    }
  } finally {
    await browser?.close();
  }
});
