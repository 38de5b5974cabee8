/**
 * The sizing model: pure arithmetic from inputs + calibration to replicas, CPU, memory, pools and
 * HPA settings, recording each step of the working as it goes.
 */
import type { Calibration, HpaStep, SizeInputs, SizingResult, WhatIfRow, WorkingStep } from './types.js';
import { DEFAULTS, REFERENCE, referenceProfileFor } from './defaults.js';
import { mmc, mmcApproxResponseS, mmcResponsePercentile, littlesLaw } from './queueing.js';
import { uslRelativeCapacity } from './usl.js';
import { fmt, fmtBytes, fmtMs } from './text.js';

const MiB = 1024 * 1024;

/** Relative capacity of `cores` cores against one: USL with the fitted σ, κ, or linear. Below one core it is linear. */
export function effectiveCores(calibration: Calibration, cores: number): number {
  if (cores <= 1 || calibration.capacityModel === 'linear' || !calibration.usl) return cores;
  return uslRelativeCapacity(calibration.usl, cores);
}

interface LatencyAt {
  meanMs: number;
  p99Ms: number;
}

function latencyAt(perReplicaRps: number, servers: number, serviceRatePerServer: number, baseMs: number): LatencyAt {
  const q = { arrivalRate: perReplicaRps, serviceRate: serviceRatePerServer, servers };
  const m = mmc(q);
  return { meanMs: baseMs + m.meanResponseS * 1000, p99Ms: baseMs + mmcResponsePercentile(q, 0.99) * 1000 };
}

/** HPA: desired = ceil(current × metric / target), repeated from minReplicas until it settles. */
export function simulateHpa(options: {
  peakRps: number;
  perReplicaCapacityRps: number;
  minReplicas: number;
  maxReplicas: number;
  targetPercent: number;
  /** utilisation cannot exceed limit ÷ request */
  maxUtilisationPercent: number;
}): HpaStep[] {
  const steps: HpaStep[] = [];
  let current = options.minReplicas;
  for (let i = 0; i < 50; i++) {
    const demand = (options.peakRps / current / options.perReplicaCapacityRps) * 100;
    const utilisationPercent = Math.min(demand, options.maxUtilisationPercent);
    const ratio = utilisationPercent / options.targetPercent;
    let desired = Math.abs(ratio - 1) <= DEFAULTS.hpaTolerance ? current : Math.ceil(current * ratio);
    desired = Math.min(options.maxReplicas, Math.max(options.minReplicas, desired));
    steps.push({ currentReplicas: current, utilisationPercent, desiredReplicas: desired });
    // HPA scales down slowly and only after a stabilisation window; at peak we follow the scale-up.
    if (desired <= current) break;
    current = desired;
  }
  return steps;
}

/** The working and the warnings, recorded in the order the steps run. */
interface Notes {
  working: WorkingStep[];
  warnings: string[];
}

function record(n: Notes, id: string, label: string, formula: string, substitution: string, result: string): void {
  n.working.push({ id, label, formula, substitution, result });
}

export function sizeFor(inputs: SizeInputs, calibration: Calibration): SizingResult {
  const n: Notes = { working: [], warnings: [] };
  const { peakRps } = inputs;
  const capacity = replicaCapacity(n, inputs, calibration);
  const cpuReplicas = replicasForCpu(n, inputs, capacity.perReplicaCapacityRps);
  const latency = latencyCheck(n, inputs, calibration, capacity.perReplicaCapacityRps, cpuReplicas);
  const { replicas, perReplicaRps, utilisation } = latency;
  const cpu = cpuRequest(n, inputs, utilisation);
  const concurrency = inFlight(n, inputs, perReplicaRps, latency.result.meanMs);
  const hpa = hpaPlan(n, inputs, capacity.perReplicaCapacityRps, cpuReplicas, latency, cpu);
  const db = dbBudget(n, inputs, replicas, hpa.maxReplicas);
  const memory = memoryRequest(n, inputs, calibration, concurrency.keepAliveConnectionsPerReplica);
  const profile = referenceComparison(n, inputs, calibration, capacity.perReplicaCapacityRps, cpuReplicas.minReplicas, replicas, utilisation, cpu.requestMillicores);
  calibrationWarnings(n, inputs, calibration, replicas, perReplicaRps / capacity.effCores);

  return {
    peakRps,
    perReplicaCapacityRps: capacity.perReplicaCapacityRps,
    effectiveCores: capacity.effCores,
    replicasForCapacity: cpuReplicas.replicasForCapacity,
    replicasForLatency: latency.replicasForLatency,
    minReplicas: cpuReplicas.minReplicas,
    replicas,
    perReplicaRps,
    utilisation,
    latency: latency.result,
    cpu: { ...cpu, totalRequestMillicores: cpu.requestMillicores * replicas },
    memory: { requestBytes: memory.requestBytes, limitBytes: memory.limitBytes, totalRequestBytes: memory.requestBytes * replicas, breakdown: memory.breakdown },
    concurrency: { ...concurrency, totalKeepAliveConnections: concurrency.keepAliveConnectionsPerReplica * replicas },
    db,
    hpa,
    profile,
    warnings: n.warnings,
    working: n.working,
  };
}

