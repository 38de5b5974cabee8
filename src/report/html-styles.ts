/**
 * Stylesheet of HTML reports. Classes section renderers may use: `num` / `center` (cell
 * alignment), `kv` (label/value table), `compact` (dense table), `badge badge-good|warn|bad|info`,
 * `stats` > `stat [stat-good|stat-warn|stat-bad]` > `stat-value` + `stat-label` (key figures),
 * `chart` (figure around a canvas), `note`, `good`, `warn`, `bad` (paragraph tones).
 */
export const HTML_STYLES = `
:root { --fg: #1d2330; --muted: #5b6472; --line: #d9dee5; --bg: #ffffff; --panel: #f6f8fa;
  --accent: #0b5cad; --good: #1a7f37; --warn: #9a6700; --bad: #cf222e; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main, .report-header, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
.report-header { padding-top: 20px; padding-bottom: 12px; border-bottom: 3px solid var(--accent); }
.brand { font-weight: 600; color: var(--accent); letter-spacing: .02em; }
.brand .version { color: var(--muted); font-weight: 400; }
h1 { font-size: 26px; margin: 4px 0 6px; }
h1 .command { font: 500 15px/1 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--muted);
  background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 3px 6px; vertical-align: middle; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.meta { margin: 2px 0; color: var(--muted); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
code { background: var(--panel); border-radius: 3px; padding: 1px 4px; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px; overflow: auto; max-height: 480px; }
.banner { margin: 12px 0 0; padding: 10px 14px; border-radius: 6px; border: 1px solid; }
.banner-warn { background: #fff8c5; border-color: #d4a72c; color: #4d3800; }
table { border-collapse: collapse; margin: 10px 0 16px; font-variant-numeric: tabular-nums; width: auto; max-width: 100%; }
.table-scroll { max-width: 100%; overflow-x: auto; margin: 10px 0 16px; }
.table-scroll > table { margin: 0; }
/* code in a crowded table keeps a readable width; the table scrolls instead */
td > code:only-child { display: inline-block; min-width: 18em; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; text-align: left; }
thead th { background: var(--panel); border-bottom: 2px solid var(--line); vertical-align: bottom; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
td.center, th.center { text-align: center; }
table.compact th, table.compact td { padding: 2px 8px; }
table.kv th { background: none; font-weight: 600; color: var(--muted); white-space: nowrap; padding-right: 18px; }
table.kv td { word-break: break-word; }
.kv-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 0 32px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600; line-height: 18px; border: 1px solid; }
.badge-good { color: var(--good); border-color: #8fd19e; background: #e9f7ec; }
.badge-warn { color: var(--warn); border-color: #e6c36a; background: #fff8e1; }
.badge-bad { color: var(--bad); border-color: #f1a1a8; background: #ffebe9; }
.badge-info { color: var(--muted); border-color: var(--line); background: var(--panel); }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
.stat { flex: 1 1 150px; max-width: 260px; border: 1px solid var(--line); border-left: 4px solid var(--accent);
  border-radius: 6px; padding: 8px 12px; background: var(--bg); }
.stat-good { border-left-color: var(--good); } .stat-warn { border-left-color: #d4a72c; } .stat-bad { border-left-color: var(--bad); }
.stat-value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat-label { color: var(--muted); font-size: 12.5px; }
p.note { color: var(--muted); } p.good { color: var(--good); } p.warn { color: var(--warn); } p.bad { color: var(--bad); }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
figure.chart { margin: 12px 0; padding: 10px; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); min-width: 0; }
.chart-box { position: relative; width: 100%; }
details.raw { margin: 24px 0; }
details.raw summary { cursor: pointer; color: var(--accent); font-weight: 600; }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 5px; background: var(--panel); cursor: pointer; }
footer { color: var(--muted); font-size: 12px; padding-top: 12px; padding-bottom: 28px; border-top: 1px solid var(--line); margin-top: 24px; }
@media (max-width: 640px) { .chart-grid, .kv-grid { grid-template-columns: 1fr; } }
@media print {
  @page { margin: 14mm; }
  body { font-size: 11px; }
  main, .report-header, footer { max-width: none; padding: 0; }
  details.raw, button { display: none; }
  figure.chart, table, .stats { break-inside: avoid; }
  .table-scroll { overflow: visible; }
  .chart-grid { grid-template-columns: 1fr 1fr; }
  tbody tr:nth-child(even) td { background: none; }
  a { color: inherit; text-decoration: none; }
}
`;
