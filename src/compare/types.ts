/** The `compare` section: engines side by side on one seeded stream, one load and one CPU budget. */
import type { ActionAgreement } from '../targets/differential.js';
import type { FindMaxStep, ServerView } from '../load/types.js';

export type EngineName = 'reference' | 'cerbos';
export type Protocol = 'http' | 'grpc';

export interface CpuBudget {
  /** CPUs each engine may run on, e.g. "1" (taskset -c), null when not pinned */
  cpuList: string | null;
  /** how many CPUs that is */
  cpus: number;
  /** how the budget is applied, in words (taskset, GOMAXPROCS) */
  how: string;
}

export interface EngineMeasure {
  engine: EngineName;
  protocol: Protocol;
  /** e.g. "0.55.0" for Cerbos, authz-perf's version for the reference engine */
  version: string;
  /** highest open-model rate whose p99 and error rate held the SLO; null when none held */
  highestPassingRps: number | null;
  findMaxSteps: FindMaxStep[];
  /** the generator's own ceiling on this target (find-max overload probe) */
  generatorMaxRps: number;
  atCommonRate: {
    targetRps: number;
    achievedRps: number;
    /** intended-time (coordinated-omission corrected) latency */
    p50Ms: number | null;
    p99Ms: number | null;
    errors: number;
    /** responses whose decisions differed from the in-process reference engine */
    mismatches: number;
  } | null;
  /** server CPU ms per 1,000 check requests at the common rate (from the engine's own metrics) */
  cpuMsPer1000Checks: number | null;
  rssBytes: number | null;
  server: ServerView | null;
  warnings: string[];
}

export interface CompareSection {
  scenario: string;
  seed: number;
  protocols: Protocol[];
  engines: EngineName[];
  cpuBudget: CpuBudget;
  slo: { p99Ms: number; errorRate: number };
  /** the rate every engine was run at for the like-for-like figures: half the lowest highest-passing rate */
  commonRps: number | null;
  commonDurationS: number;
  stepDurationS: number;
  measures: EngineMeasure[];
  /** decisions of Cerbos against the reference engine on the same stream; null without Cerbos */
  agreement: { requests: number; actions: number; differingActions: number; perAction: ActionAgreement[] } | null;
  durationS: number;
}
