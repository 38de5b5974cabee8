/**
 * Renderers for the `bench` section: pure functions of the report (terminal, Markdown, HTML +
 * charts, headlines). They never measure.
 */
import type { BenchReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { ChartSpec } from '../chart.js';
import type {
  AlternatingRatios,
  BaselineComparison,
  BaselineTaskComparison,
  BenchScenarioResult,
  BenchSection,
  BenchTaskResult,
  CelEngineComparison,
  StageBreakdown,
} from '../../bench/types.js';
import { NOISY_RME_PERCENT } from '../../bench/types.js';
import {
  escapeHtml,
  formatBytes,
  formatChangePercent,
  formatCount,
  formatDurationNs,
  formatNumber,
  formatPercent,
  formatPercentValue,
  formatRate,
  htmlBadge,
  htmlChart,
  htmlHeading,
  htmlList,
  htmlParagraph,
  htmlStatCards,
  htmlTable,
  markdownCode,
  markdownTable,
  paint,
  rawHtml,
  terminalHeading,
  terminalTable,
  type Cell,
  type TableSpec,
} from '../helpers.js';

type Tone = 'good' | 'bad' | 'warn';

// ── shared row builders (one source for all three formats) ─────────────────────────────────

const TASK_HEAD = ['task', 'ops/s', 'mean', 'p50', 'p75', 'p99', 'p99.9', 'min', 'max', 'rme', 'samples'];

function taskRow(t: BenchTaskResult): Cell[] {
  return [
    t.name,
    formatRate(t.opsPerSec, t.unit ? `${t.unit}/s` : 'ops/s').replace(/ ops\/s$/, ''),
    formatDurationNs(t.meanNs),
    formatDurationNs(t.p50Ns),
    formatDurationNs(t.p75Ns),
    formatDurationNs(t.p99Ns),
    formatDurationNs(t.p999Ns),
    formatDurationNs(t.minNs),
    formatDurationNs(t.maxNs),
    rmeText(t),
    formatCount(t.samples),
  ];
}

/** rme, marked when above NOISY_RME_PERCENT (with the repeats it took, if any). */
function rmeText(t: BenchTaskResult): string {
  const rme = `±${formatPercentValue(t.rmePercent, 2)}`;
  if (t.rmePercent <= NOISY_RME_PERCENT) return t.repeats ? `${rme} (${t.repeats} repeat${t.repeats === 1 ? '' : 's'})` : rme;
  return `${rme} ⚠ noisy${t.repeats ? ` after ${t.repeats} repeat${t.repeats === 1 ? '' : 's'}` : ''}`;
}

/**
 * Lists are capped so a scenario with thousands of conditions (one `cel:<id>` task each) still
 * renders to a bounded page; the JSON report has every task.
 */
const LISTED_CEL_TASKS = 40;
const LISTED_CEL_CONDITIONS = 40;
const LISTED_BASELINE_TASKS = 60;
const LISTED_WARNINGS = 20;

function isCelTask(t: BenchTaskResult): boolean {
  return t.id.startsWith('cel:');
}

/** Every task except the per-condition `cel:` ones, and the LISTED_CEL_TASKS slowest of those, in run order. */
function listedTasks(s: BenchScenarioResult): BenchTaskResult[] {
  const cel = s.tasks.filter(isCelTask);
  if (cel.length <= LISTED_CEL_TASKS) return s.tasks;
  const slowest = new Set([...cel].sort((a, b) => a.opsPerSec - b.opsPerSec).slice(0, LISTED_CEL_TASKS));
  return s.tasks.filter((t) => !isCelTask(t) || slowest.has(t));
}

/** "… N more …" for a capped list, or null. */
function leftOut(s: BenchScenarioResult): string | null {
  const hidden = s.tasks.length - listedTasks(s).length;
  return hidden > 0 ? `… ${formatCount(hidden)} faster cel: tasks left out (the ${LISTED_CEL_TASKS} slowest are listed); the JSON report has every task.` : null;
}

function more(shown: number, total: number, what: string): string | null {
  return total > shown ? `… ${formatCount(total - shown)} more ${what} in the JSON report.` : null;
}

function tasksTable(s: BenchScenarioResult): TableSpec {
  return { head: TASK_HEAD, rows: listedTasks(s).map(taskRow) };
}

/** The slowest conditions by @marcbachmann/cel-js time, capped. */
function listedConditions(c: CelEngineComparison): CelEngineComparison {
  if (c.conditions.length <= LISTED_CEL_CONDITIONS) return c;
  return { ...c, conditions: [...c.conditions].sort((a, b) => (b.marcbachmannNs ?? 0) - (a.marcbachmannNs ?? 0)).slice(0, LISTED_CEL_CONDITIONS) };
}

function ratioText(x: number): string {
  return `${formatNumber(x, 3)}×`;
}

interface Verdict {
  text: string;
  tone: Tone;
}

function overheadLine(s: BenchScenarioResult): Verdict | null {
  const o = s.overheadRatio;
  if (!o) return null;
  const ok = o.ratio <= o.goal;
  return {
    tone: ok ? 'good' : 'bad',
    text:
      `engine overhead ${ratioText(o.ratio)} (goal ≤ ${o.goal}) ${ok ? 'met' : 'MISSED'}: uncached check ${formatDurationNs(o.checkMeanNs)} ` +
      `(±${formatPercentValue(o.checkRmePercent)}) ÷ CEL evaluations it performed ${formatDurationNs(o.celSumMeanNs)} ` +
      `(±${formatPercentValue(o.celSumRmePercent)}); ${formatNumber(o.evaluationsPerCheck, 3)} evaluations/check over ${formatCount(o.requests)} requests`,
  };
}

function cacheLine(s: BenchScenarioResult): Verdict | null {
  const c = s.cacheSpeedup;
  if (!c) return null;
  const ok = c.ratio >= c.goal;
  return {
    tone: ok ? 'good' : 'bad',
    text:
      `cache speed-up ${ratioText(c.ratio)} (goal ≥ ${c.goal}×) ${ok ? 'met' : 'MISSED'}: cached check ${formatDurationNs(c.cachedMeanNs)} ` +
      `vs uncached ${formatDurationNs(c.uncachedMeanNs)}${c.ratio < 1 ? ` — a hit costs ${ratioText(1 / c.ratio)} a full evaluation` : ''}` +
      (c.floorMeanNs !== undefined && c.hitFloorRatio !== undefined
        ? `; floor (read + compare what the decisions depend on) ${formatDurationNs(c.floorMeanNs)} per check, hit ÷ floor ${ratioText(c.hitFloorRatio)} (goal ≤ ${c.hitFloorGoal ?? 2}×)`
        : ''),
  };
}

/** A verdict on alternating throughput rounds: "<what> <median> (min, max; goal) met|MISSED: <a> vs <b>, rounds". */
function roundsLine(what: string, r: AlternatingRatios, a: [string, number[]], b: [string, number[]]): Verdict {
  const ok = r.median >= r.goal;
  const rps = (list: number[]): string => list.map((x) => formatNumber(Math.round(x), 0)).join('/');
  return {
    tone: ok ? 'good' : 'bad',
    text:
      `${what} ${formatNumber(r.median, 2)} (min ${formatNumber(r.min, 2)}, max ${formatNumber(r.max, 2)}; goal ≥ ${r.goal}) ${ok ? 'met' : 'MISSED'}: ` +
      `${a[0]} ${rps(a[1])} req/s vs ${b[0]} ${rps(b[1])} req/s, ${r.ratios.length} alternating rounds of ${formatNumber(r.roundMs / 1000, 1)} s, ${r.connections} connections`,
  };
}

function bareLine(s: BenchScenarioResult): Verdict | null {
  const h = s.httpBaseline;
  return h ? roundsLine('serve ÷ bare node:http', h, ['serve', h.serveRps], ['bare', h.bareRps]) : null;
}

function cacheOnOffLine(s: BenchScenarioResult): Verdict | null {
  const c = s.httpBaseline?.cacheOnOff;
  return c ? roundsLine('serve cache on ÷ off', c, ['cache on', c.onRps], ['--no-cache', c.offRps]) : null;
}

function memoryLine(s: BenchScenarioResult): string {
  const m = s.memory;
  const parts = [`heap delta ${formatBytes(m.heapDeltaBytes)}`];
  if (m.bytesPerCheck !== null) parts.push(`${formatBytes(m.bytesPerCheck)} allocated per uncached check`);
  if (m.bytesPerCachedCheck !== null) parts.push(`${formatBytes(m.bytesPerCachedCheck)} per cached check`);
  if (m.retainedEngineBytes !== null) parts.push(`engine retains ${formatBytes(m.retainedEngineBytes)}`);
  return `memory: ${parts.join(', ')} (${m.method})`;
}

const STAGE_HEAD = ['stage', 'stage budget p99', 'budget share', 'measured mean', 'measured p99', 'measured share', 'p99 / budget'];

function stageTable(b: StageBreakdown): TableSpec {
  const rows: Cell[][] = b.stages.map((r) => [
    r.label,
    `${formatNumber(r.budgetMs)} ms`,
    formatPercent(r.budgetShare),
    formatDurationNs(r.meanNs),
    formatDurationNs(r.p99Ns),
    formatPercent(r.measuredShare),
    formatPercent(r.budgetUsed, 3),
  ]);
  const budgetSum = b.stages.reduce((s, r) => s + r.budgetMs, 0);
  rows.push([
    'total (stages)',
    `${formatNumber(budgetSum)} of ${formatNumber(b.totalBudgetMs)} ms`,
    '100.0%',
    formatDurationNs(b.totalMeanNs),
    formatDurationNs(b.totalP99Ns),
    '100.0%',
    formatPercent(b.totalP99Ns / (b.totalBudgetMs * 1e6), 3),
  ]);
  return { head: STAGE_HEAD, rows };
}

const CEL_HEAD = ['condition', '@marcbachmann/cel-js', 'cel-js (ChromeGG)', 'ratio', 'inputs', 'agree', 'notes'];

function celRows(c: CelEngineComparison): Cell[][] {
  return c.conditions.map((r) => {
    const notes: string[] = [];
    for (const p of r.parseErrors) notes.push(`${p.engine === 'marcbachmann' ? '@marcbachmann/cel-js' : 'cel-js'} cannot parse: ${p.message}`);
    if (r.disagreementCount > 0) {
      const d = r.disagreements[0];
      notes.push(`${r.disagreementCount} disagreement(s)${d ? `, e.g. input ${d.input}: ${d.marcbachmann} vs ${d.chromegg}` : ''}`);
    }
    if (r.evalErrors.marcbachmann || r.evalErrors.chromegg) notes.push(`eval errors ${r.evalErrors.marcbachmann}/${r.evalErrors.chromegg}`);
    return [
      r.conditionId,
      formatDurationNs(r.marcbachmannNs),
      formatDurationNs(r.chromeggNs),
      r.ratio === null ? null : ratioText(r.ratio),
      formatCount(r.inputs),
      r.parseErrors.length ? '–' : `${r.agreements}/${r.inputs}`,
      notes.join('; ') || 'ok',
    ];
  });
}

function celSummary(c: CelEngineComparison): string {
  return (
    `cel-js (ChromeGG) vs @marcbachmann/cel-js: geometric mean ${c.geomeanRatio === null ? '–' : ratioText(c.geomeanRatio)} the time per evaluation; ` +
    `${c.totalDisagreements} disagreement(s); ${c.unparsable} condition(s) not parsed by one library`
  );
}

const BASELINE_HEAD = ['scenario', 'task', 'verdict', 'baseline mean', 'current mean', 'change', '± combined moe', 'why'];

function baselineRows(tasks: BaselineTaskComparison[]): Cell[][] {
  return tasks.map((t) => [
    t.scenario,
    t.name,
    t.verdict,
    formatDurationNs(t.baselineMeanNs),
    formatDurationNs(t.currentMeanNs),
    formatChangePercent(t.changePercent),
    formatDurationNs(t.combinedMoeNs),
    t.reason,
  ]);
}

function baselineSummary(b: BaselineComparison): Verdict {
  const text =
    `baseline ${b.file} (${b.baselineStartedAt}${b.baselineGitSha ? `, ${b.baselineGitSha.slice(0, 10)}` : ''}), threshold ${formatNumber(b.maxRegressionPercent)}%: ` +
    `${b.regressions} regression(s), ${b.improvements} improvement(s), ${b.unchanged} unchanged`;
  return { text, tone: b.regressions > 0 ? 'bad' : 'good' };
}

/** Regressions and improvements always (regressions first, capped); unchanged rows only when there are few. */
function notableBaselineTasks(b: BaselineComparison): BaselineTaskComparison[] {
  if (b.tasks.length <= 12) return b.tasks;
  const notable = b.tasks.filter((t) => t.verdict !== 'unchanged');
  if (notable.length <= LISTED_BASELINE_TASKS) return notable;
  return [...notable.filter((t) => t.verdict === 'regression'), ...notable.filter((t) => t.verdict !== 'regression')].slice(0, LISTED_BASELINE_TASKS);
}

function notableLeftOut(b: BaselineComparison): string | null {
  const notable = b.tasks.length <= 12 ? b.tasks.length : b.tasks.filter((t) => t.verdict !== 'unchanged').length;
  return more(notableBaselineTasks(b).length, notable, 'changed tasks');
}

function settingsLine(b: BenchSection): string {
  const s = b.settings;
  return (
    `${b.scenarios.length} scenario(s) · ${formatNumber(s.timeMs)} ms and ≥ ${formatCount(s.iterations)} iterations per task · ` +
    `warmup ${formatNumber(s.warmupMs)} ms${s.quick ? ' · quick' : ''}${s.http ? ' · http' : ''}${s.celEngines ? ' · cel-engines' : ''} · seed ${s.seed}`
  );
}

// ── terminal ───────────────────────────────────────────────────────────────────────────────

function terminal(report: BenchReport, options: RenderOptions): string {
  const c = paint(options);
  const tone = (v: Verdict): string => (v.tone === 'good' ? c.green(v.text) : v.tone === 'bad' ? c.red(v.text) : c.yellow(v.text));
  const b = report.bench;
  const out: string[] = [c.dim(settingsLine(b)), ''];
  for (const s of b.scenarios) {
    out.push(terminalHeading(`${s.scenario}${s.description ? ` — ${s.description}` : ''}`, options));
    out.push(terminalTable(tasksTable(s), options));
    const hidden = leftOut(s);
    if (hidden) out.push(c.dim(hidden));
    for (const v of [overheadLine(s), cacheLine(s), bareLine(s), cacheOnOffLine(s)]) if (v) out.push(tone(v));
    if (s.stageBreakdown) {
      out.push('', c.bold(`stage breakdown (${formatCount(s.stageBreakdown.sampledChecks)} uncached checks, own pass) beside the stage budget`));
      out.push(terminalTable(stageTable(s.stageBreakdown), options));
    }
    out.push(memoryLine(s));
    if (s.celEngines) {
      out.push('', c.bold('CEL engine comparison (same conditions, same inputs)'));
      out.push(terminalTable({ head: CEL_HEAD, rows: celRows(listedConditions(s.celEngines)) }, options));
      const m = more(LISTED_CEL_CONDITIONS, s.celEngines.conditions.length, 'conditions (faster ones)');
      if (m) out.push(c.dim(m));
      out.push(celSummary(s.celEngines));
    }
    for (const w of s.warnings.slice(0, LISTED_WARNINGS)) out.push(c.yellow(`warning: ${w}`));
    const mw = more(LISTED_WARNINGS, s.warnings.length, 'warnings');
    if (mw) out.push(c.dim(mw));
    out.push('');
  }
  if (b.baseline) {
    out.push(terminalHeading('baseline comparison', options));
    const rows = notableBaselineTasks(b.baseline);
    if (rows.length) {
      const colored = baselineRows(rows).map((r) => {
        const v = r[2];
        r[2] = v === 'regression' ? c.red.bold('REGRESSION') : v === 'improvement' ? c.green('improvement') : String(v);
        return r;
      });
      out.push(terminalTable({ head: BASELINE_HEAD, rows: colored, align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left'] }, options));
      const m = notableLeftOut(b.baseline);
      if (m) out.push(c.dim(m));
    }
    out.push(tone(baselineSummary(b.baseline)));
    out.push(c.dim(`rule: ${b.baseline.rule}`));
  }
  if (b.savedBaseline) out.push(`baseline saved to ${b.savedBaseline}`);
  return out.join('\n').trimEnd();
}

// ── Markdown ───────────────────────────────────────────────────────────────────────────────

function markdown(report: BenchReport): string {
  const b = report.bench;
  const out: string[] = [`_${settingsLine(b)}_`, ''];
  const mark = (v: Verdict): string => `${v.tone === 'good' ? '✅' : '❌'} ${v.text}`;
  for (const s of b.scenarios) {
    out.push(`### ${markdownCode(s.scenario)}${s.description ? ` — ${s.description}` : ''}`, '');
    out.push(markdownTable(tasksTable(s)), '');
    const hidden = leftOut(s);
    if (hidden) out.push(`_${hidden}_`, '');
    for (const v of [overheadLine(s), cacheLine(s), bareLine(s), cacheOnOffLine(s)]) if (v) out.push(`- ${mark(v)}`);
    out.push(`- ${memoryLine(s)}`, '');
    if (s.stageBreakdown) {
      out.push(`<details><summary>Stage breakdown (${s.stageBreakdown.sampledChecks} uncached checks) beside the stage budget</summary>`, '');
      out.push(markdownTable(stageTable(s.stageBreakdown)), '', '</details>', '');
    }
    if (s.celEngines) {
      out.push('<details><summary>CEL engine comparison</summary>', '');
      out.push(markdownTable({ head: CEL_HEAD, rows: celRows(listedConditions(s.celEngines)), align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'] }), '');
      const m = more(LISTED_CEL_CONDITIONS, s.celEngines.conditions.length, 'conditions (faster ones)');
      if (m) out.push(`_${m}_`, '');
      out.push(celSummary(s.celEngines), '', '</details>', '');
    }
    for (const w of s.warnings.slice(0, LISTED_WARNINGS)) out.push(`> ⚠️ ${w}`, '');
    const mw = more(LISTED_WARNINGS, s.warnings.length, 'warnings');
    if (mw) out.push(`_${mw}_`, '');
  }
  if (b.baseline) {
    out.push('### Baseline comparison', '', mark(baselineSummary(b.baseline)), '');
    const rows = notableBaselineTasks(b.baseline);
    if (rows.length) out.push(markdownTable({ head: BASELINE_HEAD, rows: baselineRows(rows), align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left'] }), '');
    const m = notableLeftOut(b.baseline);
    if (m) out.push(`_${m}_`, '');
    out.push(`_Rule: ${b.baseline.rule}_`);
  }
  return out.join('\n').trimEnd();
}

// ── HTML ───────────────────────────────────────────────────────────────────────────────────

function chartId(scenario: string, kind: string): string {
  return `bench-${scenario.replace(/[^A-Za-z0-9_-]/g, '_')}-${kind}`;
}

function charts(b: BenchSection): ChartSpec[] {
  const specs: ChartSpec[] = [];
  for (const s of b.scenarios) {
    specs.push({
      id: chartId(s.scenario, 'ops'),
      title: `${s.scenario}: throughput per task (± margin of error)`,
      type: 'horizontalBar',
      xLabel: 'task',
      yLabel: 'ops/s',
      labels: listedTasks(s).map((t) => t.name),
      series: [{ label: 'ops/s', values: listedTasks(s).map((t) => t.opsPerSec), errors: listedTasks(s).map((t) => (t.opsPerSec * t.rmePercent) / 100) }],
      logY: true,
    });
    if (s.stageBreakdown) {
      specs.push({
        id: chartId(s.scenario, 'stages'),
        title: `${s.scenario}: stage shares, measured vs stage budget`,
        type: 'bar',
        xLabel: 'stage',
        yLabel: 'share of total (%)',
        labels: s.stageBreakdown.stages.map((r) => r.label),
        series: [
          { label: 'measured share', values: s.stageBreakdown.stages.map((r) => r.measuredShare * 100) },
          { label: 'stage budget share', values: s.stageBreakdown.stages.map((r) => r.budgetShare * 100) },
        ],
      });
    }
    if (s.celEngines && s.celEngines.conditions.length) {
      const listed = listedConditions(s.celEngines);
      specs.push({
        id: chartId(s.scenario, 'cel-engines'),
        title: `${s.scenario}: ns per evaluation by CEL library`,
        type: 'bar',
        xLabel: 'condition',
        yLabel: 'ns / evaluation',
        labels: listed.conditions.map((r) => r.conditionId),
        series: [
          { label: '@marcbachmann/cel-js', values: listed.conditions.map((r) => r.marcbachmannNs) },
          { label: 'cel-js (ChromeGG)', values: listed.conditions.map((r) => r.chromeggNs) },
        ],
        logY: true,
      });
    }
  }
  return specs;
}

function htmlVerdict(v: Verdict | null): string {
  return v ? htmlParagraph(rawHtml(`${htmlBadge(v.tone === 'good' ? 'met' : 'missed', v.tone)} ${escapeHtml(v.text)}`)) : '';
}

function html(report: BenchReport): HtmlSection {
  const b = report.bench;
  const parts: string[] = [htmlParagraph(settingsLine(b), 'note')];
  for (const s of b.scenarios) {
    parts.push(htmlHeading(`${s.scenario}${s.description ? ` — ${s.description}` : ''}`, 2, chartId(s.scenario, 'section')));
    const cards: Array<{ label: string; value: string; tone?: Tone }> = [];
    const unc = s.tasks.find((t) => t.id === 'check-uncached');
    if (unc) cards.push({ label: 'uncached check', value: formatRate(unc.opsPerSec) });
    if (s.overheadRatio) cards.push({ label: `engine overhead (goal ≤ ${s.overheadRatio.goal})`, value: ratioText(s.overheadRatio.ratio), tone: s.overheadRatio.ratio <= s.overheadRatio.goal ? 'good' : 'bad' });
    if (s.cacheSpeedup) cards.push({ label: `cache speed-up (goal ≥ ${s.cacheSpeedup.goal}×)`, value: ratioText(s.cacheSpeedup.ratio), tone: s.cacheSpeedup.ratio >= s.cacheSpeedup.goal ? 'good' : 'bad' });
    if (s.memory.bytesPerCheck !== null) cards.push({ label: 'allocated / uncached check', value: formatBytes(s.memory.bytesPerCheck) });
    if (cards.length) parts.push(htmlStatCards(cards));
    const t = tasksTable(s);
    parts.push(htmlTable({ head: t.head, rows: t.rows }));
    const hidden = leftOut(s);
    if (hidden) parts.push(htmlParagraph(hidden, 'note'));
    parts.push(htmlChart(chartId(s.scenario, 'ops')));
    parts.push(htmlVerdict(overheadLine(s)), htmlVerdict(cacheLine(s)), htmlVerdict(bareLine(s)), htmlVerdict(cacheOnOffLine(s)));
    parts.push(htmlParagraph(memoryLine(s)));
    if (s.stageBreakdown) {
      parts.push(htmlHeading(`Stage breakdown (${s.stageBreakdown.sampledChecks} uncached checks) beside the stage budget`, 3));
      const st = stageTable(s.stageBreakdown);
      parts.push(htmlTable({ head: st.head, rows: st.rows }), htmlChart(chartId(s.scenario, 'stages')));
    }
    if (s.celEngines) {
      parts.push(htmlHeading('CEL engine comparison', 3));
      parts.push(htmlTable({ head: CEL_HEAD, rows: celRows(listedConditions(s.celEngines)), align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'] }));
      const m = more(LISTED_CEL_CONDITIONS, s.celEngines.conditions.length, 'conditions (faster ones)');
      if (m) parts.push(htmlParagraph(m, 'note'));
      parts.push(htmlParagraph(celSummary(s.celEngines)));
      if (s.celEngines.conditions.length) parts.push(htmlChart(chartId(s.scenario, 'cel-engines')));
    }
    if (s.warnings.length) parts.push(htmlList(s.warnings.slice(0, LISTED_WARNINGS).map((w) => `warning: ${w}`)));
    const mw = more(LISTED_WARNINGS, s.warnings.length, 'warnings');
    if (mw) parts.push(htmlParagraph(mw, 'note'));
  }
  if (b.baseline) {
    parts.push(htmlHeading('Baseline comparison', 2, 'bench-baseline'));
    const v = baselineSummary(b.baseline);
    parts.push(htmlParagraph(rawHtml(`${htmlBadge(b.baseline.regressions > 0 ? 'regression' : 'no regression', v.tone)} ${escapeHtml(v.text)}`)));
    const rows = notableBaselineTasks(b.baseline).map((t) => {
      const r: Array<Cell | ReturnType<typeof rawHtml>> = baselineRows([t])[0]!;
      r[2] = rawHtml(htmlBadge(t.verdict, t.verdict === 'regression' ? 'bad' : t.verdict === 'improvement' ? 'good' : 'info'));
      return r;
    });
    if (rows.length) parts.push(htmlTable({ head: BASELINE_HEAD, rows, align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left'] }));
    const m = notableLeftOut(b.baseline);
    if (m) parts.push(htmlParagraph(m, 'note'));
    parts.push(htmlParagraph(`Rule: ${b.baseline.rule}`, 'note'));
  }
  return { body: parts.filter(Boolean).join('\n'), charts: charts(b) };
}

// ── headlines ──────────────────────────────────────────────────────────────────────────────

function headlines(report: BenchReport): Headline[] {
  const out: Headline[] = [];
  for (const s of report.bench.scenarios) {
    // the listed tasks: a comparison of two runs stays as bounded as their pages
    for (const t of listedTasks(s)) {
      out.push({ key: `${s.scenario}/${t.id}/opsPerSec`, label: `${s.scenario} ${t.name} ops/s`, value: t.opsPerSec, unit: 'ops/s', better: 'higher' });
      if (t.id === 'check-uncached' || t.id === 'check-cached' || t.id === 'http-roundtrip') {
        out.push({ key: `${s.scenario}/${t.id}/p99Ns`, label: `${s.scenario} ${t.name} p99`, value: t.p99Ns, unit: 'ns', better: 'lower' });
      }
    }
    if (s.overheadRatio) out.push({ key: `${s.scenario}/overheadRatio`, label: `${s.scenario} engine overhead ratio`, value: s.overheadRatio.ratio, unit: '×', better: 'lower' });
    if (s.cacheSpeedup) out.push({ key: `${s.scenario}/cacheSpeedup`, label: `${s.scenario} cache speed-up`, value: s.cacheSpeedup.ratio, unit: '×', better: 'higher' });
    if (s.memory.bytesPerCheck !== null) out.push({ key: `${s.scenario}/bytesPerCheck`, label: `${s.scenario} bytes allocated per check`, value: s.memory.bytesPerCheck, unit: 'bytes', better: 'lower' });
  }
  return out;
}

export const benchRenderer: SectionRenderer<BenchReport> = { terminal, markdown, html, headlines };
