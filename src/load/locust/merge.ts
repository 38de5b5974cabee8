/**
 * Locust workers' result files → one loadtest section (`report --import-locust DIR`, and the end
 * of `loadtest --runner locust`). Every file carries the plan it ran, so the folder of result
 * files is all the merge needs.
 */
import { InputError } from '../../util/errors.js';
import { LoadShape } from '../schedule.js';
import { parseThreshold } from '../thresholds.js';
import { mergeRunnerResults, parseRunnerResult, parseRunPlan, type RunnerResult, type RunPlan } from '../runner-results.js';
import type { LoadtestSection } from '../types.js';

/** Where Locust limits precision; carried into every merged Locust section. */
export const LOCUST_PRECISION_NOTE =
  'Locust runners: each worker times its arrivals on gevent\'s event loop in one Python process (millisecond timers, one core); a worker that falls behind sends late (counted as late, latency still from the intended time), so its share of the rate drops instead of the latency being hidden. Service time includes the Python HTTP client\'s own overhead per request.';

export interface LocustResultFile {
  file: string;
  json: unknown;
}

export function mergeLocustResults(files: readonly LocustResultFile[]): { section: LoadtestSection; plan: RunPlan } {
  if (files.length === 0) throw new InputError('no Locust worker result files (worker-K.json) to merge');
  const parsed: Array<{ result: RunnerResult; plan: RunPlan; index: number; runners: number; file: string }> = [];
  for (const f of files) {
    try {
      const o = f.json as Record<string, unknown>;
      const result = parseRunnerResult(o);
      const plan = parseRunPlan(o.plan);
      const index = typeof o.runnerIndex === 'number' ? o.runnerIndex : -1;
      const runners = typeof o.runners === 'number' ? o.runners : 0;
      parsed.push({ result, plan, index, runners, file: f.file });
    } catch (err) {
      throw new InputError(`not a Locust worker result of ${'authz-perf'}: ${(err as Error).message}`, { file: f.file });
    }
  }
  const first = parsed[0]!;
  for (const p of parsed) {
    if (p.plan.planId !== first.plan.planId)
      throw new InputError(`results of different runs cannot be merged (plan ${p.plan.planId}, not ${first.plan.planId})`, { file: p.file });
    if (p.runners !== first.runners) throw new InputError(`ran as one of ${p.runners} runners, the others as one of ${first.runners}`, { file: p.file });
  }
  const seen = new Set<number>();
  for (const p of parsed) {
    if (seen.has(p.index)) throw new InputError(`two result files from worker ${p.index}`, { file: p.file });
    seen.add(p.index);
  }
  const warnings = [LOCUST_PRECISION_NOTE];
  if (parsed.length < first.runners)
    warnings.push(`only ${parsed.length} of ${first.runners} workers' results were found: the merged figures cover their share of the schedule only`);
  const plan = first.plan;
  let thresholds;
  try {
    thresholds = plan.thresholds.map((t) => parseThreshold(t.expression, t.source));
  } catch (err) {
    throw new InputError(`bad threshold in the plan: ${(err as Error).message}`, { file: first.file });
  }
  const section = mergeRunnerResults(
    [...parsed].sort((a, b) => a.index - b.index).map((p) => p.result),
    { config: plan.config, thresholds, shape: new LoadShape(plan.config.stages, plan.startTarget), warnings },
  );
  return { section, plan };
}
