/**
 * Reports saved by an older schemaVersion, brought to the current shape so every renderer and
 * comparison reads one model. Each step upgrades one version to the next.
 */
import { SCHEMA_VERSION, type Report } from './types.js';
import { sectionFromV1 } from '../cel/section.js';
import type { CelAnalysisSectionV1 } from '../cel/types.js';

/** A schema-checked report of version 1..SCHEMA_VERSION, as the current version. */
export function upgradeReport(record: Record<string, unknown>): Report {
  let r = record;
  if (r.schemaVersion === 1) {
    // 1 → 2: analyze-cel gains the compact index, per-policy summaries and cost histograms
    r = { ...r, schemaVersion: 2 };
    if (r.command === 'analyze-cel') r.celAnalysis = sectionFromV1(r.celAnalysis as CelAnalysisSectionV1);
  }
  if (r.schemaVersion !== SCHEMA_VERSION) throw new Error(`no upgrade from schemaVersion ${String(r.schemaVersion)} to ${SCHEMA_VERSION}`);
  return r as unknown as Report;
}
