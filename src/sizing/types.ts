/**
 * The `size` section of a report: the inputs, where the capacity figures came from (calibration),
 * the sizing result with every step of its working, the reference-profile comparison and the what-if
 * table. Rates are requests per second, CPU in millicores, memory in bytes, times in ms.
 */

export type CalibrationKind = 'default' | 'bench' | 'loadtest' | 'measure';
export type CapacityModel = 'usl' | 'linear';

/** One fitted or measured point of throughput against concurrency. */
export interface UslPointResult {
  /** in-flight requests (Little's law: achieved RPS × mean latency) */
  concurrency: number;
  achievedRps: number;
  /** the fitted model's throughput at this concurrency */
  fittedRps: number;
  targetRps: number | null;
}

export interface UslModel {
  /** contention (serialised fraction) */
  sigma: number;
  /** coherency (crosstalk) */
  kappa: number;
  /** throughput of one in-flight request alone, RPS */
  lambdaRps: number;
  /** √((1−σ)/κ); null when κ = 0 (no retrograde region) */
  peakConcurrency: number | null;
  /** X(N*), or λ/σ when κ = 0 (null when both are 0: unbounded) */
  peakRps: number | null;
  rSquared: number;
  rmseRps: number;
  iterations: number;
  converged: boolean;
  points: UslPointResult[];
  /** highest concurrency among the points: the model is not trusted beyond it */
  maxMeasuredConcurrency: number;
  /** root mean square of (fitted − measured) ÷ measured over the points */
  relativeRmse: number;
}

/** Where a figure came from: measured from a report, or a documented default. */
export type FigureSource = 'measured' | 'default' | 'input';

export interface SourcedFigure {
  value: number;
  source: FigureSource;
  /** how it was obtained, e.g. "bench check-cached/check-uncached blended at 80% hit rate" */
  detail: string;
}

export interface Calibration {
  kind: CalibrationKind;
  /** e.g. "default constants (not measured)", "loadtest report reports/loadtest-….json" */
  source: string;
  file: string | null;
  /** scenario the calibration ran, when known */
  scenario: string | null;
  /** when the calibrating measurement was taken (the report's startedAt) */
  measuredAt: string | null;
  /** CPU and cores of the machine that measured, when known */
  measuredOn: { cpuModel: string; cores: number } | null;
  capacityModel: CapacityModel;
  /** capacity of one core at 100% busy, RPS */
  perCoreRps: SourcedFigure;
  /** cores the measured unit (one engine process) used; the reference server is one Node.js event loop */
  measuredUnitCores: number;
  usl: UslModel | null;
  /** CPU time of one request, ms (1000 ÷ perCoreRps) */
  serviceTimeMs: number;
  /** latency not explained by CPU queueing (network, client, parsing on another thread), ms */
  baseLatencyMs: SourcedFigure;
  /** measured cache hit rate (loadtest server) or null */
  measuredCacheHitRate: number | null;
  /** the scenario SLO p99 found in the report, if any */
  sloP99Ms: number | null;
  memory: {
    baseRssBytes: SourcedFigure;
    bytesPerPolicy: SourcedFigure;
    bytesPerCacheEntry: SourcedFigure;
    bytesPerConnection: SourcedFigure;
    bytesPerDbConnection: SourcedFigure;
  };
  /** highest throughput actually observed (loadtest), for the "beyond what was measured" warning */
  maxObservedRps: number | null;
  /** loadtest: requests per server CPU-second over the run (utilisation law), a cross-check of perCoreRps */
  serverCpuPerCoreRps: number | null;
  notes: string[];
}

export interface SizeInputs {
  peakRps: number;
  p99TargetMs: number;
  /** where the p99 target came from: --p99, the scenario SLO, the calibrating report, or the default */
  p99TargetSource: string;
  scenario: string | null;
  policies: number;
  /** --policies, the scenario's policy count, or the default */
  policiesSource: string;
  cacheSize: number;
  cacheHitRate: number;
  /** --cache-hit-rate, measured by the loadtest, the scenario's repeat share, or the default */
  cacheHitRateSource: string;
  ha: boolean;
  /** target CPU utilisation, 0 < headroom < 1 */
  headroom: number;
  cpuPerReplica: number;
  dbMaxConnections: number;
  poolSize: number;
}