/** 1. Capacity of one core (calibration) and of one replica (USL or linear in its cores). */
function replicaCapacity(n: Notes, inputs: SizeInputs, calibration: Calibration): { effCores: number; perReplicaCapacityRps: number } {
  const { cpuPerReplica } = inputs;
  const perCore = calibration.perCoreRps.value;
  const effCores = effectiveCores(calibration, cpuPerReplica);
  const perReplicaCapacityRps = perCore * effCores;
  record(n, 'per-core', 'Capacity of one core', 'from calibration', calibration.perCoreRps.detail, `${fmt(perCore)} RPS/core`);
  if (calibration.capacityModel === 'usl' && calibration.usl && cpuPerReplica > 1) {
    const u = calibration.usl;
    record(
      n,
      'replica-capacity',
      'Capacity of one replica (USL)',
      'C(n) = n / (1 + σ(n−1) + κn(n−1)); capacity = per-core × C(n); one engine process per core',
      `n = ${fmt(cpuPerReplica)}, σ = ${fmt(u.sigma, 4)}, κ = ${fmt(u.kappa, 4)} → C = ${fmt(effCores, 3)}`,
      `${fmt(perReplicaCapacityRps)} RPS`,
    );
    if (u.peakConcurrency !== null && cpuPerReplica > u.peakConcurrency) {
      n.warnings.push(
        `--cpu-per-replica ${fmt(cpuPerReplica)} is past the USL peak (${fmt(u.peakConcurrency, 3)}): more cores per replica lower throughput; prefer more, smaller replicas`,
      );
    }
  } else {
    record(
      n,
      'replica-capacity',
      'Capacity of one replica (linear)',
      'capacity = per-core × cores (no contention measured)',
      `${fmt(perCore)} × ${fmt(cpuPerReplica)}`,
      `${fmt(perReplicaCapacityRps)} RPS`,
    );
  }
  return { effCores, perReplicaCapacityRps };
}

interface CpuReplicas {
  replicasForCapacity: number;
  minReplicas: number;
}

/** 2. Replicas for CPU at the target utilisation, at least the HA minimum. */
function replicasForCpu(n: Notes, inputs: SizeInputs, perReplicaCapacityRps: number): CpuReplicas {
  const { peakRps, headroom } = inputs;
  const replicasForCapacity = Math.ceil(peakRps / (perReplicaCapacityRps * headroom));
  const minReplicas = inputs.ha ? DEFAULTS.haMinReplicas : DEFAULTS.minReplicas;
  record(
    n,
    'replicas-cpu',
    'Replicas for CPU',
    'ceil(peak ÷ (capacity × target utilisation)), at least the HA minimum',
    `ceil(${fmt(peakRps)} ÷ (${fmt(perReplicaCapacityRps)} × ${fmt(headroom)})) = ${replicasForCapacity}; minimum ${minReplicas}${inputs.ha ? ' (--ha)' : ''}`,
    `${Math.max(replicasForCapacity, minReplicas)} replicas`,
  );
  return { replicasForCapacity, minReplicas };
}

interface LatencyCheck {
  replicas: number;
  replicasForLatency: number;
  perReplicaRps: number;
  utilisation: number;
  result: SizingResult['latency'];
}

