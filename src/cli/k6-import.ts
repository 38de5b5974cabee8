/**
 * Other load generators' results → loadtest reports: a k6 end-of-test summary, several k6-operator
 * runners' summaries (merged exactly), a folder of Locust workers' result files (merged exactly).
 */
import type { CliContext } from './context.js';
import { readTextOr } from './action.js';
import type { LoadtestReport } from '../report/types.js';
import { importedLoadtestReport } from '../report/build.js';
import { InputError } from '../util/errors.js';
import { importK6Summary } from '../load/k6-import.js';
import { isAuthzPerfK6Summary, k6SummariesIn, mergeK6Summaries } from '../load/k6-operator.js';
import { mergeLocustResults } from '../load/locust/merge.js';
import { locustResultFiles } from '../load/locust/results.js';
import type { LoadtestSection } from '../load/types.js';

/** A k6 end-of-test JSON summary file as a loadtest report (also for `report --import-k6`). */
export async function readK6Report(ctx: CliContext, file: string): Promise<LoadtestReport> {
  return k6SummaryReport(parseK6Json(await readK6Text(ctx, file), file), file);
}

/** One k6 end-of-test summary as a loadtest report; it ended `now`. */
export function k6SummaryReport(json: unknown, file: string, now: Date = new Date(), args = ['--import-k6', file]): LoadtestReport {
  const { section, durationMs } = importK6Summary(json, file);
  return importedLoadtestReport(section, args, 'k6 run', new Date(now.getTime() - durationMs), now);
}

function parseK6Json(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`--import-k6: not valid JSON (${(err as Error).message.split('\n')[0]})`, { file });
  }
}

function readK6Text(ctx: CliContext, file: string): Promise<string> {
  return readTextOr(ctx, file, (reason, code) => new InputError(`--import-k6: cannot read (${code === 'ENOENT' ? reason : (code ?? reason)})`, { file }));
}

/**
 * k6 summaries as one loadtest report: files holding runners' summaries from an exported
 * distributed script (JSON, or logs with summary blocks) are merged exactly; a single plain k6
 * summary is imported as before.
 */
export async function readK6Reports(ctx: CliContext, files: readonly string[], args: string[]): Promise<LoadtestReport> {
  if (files.length === 1) {
    const text = await readK6Text(ctx, files[0]!);
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{')) {
      const json = parseK6Json(text, files[0]!);
      if (!isAuthzPerfK6Summary(json)) return k6SummaryReport(json, files[0]!, new Date(), args);
    }
  }
  const summaries: Array<{ file: string; json: unknown }> = [];
  for (const file of files) for (const json of k6SummariesIn(await readK6Text(ctx, file), file)) summaries.push({ file, json });
  const { section } = mergeK6Summaries(summaries);
  return importedReport(section, args);
}

/** The Locust workers' result files (worker-K.json) of a folder, merged into one loadtest section. */
export async function readLocustReport(ctx: CliContext, dir: string, args: string[]): Promise<LoadtestReport> {
  return importedReport(mergeLocustResults(await locustResultFiles(ctx.cwd, dir)).section, args, 'locust');
}

/** A merged section with an envelope; the environment is the runners', which we do not know. */
export function importedReport(section: LoadtestSection, args: string[], tool = section.importedFrom ?? 'external', now: Date = new Date()): LoadtestReport {
  return importedLoadtestReport(section, args, `${section.runners?.length ?? 1} ${tool} runners`, new Date(now.getTime() - section.durationS * 1000), now);
}