/** One step of the working: formula, the numbers put in, the result. */
export interface WorkingStep {
  id: string;
  label: string;
  formula: string;
  substitution: string;
  result: string;
}

export interface HpaStep {
  currentReplicas: number;
  /** average CPU utilisation of the current replicas at peak load, percent of request (capped at the limit) */
  utilisationPercent: number;
  desiredReplicas: number;
}

export type ReferenceProfileName = 'small' | 'medium' | 'large' | 'xlarge';

export interface ReferenceComparisonRow {
  figure: string;
  /** the reference constants' figure (the field keeps the name saved reports use) */
  sdd: number;
  ours: number;
  unit: string;
  /** ours ÷ the reference figure */
  ratio: number | null;
}

export interface SizingResult {
  peakRps: number;
  /** RPS one replica serves at 100% CPU */
  perReplicaCapacityRps: number;
  /** relative capacity of the replica's cores against one core (USL or linear) */
  effectiveCores: number;
  replicasForCapacity: number;
  replicasForLatency: number;
  minReplicas: number;
  replicas: number;
  perReplicaRps: number;
  /** CPU utilisation at peak, 0..1 */
  utilisation: number;
  latency: {
    model: string;
    servers: number;
    serviceTimeMs: number;
    baseLatencyMs: number;
    meanMs: number;
    /** base + S/(1−ρ^c): the quick approximation, beside the exact Erlang C mean */
    approxMeanMs: number;
    p99Ms: number;
    /** p99 as load → 0: the lowest p99 more replicas can reach */
    floorP99Ms: number;
    targetMs: number;
    fits: boolean;
  };
  cpu: {
    requestMillicores: number;
    limitMillicores: number;
    usedAtPeakMillicores: number;
    totalRequestMillicores: number;
  };
  memory: {
    requestBytes: number;
    limitBytes: number;
    totalRequestBytes: number;
    breakdown: Array<{ part: string; bytes: number; detail: string }>;
  };
  concurrency: {
    /** Little's law: per-replica RPS × mean response time */
    inFlightPerReplica: number;
    keepAliveConnectionsPerReplica: number;
    totalKeepAliveConnections: number;
  };
  db: {
    poolSize: number;
    maxConnections: number;
    /** max connections × (1 − 20%) */
    budget: number;
    connectionsAtPeak: number;
    connectionsAtHpaMax: number;
    fits: boolean;
    /** largest pool that keeps HPA max replicas within the budget */
    maxPoolSizeForBudget: number;
  };
  hpa: {
    minReplicas: number;
    maxReplicas: number;
    targetCpuUtilisationPercent: number;
    /** ceil(current × metric / target) applied repeatedly from minReplicas at peak load */
    steps: HpaStep[];
    replicasAtPeak: number;
  };
  profile: {
    name: ReferenceProfileName;
    range: string;
    comparison: ReferenceComparisonRow[];
  };
  warnings: string[];
  working: WorkingStep[];
}

export interface WhatIfRow {
  peakRps: number;
  replicas: number;
  utilisation: number;
  cpuRequestMillicoresTotal: number;
  memoryRequestBytesTotal: number;
  p99Ms: number;
  latencyFits: boolean;
  hpaMaxReplicas: number;
  dbFits: boolean;
  profile: ReferenceProfileName;
  /** replicas and CPU by the reference constants (the fields keep the names saved reports use) */
  sddReplicas: number;
  sddCpuMillicoresTotal: number;
}

export interface SizeSection {
  inputs: SizeInputs;
  calibration: Calibration;
  result: SizingResult;
  whatIf: WhatIfRow[];
  /** the defaults used where nothing was measured, with their rationale */
  defaults: Array<{ name: string; value: number; unit: string; rationale: string }>;
}
