/**
 * `report`'s rendering: one saved report in a format, or two of the same command compared
 * headline by headline. A renderer that crashes on a schema-valid file is reported as a section
 * this version does not write.
 */
import { InputError, UsageError } from '../util/errors.js';
import { assertSameCommand, compareReports } from './compare.js';
import { renderComparison } from './render-compare.js';
import { renderReport, reportHeadlines, type ReportFormat } from './render.js';
import type { Report } from './types.js';

/** A report to render, with the name it is shown under in messages and comparisons. */
export interface ReportInput {
  report: Report;
  file: string;
}

export function renderInputs(inputs: readonly ReportInput[], format: ReportFormat, o: { color: boolean; thresholdPercent: number }): string {
  if (inputs.length === 1) {
    const [only] = inputs as [ReportInput];
    return guarded(only, () => renderReport(only.report, format, { color: o.color }));
  }
  const [a, b] = inputs as [ReportInput, ReportInput];
  assertSameCommand(a, b);
  const comparison = compareReports(
    { ...a, headlines: guarded(a, () => reportHeadlines(a.report)) },
    { ...b, headlines: guarded(b, () => reportHeadlines(b.report)) },
    o.thresholdPercent,
  );
  return renderComparison(comparison, format, { color: o.color });
}

/** Runs a section renderer; a crash on a schema-valid file means its section is not what this version writes. */
function guarded<T>(input: ReportInput, render: () => T): T {
  try {
    return render();
  } catch (err) {
    if (err instanceof InputError || err instanceof UsageError) throw err;
    throw new InputError(
      `the ${input.report.command} section could not be rendered (${(err as Error).message}); was it written by another authz-perf version (${input.report.version})?`,
      { file: input.file },
      { cause: err },
    );
  }
}