/** 3. Latency: M/M/c per replica (c = whole cores, μ = capacity ÷ c); more replicas until the p99 fits, when it can. */
function latencyCheck(n: Notes, inputs: SizeInputs, calibration: Calibration, perReplicaCapacityRps: number, cpu: CpuReplicas): LatencyCheck {
  const { peakRps } = inputs;
  const servers = Math.max(1, Math.floor(inputs.cpuPerReplica));
  const serviceRatePerServer = perReplicaCapacityRps / servers;
  const serviceTimeMs = 1000 / serviceRatePerServer;
  const baseMs = calibration.baseLatencyMs.value;
  const floorP99Ms = baseMs + (Math.log(100) / serviceRatePerServer) * 1000;
  const cpuReplicas = Math.max(cpu.replicasForCapacity, cpu.minReplicas);
  let replicas = cpuReplicas;
  let lat = latencyAt(peakRps / replicas, servers, serviceRatePerServer, baseMs);
  const fitsAt = (r: number): boolean => latencyAt(peakRps / r, servers, serviceRatePerServer, baseMs).p99Ms <= inputs.p99TargetMs;
  let replicasForLatency = replicas;
  if (lat.p99Ms > inputs.p99TargetMs) {
    if (floorP99Ms >= inputs.p99TargetMs) {
      n.warnings.push(
        `p99 target ${fmtMs(inputs.p99TargetMs)} is below what any replica count reaches (${fmtMs(floorP99Ms)} at zero load): speed up checks (cache, simpler conditions) or relax --p99`,
      );
    } else {
      replicasForLatency = fewestReplicasThatFit(replicas, fitsAt);
      replicas = replicasForLatency;
      lat = latencyAt(peakRps / replicas, servers, serviceRatePerServer, baseMs);
    }
  }
  const perReplicaRps = peakRps / replicas;
  const utilisation = perReplicaRps / perReplicaCapacityRps;
  // the quick approximation, shown beside the exact Erlang C mean as a cross-check
  const approxMeanMs = baseMs + mmcApproxResponseS(serviceTimeMs / 1000, utilisation, servers) * 1000;
  record(
    n,
    'latency',
    'Latency check (M/M/c, Erlang C)',
    'P(T>t) = (1−C)e^(−μt) + C·P(S+W>t), W ~ Exp(cμ−λ); p99 solves P(T>t)=1%; plus base latency',
    `λ = ${fmt(perReplicaRps)}/s per replica, c = ${servers}, S = ${fmtMs(serviceTimeMs)}, ρ = ${fmt(utilisation * 100, 3)}%, base = ${fmtMs(baseMs)}`,
    `mean ${fmtMs(lat.meanMs)} (S/(1−ρ^c) approximation ${fmtMs(approxMeanMs)}), p99 ${fmtMs(lat.p99Ms)} vs target ${fmtMs(inputs.p99TargetMs)}${
      replicasForLatency > cpuReplicas ? ` → raised to ${replicas} replicas` : ''
    }`,
  );
  return {
    replicas,
    replicasForLatency,
    perReplicaRps,
    utilisation,
    result: {
      model: 'M/M/c (Erlang C), exact sojourn-time percentile',
      servers,
      serviceTimeMs,
      baseLatencyMs: baseMs,
      meanMs: lat.meanMs,
      approxMeanMs,
      p99Ms: lat.p99Ms,
      floorP99Ms,
      targetMs: inputs.p99TargetMs,
      fits: lat.p99Ms <= inputs.p99TargetMs,
    },
  };
}

