/**
 * Baselines: a saved bench report, and the comparison of a run against it.
 *
 * A task is a regression only when BOTH hold:
 *   1. its mean slowed by more than --max-regression (percent of the baseline mean), and
 *   2. the slowdown is larger than the two runs' combined margin of error, i.e. the sum of the
 *      two 95% confidence half-widths (moe = mean × rme / 100): the intervals do not overlap.
 * Improvements are the mirror image. Everything else is unchanged.
 */
import { InputError } from '../util/errors.js';
import type { BaselineComparison, BaselineTaskComparison, BenchSection, BenchTaskResult } from './types.js';
import { textPosition } from '../util/text-position.js';

export const SIGNIFICANCE_RULE =
  'regression/improvement = |change| > threshold AND |difference of means| > sum of both 95% CI half-widths (the intervals do not overlap)';

/** What a baseline must contain: any saved bench report (reports/bench-*.json or --save-baseline). */
export interface BaselineFile {
  command: 'bench';
  startedAt: string;
  environment?: { gitSha?: string | null };
  bench: Pick<BenchSection, 'scenarios'>;
}

/** Validates a parsed JSON value as a baseline; `file` is used in error messages. */
export function parseBaseline(json: string, file: string): BaselineFile {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file, ...(m ? textPosition(json, Number(m[1])) : {}) });
  }
  const v = value as Partial<BaselineFile> | null;
  if (!v || typeof v !== 'object' || v.command !== 'bench' || !v.bench || !Array.isArray(v.bench.scenarios)) {
    throw new InputError('not a bench report (expected "command": "bench" and bench.scenarios[])', { file });
  }
  for (const s of v.bench.scenarios) {
    if (!s || typeof s.scenario !== 'string' || !Array.isArray(s.tasks)) {
      throw new InputError('bench.scenarios[] entries need "scenario" and "tasks"', { file });
    }
    for (const t of s.tasks) {
      if (!t || typeof t.id !== 'string' || typeof t.meanNs !== 'number' || typeof t.rmePercent !== 'number') {
        throw new InputError(`scenario ${s.scenario}: task entries need "id", "meanNs" and "rmePercent"`, { file });
      }
    }
  }
  return v as BaselineFile;
}

function moeNs(t: BenchTaskResult): number {
  return (t.meanNs * t.rmePercent) / 100;
}

/** Compares each task of `current` with the same scenario/task id in `baseline`. */
export function compareWithBaseline(
  current: Pick<BenchSection, 'scenarios'>,
  baseline: BaselineFile,
  maxRegressionPercent: number,
  file: string,
): BaselineComparison {
  const base = new Map<string, BenchTaskResult>();
  for (const s of baseline.bench.scenarios) for (const t of s.tasks) base.set(`${s.scenario}\u0000${t.id}`, t);
  const seen = new Set<string>();
  const tasks: BaselineTaskComparison[] = [];
  for (const s of current.scenarios) {
    for (const t of s.tasks) {
      const key = `${s.scenario}\u0000${t.id}`;
      seen.add(key);
      const b = base.get(key);
      if (!b) {
        tasks.push({ scenario: s.scenario, taskId: t.id, name: t.name, verdict: 'new', baselineMeanNs: null, currentMeanNs: t.meanNs, changePercent: null, combinedMoeNs: null, reason: 'not in the baseline' });
        continue;
      }
      tasks.push(judge(s.scenario, t, b, maxRegressionPercent));
    }
  }
  for (const s of baseline.bench.scenarios) {
    for (const t of s.tasks) {
      if (seen.has(`${s.scenario}\u0000${t.id}`)) continue;
      // Only report tasks of scenarios this run measured; other scenarios were simply not selected.
      if (!current.scenarios.some((c) => c.scenario === s.scenario)) continue;
      tasks.push({ scenario: s.scenario, taskId: t.id, name: t.name, verdict: 'missing', baselineMeanNs: t.meanNs, currentMeanNs: null, changePercent: null, combinedMoeNs: null, reason: 'not measured in this run' });
    }
  }
  return {
    file,
    baselineStartedAt: baseline.startedAt,
    baselineGitSha: baseline.environment?.gitSha ?? null,
    maxRegressionPercent,
    rule: SIGNIFICANCE_RULE,
    regressions: tasks.filter((t) => t.verdict === 'regression').length,
    improvements: tasks.filter((t) => t.verdict === 'improvement').length,
    unchanged: tasks.filter((t) => t.verdict === 'unchanged').length,
    tasks,
  };
}

function judge(scenario: string, cur: BenchTaskResult, base: BenchTaskResult, threshold: number): BaselineTaskComparison {
  const diff = cur.meanNs - base.meanNs;
  const changePercent = base.meanNs > 0 ? (diff / base.meanNs) * 100 : 0;
  const combinedMoeNs = moeNs(cur) + moeNs(base);
  const significant = Math.abs(diff) > combinedMoeNs;
  let verdict: BaselineTaskComparison['verdict'] = 'unchanged';
  let reason: string;
  if (Math.abs(changePercent) <= threshold) {
    reason = `change within ±${threshold}%`;
  } else if (!significant) {
    reason = `change exceeds ${threshold}% but is within the combined margin of error`;
  } else {
    verdict = diff > 0 ? 'regression' : 'improvement';
    reason = diff > 0 ? `slower by more than ${threshold}% and beyond the margin of error` : `faster by more than ${threshold}% and beyond the margin of error`;
  }
  return { scenario, taskId: cur.id, name: cur.name, verdict, baselineMeanNs: base.meanNs, currentMeanNs: cur.meanNs, changePercent, combinedMoeNs, reason };
}
