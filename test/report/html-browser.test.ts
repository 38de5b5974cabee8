import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { renderHtmlPage } from '../../src/report/render-html.js';
import { renderReport } from '../../src/report/render.js';
import { loadReport } from '../../src/report/load.js';
import { largeCelReport } from './large-cel-report.js';
import { compareReports } from '../../src/report/compare.js';
import { renderComparison } from '../../src/report/render-compare.js';
import { FIXTURES, shellFixture, syntheticHeadlines, syntheticRenderer } from './synthetic-section.js';
import { isFixtureReportName } from './fixture-checks.js';

const CHROMIUM = '/usr/bin/chromium';
/** Quiet, offline-friendly flags; the profile is a fresh --user-data-dir per run (launchPersistentContext). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface PageCheck {
  /** document width vs viewport width: wide tables must scroll in their own box, not widen the page */
  scrollWidth: number;
  clientWidth: number;
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
  return { scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth, canvases };
})()`;

/**
 * Pages to open: the synthetic shell page (every chart feature), a comparison, each fixture
 * report (read as `authz-perf report` reads it), and an analyze-cel report of 40,000 expressions.
 */
async function pages(dir: string): Promise<Array<{ name: string; file: string; expectedCharts: number }>> {
  const synthetic = shellFixture();
  const section = syntheticRenderer.html(synthetic);
  const changed = syntheticHeadlines.map((h, i) => ({ ...h, value: h.value * [1.12, 0.93, 1.004][i % 3]! }));
  const comparison = compareReports({ report: synthetic, file: 'a.json', headlines: syntheticHeadlines }, { report: synthetic, file: 'b.json', headlines: changed });
  const list = [
    { name: 'report-shell', html: renderHtmlPage({ ...synthetic, interrupted: true }, section), expectedCharts: section.charts.length },
    { name: 'comparison', html: renderComparison(comparison, 'html', { color: false }), expectedCharts: 1 },
  ];
  const fixtureDir = FIXTURES.pathname;
  for (const name of readdirSync(fixtureDir).filter(isFixtureReportName).sort()) {
    const report = loadReport(readFileSync(path.join(fixtureDir, name), 'utf8'), name);
    const html = renderReport(report, 'html', { color: false });
    list.push({ name: name.replace(/\.json$/, ''), html, expectedCharts: (html.match(/"heightPx":/g) ?? []).length });
  }
  const large = renderReport(await largeCelReport(40_000), 'html', { color: false });
  assert.ok(Buffer.byteLength(large) < 2 * 1024 * 1024, `the 40,000-expression page is ${Buffer.byteLength(large)} bytes`);
  list.push({ name: 'analyze-cel-40000-expressions', html: large, expectedCharts: (large.match(/"heightPx":/g) ?? []).length });
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
  const profile = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-chromium-profile-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: 30_000,
    });
    const browser = context;
    // pages load concurrently (the renderer processes run in parallel); assertions follow in order
    const results = await Promise.all(
      (await pages(dir)).map(async ({ name, file, expectedCharts }) => {
        const page = await browser.newPage();
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
        const screenshot = path.join(dir, `${name}.png`);
        await page.screenshot({ path: screenshot, fullPage: true });
        await page.close();
        return { name, expectedCharts, problems, check, screenshot };
      }),
    );
    for (const { name, expectedCharts, problems, check, screenshot } of results) {
      t.diagnostic(`${name}: ${check.canvases.length} chart(s); screenshot ${screenshot}`);
      assert.deepEqual(problems, [], `${name}: console/page errors or network use`);
      assert.ok(check.scrollWidth <= check.clientWidth, `${name}: page is ${check.scrollWidth}px wide in a ${check.clientWidth}px viewport`);
      assert.equal(check.canvases.length, expectedCharts, `${name}: one canvas per chart spec`);
      for (const c of check.canvases) {
        assert.ok(c.cssWidth > 0 && c.cssHeight > 0, `${name}: canvas ${c.id} has zero size`);
        assert.ok(c.width > 0 && c.height > 0, `${name}: canvas ${c.id} has no backing store`);
        assert.ok(c.drawn, `${name}: Chart.js did not draw ${c.id}`);
        assert.ok(c.paintedPixels > 500, `${name}: canvas ${c.id} is blank`);
      }
    }
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
