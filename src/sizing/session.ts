/**
 * The size command's steps around planSize (index.ts): the named scenario's defaults, the
 * calibration from a saved report or a measurement made now, and the check that the plan fits one
 * Kubernetes cluster.
 */
import { listScenarios, loadScenario } from '../scenario/index.js';
import { loadPolicySet } from '../engine/index.js';
import { UsageError } from '../util/errors.js';
import { siText } from '../util/format.js';
import { calibrationFromReport } from './calibrate.js';
import { planSize, type SizeOptions } from './index.js';
import type { Calibration, SizeSection } from './types.js';

/** Kubernetes' documented limit of pods per cluster: a plan needing more replicas answers nothing. */
const MAX_REPLICAS = 150_000;

/** --scenario: its SLO is the default p99 target, its share of repeated requests the default hit rate, its policy count the default --policies. */
export async function withScenarioDefaults(options: SizeOptions, cwd: string): Promise<SizeOptions> {
  if (options.scenario === undefined) return options;
  const scenario = await loadScenario(options.scenario, { cwd });
  return {
    ...options,
    scenario: scenario.name,
    scenarioSloP99Ms: scenario.slo.p99Ms,
    scenarioRepeatShare: scenario.requests.repeatShare,
    ...(options.policies === undefined ? { scenarioPolicies: await policyCount(scenario.policyDir) } : {}),
  };
}

/** What sizing reads of a saved report besides calibrate.ts's checks: which command, and a bench report's scenarios. */
export interface SavedReport {
  command: string;
  bench?: { scenarios: ReadonlyArray<{ scenario: string }> };
}

/** --from: a saved bench or loadtest --find-max report (`label`: how it is named in messages and the report). */
export async function calibrationFromSaved(report: SavedReport, label: string, options: SizeOptions): Promise<Calibration> {
  const blend = options.cacheHitRate ?? options.scenarioRepeatShare;
  return calibrationFromReport(report, label, {
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    ...(blend !== undefined ? { cacheHitRate: blend } : {}),
    policyCounts: await bundledPolicyCounts(report),
  });
}

/** --measure: the loadtest --find-max report measured now on this machine. */
export function calibrationFromMeasurement(report: unknown, scenario: string, stepDuration: string, options: SizeOptions): Calibration {
  const label = `find-max measured now (scenario ${scenario}, ${stepDuration} steps)`;
  const calibration = calibrationFromReport(report, label, { ...(options.cacheHitRate !== undefined ? { cacheHitRate: options.cacheHitRate } : {}) });
  return { ...calibration, kind: 'measure', source: `measured now on this machine: loadtest --find-max, ${stepDuration} steps`, file: null };
}

/** planSize, and a usage error (naming --rps or --what-if) when the peak or a what-if level needs more replicas (at HPA max) than one cluster runs. */
export function planAnswerableSize(options: SizeOptions, calibration: Calibration): SizeSection {
  const section = planSize(options, calibration);
  const rows: Array<{ flag: string; rps: number; replicas: number }> = [
    { flag: '--rps', rps: section.inputs.peakRps, replicas: section.result.hpa.maxReplicas },
    ...section.whatIf.map((w) => ({ flag: '--what-if', rps: w.peakRps, replicas: w.hpaMaxReplicas })),
  ];
  for (const { flag, rps, replicas } of rows) {
    if (replicas <= MAX_REPLICAS) continue;
    const limit = Math.floor((rps * MAX_REPLICAS) / replicas);
    throw new UsageError(
      `${flag}: ${siText(rps)} req/s needs ${replicas.toLocaleString('en-US')} replicas at this calibration; the model answers up to ${MAX_REPLICAS.toLocaleString('en-US')} (one Kubernetes cluster's pod limit), about ${siText(Number(limit.toPrecision(2)))} req/s`,
    );
  }
  return section;
}

async function policyCount(policyDir: string): Promise<number> {
  return (await loadPolicySet(policyDir)).documents.length;
}

/**
 * Policy counts of the bundled scenarios a bench report measured, so its retained-heap figure becomes
 * bytes per policy. A scenario that is not bundled (or does not load) is simply left out.
 */
async function bundledPolicyCounts(report: SavedReport): Promise<Record<string, number>> {
  if (report.command !== 'bench' || report.bench === undefined) return {};
  const bundled = new Set((await listScenarios()).map((s) => s.name));
  const counts: Record<string, number> = {};
  for (const { scenario } of report.bench.scenarios) {
    if (!bundled.has(scenario)) continue;
    try {
      counts[scenario] = await policyCount((await loadScenario(scenario)).policyDir);
    } catch {
      // a bundled scenario that fails to load is that room's test failure, not a sizing input error
    }
  }
  return counts;
}