/** p99 falls as replicas grow: exponential then binary search for the fewest above `from` that fit. */
function fewestReplicasThatFit(from: number, fitsAt: (replicas: number) => boolean): number {
  let hi = from * 2;
  while (!fitsAt(hi)) hi *= 2;
  let lo = from;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fitsAt(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** 4. CPU request (the cores per replica) and limit (request ÷ headroom). */
function cpuRequest(n: Notes, inputs: SizeInputs, utilisation: number): Omit<SizingResult['cpu'], 'totalRequestMillicores'> {
  const requestMillicores = Math.ceil(inputs.cpuPerReplica * 1000);
  const limitMillicores = Math.ceil(requestMillicores / inputs.headroom / 100) * 100;
  const usedAtPeakMillicores = Math.round(utilisation * requestMillicores);
  record(
    n,
    'cpu',
    'CPU request / limit per replica',
    'request = cores per replica; limit = request ÷ headroom (rounded up to 100m)',
    `${requestMillicores}m ÷ ${fmt(inputs.headroom)}`,
    `request ${requestMillicores}m, limit ${limitMillicores}m; ${usedAtPeakMillicores}m used at peak`,
  );
  return { requestMillicores, limitMillicores, usedAtPeakMillicores };
}

/** 5. Little's law: requests in flight per replica, and the keep-alive connections they need. */
function inFlight(n: Notes, inputs: SizeInputs, perReplicaRps: number, meanMs: number): Omit<SizingResult['concurrency'], 'totalKeepAliveConnections'> {
  const inFlightPerReplica = littlesLaw(perReplicaRps, meanMs / 1000);
  const keepAliveConnectionsPerReplica = Math.max(1, Math.ceil(inFlightPerReplica / inputs.headroom));
  record(
    n,
    'littles-law',
    "In-flight requests per replica (Little's law)",
    'L = λ × W; keep-alive connections = ceil(L ÷ headroom)',
    `${fmt(perReplicaRps)}/s × ${fmtMs(meanMs)}`,
    `L = ${fmt(inFlightPerReplica, 3)}; ${keepAliveConnectionsPerReplica} keep-alive connections per replica`,
  );
  return { inFlightPerReplica, keepAliveConnectionsPerReplica };
}

/** 6. HPA bounds and target, and where it settles at peak. */
function hpaPlan(
  n: Notes,
  inputs: SizeInputs,
  perReplicaCapacityRps: number,
  cpuReplicas: CpuReplicas,
  latency: LatencyCheck,
  cpu: { requestMillicores: number; limitMillicores: number },
): SizingResult['hpa'] {
  const { replicas, utilisation } = latency;
  const hpaMin = cpuReplicas.minReplicas;
  const hpaMax = Math.max(hpaMin + 1, Math.ceil(replicas * DEFAULTS.hpaBurstFactor));
  // When latency needed more replicas than CPU, the HPA must aim lower than the headroom to keep them.
  const latencyRaised = replicas > Math.max(cpuReplicas.replicasForCapacity, cpuReplicas.minReplicas);
  const targetCpuUtilisationPercent = latencyRaised ? Math.max(1, Math.floor(utilisation * 100)) : Math.round(inputs.headroom * 100);
  const steps = simulateHpa({
    peakRps: inputs.peakRps,
    perReplicaCapacityRps,
    minReplicas: hpaMin,
    maxReplicas: hpaMax,
    targetPercent: targetCpuUtilisationPercent,
    maxUtilisationPercent: (cpu.limitMillicores / cpu.requestMillicores) * 100,
  });
  const replicasAtPeak = steps[steps.length - 1]!.desiredReplicas;
  record(
    n,
    'hpa',
    'HPA (autoscaling/v2)',
    'desired = ceil(current × utilisation ÷ target), from minReplicas at peak',
    steps.map((s) => `${s.currentReplicas} @ ${fmt(s.utilisationPercent, 3)}% → ${s.desiredReplicas}`).join('; '),
    `min ${hpaMin}, max ${hpaMax}, target ${targetCpuUtilisationPercent}% CPU; settles at ${replicasAtPeak}`,
  );
  if (replicasAtPeak < replicas) {
    n.warnings.push(`the HPA settles at ${replicasAtPeak} replicas at peak, fewer than the ${replicas} planned (10% tolerance band)`);
  }
  return { minReplicas: hpaMin, maxReplicas: hpaMax, targetCpuUtilisationPercent, steps, replicasAtPeak };
}

/** 7. DB connections at peak and at HPA max against max_connections less the headroom. */
function dbBudget(n: Notes, inputs: SizeInputs, replicas: number, hpaMax: number): SizingResult['db'] {
  const budget = Math.floor(inputs.dbMaxConnections * (1 - DEFAULTS.dbHeadroom));
  const connectionsAtPeak = replicas * inputs.poolSize;
  const connectionsAtHpaMax = hpaMax * inputs.poolSize;
  const maxPoolSizeForBudget = Math.floor(budget / hpaMax);
  const fits = connectionsAtHpaMax <= budget;
  record(
    n,
    'db',
    'DB connection budget',
    'replicas × pool ≤ max_connections × 80%',
    `${replicas} × ${inputs.poolSize} = ${connectionsAtPeak} at peak, ${hpaMax} × ${inputs.poolSize} = ${connectionsAtHpaMax} at HPA max; budget ${inputs.dbMaxConnections} × 0.8 = ${budget}`,
    fits
      ? 'fits'
      : maxPoolSizeForBudget > 0
        ? `over budget: pool ≤ ${maxPoolSizeForBudget} per replica, or raise max_connections / add a pooler`
        : 'over budget even with one connection per replica: raise max_connections or add a pooler',
  );
  if (!fits) {
    n.warnings.push(
      `DB connections ${connectionsAtHpaMax} at HPA max (${hpaMax} × pool ${inputs.poolSize}) exceed 80% of max_connections ${inputs.dbMaxConnections} (${budget}): ${
        maxPoolSizeForBudget > 0 ? `use --pool-size ≤ ${maxPoolSizeForBudget}, raise max_connections` : `even one connection per replica is too many: raise max_connections`
      } or put PgBouncer in front`,
    );
  }
  return { poolSize: inputs.poolSize, maxConnections: inputs.dbMaxConnections, budget, connectionsAtPeak, connectionsAtHpaMax, fits, maxPoolSizeForBudget };
}

/** 8. Memory per replica: base RSS, policies, decision cache and connections; limit = request ÷ headroom. */
function memoryRequest(n: Notes, inputs: SizeInputs, calibration: Calibration, keepAliveConnections: number): Omit<SizingResult['memory'], 'totalRequestBytes'> {
  const m = calibration.memory;
  const breakdown = [
    { part: 'base RSS', bytes: m.baseRssBytes.value, detail: m.baseRssBytes.detail },
    { part: 'policies', bytes: inputs.policies * m.bytesPerPolicy.value, detail: `${fmt(inputs.policies)} × ${fmtBytes(m.bytesPerPolicy.value)}; ${m.bytesPerPolicy.detail}` },
    { part: 'decision cache', bytes: inputs.cacheSize * m.bytesPerCacheEntry.value, detail: `${fmt(inputs.cacheSize)} entries × ${fmtBytes(m.bytesPerCacheEntry.value)}; ${m.bytesPerCacheEntry.detail}` },
    { part: 'keep-alive connections', bytes: keepAliveConnections * m.bytesPerConnection.value, detail: `${keepAliveConnections} × ${fmtBytes(m.bytesPerConnection.value)}` },
    { part: 'DB pool', bytes: inputs.poolSize * m.bytesPerDbConnection.value, detail: `${inputs.poolSize} × ${fmtBytes(m.bytesPerDbConnection.value)}` },
  ];
  const rawBytes = breakdown.reduce((s, b) => s + b.bytes, 0);
  const requestBytes = Math.ceil(rawBytes / MiB) * MiB;
  const limitBytes = Math.ceil(requestBytes / inputs.headroom / MiB) * MiB;
  record(
    n,
    'memory',
    'Memory request / limit per replica',
    'base RSS + policies × bytes + cache entries × bytes + connections; limit = request ÷ headroom',
    breakdown.map((b) => `${b.part} ${fmtBytes(b.bytes)}`).join(' + '),
    `request ${fmtBytes(requestBytes)}, limit ${fmtBytes(limitBytes)}`,
  );
  return { requestBytes, limitBytes, breakdown };
}

/** 9. The reference profile for this peak (the reference capacity constants), side by side with ours. */
function referenceComparison(
  n: Notes,
  inputs: SizeInputs,
  calibration: Calibration,
  perReplicaCapacityRps: number,
  minReplicas: number,
  replicas: number,
  utilisation: number,
  requestMillicores: number,
): SizingResult['profile'] {
  const { peakRps } = inputs;
  const profile = referenceProfileFor(peakRps);
  const referenceReplicas = Math.max(minReplicas, Math.ceil(peakRps / REFERENCE.rpsPerReplica));
  const referenceCpuTotal = (peakRps / 1000) * REFERENCE.millicoresPer1000Rps;
  const oursMillicoresPer1000 = (1000 / perReplicaCapacityRps) * requestMillicores;
  const ratio = (ours: number, reference: number): number | null => (reference > 0 ? ours / reference : null);
  const comparison = [
    { figure: 'RPS per replica (capacity)', sdd: REFERENCE.rpsPerReplica, ours: perReplicaCapacityRps, unit: 'RPS' },
    { figure: 'CPU per 1,000 RPS (at 100%)', sdd: REFERENCE.millicoresPer1000Rps, ours: oursMillicoresPer1000, unit: 'millicores' },
    { figure: 'replicas at peak', sdd: referenceReplicas, ours: replicas, unit: 'replicas' },
    { figure: 'CPU at peak (total)', sdd: referenceCpuTotal, ours: Math.round(utilisation * requestMillicores * replicas), unit: 'millicores' },
    { figure: 'memory per policy', sdd: REFERENCE.bytesPerPolicy, ours: calibration.memory.bytesPerPolicy.value, unit: 'bytes' },
  ].map((row) => ({ ...row, ratio: ratio(row.ours, row.sdd) }));
  record(
    n,
    'profile',
    'reference profile',
    'small < 5k, medium 5–25k, large 25–100k, xlarge > 100k RPS',
    `${fmt(peakRps)} RPS`,
    `${profile.name} (${profile.range}); reference constants give ${referenceReplicas} replicas, ${fmt(referenceCpuTotal)}m CPU`,
  );
  return { name: profile.name, range: profile.range, comparison };
}

/** Where the calibration does not answer the question asked: cache hit rate, redundancy, extrapolation. */
function calibrationWarnings(n: Notes, inputs: SizeInputs, calibration: Calibration, replicas: number, perCoreLoad: number): void {
  if (calibration.kind === 'default' && inputs.cacheHitRateSource === '--cache-hit-rate') {
    n.warnings.push('--cache-hit-rate changes nothing with the default constants: calibrate with --from a bench report (cached and uncached checks) or --measure');
  }
  const measuredHit = calibration.measuredCacheHitRate;
  if (measuredHit !== null && Math.abs(measuredHit - inputs.cacheHitRate) > 0.05) {
    n.warnings.push(
      `capacity was measured at a ${fmt(measuredHit * 100, 3)}% cache hit rate, not the ${fmt(inputs.cacheHitRate * 100, 3)}% asked for: re-run the loadtest with a matching request mix`,
    );
  }
  if (replicas < 2 && !inputs.ha) n.warnings.push('one replica has no redundancy: a restart drops traffic (use --ha for at least 3)');
  if (calibration.maxObservedRps !== null && perCoreLoad > calibration.maxObservedRps) {
    n.warnings.push(
      `each core must serve ${fmt(perCoreLoad)} RPS, more than the ${fmt(calibration.maxObservedRps)} RPS observed in calibration: extrapolated`,
    );
  }
}

/** The result at several peak rates, everything else unchanged. */
export function whatIf(inputs: SizeInputs, calibration: Calibration, levels: readonly number[]): WhatIfRow[] {
  return levels.map((peakRps) => {
    const r = sizeFor({ ...inputs, peakRps }, calibration);
    return {
      peakRps,
      replicas: r.replicas,
      utilisation: r.utilisation,
      cpuRequestMillicoresTotal: r.cpu.totalRequestMillicores,
      memoryRequestBytesTotal: r.memory.totalRequestBytes,
      p99Ms: r.latency.p99Ms,
      latencyFits: r.latency.fits,
      hpaMaxReplicas: r.hpa.maxReplicas,
      dbFits: r.db.fits,
      profile: r.profile.name,
      sddReplicas: Math.max(r.minReplicas, Math.ceil(peakRps / REFERENCE.rpsPerReplica)),
      sddCpuMillicoresTotal: (peakRps / 1000) * REFERENCE.millicoresPer1000Rps,
    };
  });
}
