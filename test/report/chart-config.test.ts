import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartHeightPx, chartJsConfig, CHART_PALETTE } from '../../src/report/chart-config.js';
import { syntheticCharts } from './synthetic-section.js';

const [opsBar, latencyLine, costHorizontal] = syntheticCharts as [typeof syntheticCharts[0], typeof syntheticCharts[0], typeof syntheticCharts[0]];

test('bar chart with log scale and error bars', () => {
  const c = chartJsConfig(opsBar);
  assert.equal(c.type, 'bar');
  assert.equal(c.options.indexAxis, 'x');
  assert.equal(c.options.scales.y?.type, 'logarithmic');
  assert.equal(c.options.scales.y?.beginAtZero, undefined, 'log axes do not start at zero');
  assert.deepEqual(c.data.datasets[0]?.errorBars, opsBar.series[0]!.errors);
  const top = Math.max(...opsBar.series[0]!.values.map((v, i) => v! + opsBar.series[0]!.errors![i]!));
  assert.equal(c.options.scales.y?.suggestedMax, top, 'axis reaches the top of the highest error bar');
  assert.equal(c.options.plugins.legend.display, false, 'no legend for a single series');
});

test('line chart with a right axis and bars mixed in', () => {
  const c = chartJsConfig(latencyLine);
  assert.equal(c.type, 'line');
  const [p50, p99, rps] = c.data.datasets;
  assert.equal(p50?.type, undefined);
  assert.equal(p99?.data[59], null, 'gaps stay gaps');
  assert.equal(rps?.type, 'bar');
  assert.equal(rps?.yAxisID, 'y2');
  assert.equal(c.options.scales.y2?.position, 'right');
  assert.equal(c.options.scales.y2?.title.text, 'req/s');
  assert.equal(c.options.scales.y2?.grid?.drawOnChartArea, false);
  assert.equal(p50?.pointRadius, 0, 'no point markers on long series');
  assert.equal(p50?.borderColor, CHART_PALETTE[0]);
});

test('horizontal bars put categories on y and grow with their count', () => {
  const c = chartJsConfig(costHorizontal);
  assert.equal(c.type, 'bar');
  assert.equal(c.options.indexAxis, 'y');
  assert.equal(c.options.scales.y?.type, 'category');
  assert.equal(c.options.scales.y?.title.text, 'expression');
  assert.equal(c.options.scales.x?.title.text, 'cost units');
  assert.ok(chartHeightPx({ ...costHorizontal, labels: Array.from({ length: 30 }, (_, i) => i) }) > chartHeightPx(costHorizontal));
});

test('per-bar colours and non-finite values', () => {
  const c = chartJsConfig({
    id: 'x', title: 't', type: 'bar', xLabel: '', yLabel: '', labels: ['a', 'b'],
    series: [{ label: 's', values: [Number.NaN, 2], color: ['#1a7f37', '#cf222e'] }],
  });
  assert.deepEqual(c.data.datasets[0]?.data, [null, 2]);
  assert.deepEqual(c.data.datasets[0]?.backgroundColor, ['#1a7f37bf', '#cf222ebf']);
  assert.equal(c.options.scales.x?.title.display, false);
});
