/**
 * The sizing model: pure arithmetic from inputs + calibration to replicas, CPU, memory, pools and
 * HPA settings, recording each step of the working as it goes.
 */
import type { Calibration, HpaStep, SizeInputs, SizingResult, WhatIfRow, WorkingStep } from './types.js';
import { DEFAULTS, SDD, sddProfileFor } from './defaults.js';
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

export function sizeFor(inputs: SizeInputs, calibration: Calibration): SizingResult {
  const working: WorkingStep[] = [];
  const warnings: string[] = [];
  const step = (id: string, label: string, formula: string, substitution: string, result: string): void => {
    working.push({ id, label, formula, substitution, result });
  };
  const { peakRps, headroom, cpuPerReplica } = inputs;

  // 1. capacity
  const perCore = calibration.perCoreRps.value;
  const effCores = effectiveCores(calibration, cpuPerReplica);
  const perReplicaCapacityRps = perCore * effCores;
  step('per-core', 'Capacity of one core', 'from calibration', calibration.perCoreRps.detail, `${fmt(perCore)} RPS/core`);
  if (calibration.capacityModel === 'usl' && calibration.usl && cpuPerReplica > 1) {
    const u = calibration.usl;
    step(
      'replica-capacity',
      'Capacity of one replica (USL)',
      'C(n) = n / (1 + σ(n−1) + κn(n−1)); capacity = per-core × C(n); one engine process per core',
      `n = ${fmt(cpuPerReplica)}, σ = ${fmt(u.sigma, 4)}, κ = ${fmt(u.kappa, 4)} → C = ${fmt(effCores, 3)}`,
      `${fmt(perReplicaCapacityRps)} RPS`,
    );
    if (u.peakConcurrency !== null && cpuPerReplica > u.peakConcurrency) {
      warnings.push(
        `--cpu-per-replica ${fmt(cpuPerReplica)} is past the USL peak (${fmt(u.peakConcurrency, 3)}): more cores per replica lower throughput; prefer more, smaller replicas`,
      );
    }
  } else {
    step(
      'replica-capacity',
      'Capacity of one replica (linear)',
      'capacity = per-core × cores (no contention measured)',
      `${fmt(perCore)} × ${fmt(cpuPerReplica)}`,
      `${fmt(perReplicaCapacityRps)} RPS`,
    );
  }

  // 2. replicas for CPU
  const replicasForCapacity = Math.ceil(peakRps / (perReplicaCapacityRps * headroom));
  const minReplicas = inputs.ha ? DEFAULTS.haMinReplicas : DEFAULTS.minReplicas;
  step(
    'replicas-cpu',
    'Replicas for CPU',
    'ceil(peak ÷ (capacity × target utilisation)), at least the HA minimum',
    `ceil(${fmt(peakRps)} ÷ (${fmt(perReplicaCapacityRps)} × ${fmt(headroom)})) = ${replicasForCapacity}; minimum ${minReplicas}${inputs.ha ? ' (--ha)' : ''}`,
    `${Math.max(replicasForCapacity, minReplicas)} replicas`,
  );

  // 3. latency check: M/M/c per replica, c = whole cores, μ = capacity ÷ c
  const servers = Math.max(1, Math.floor(cpuPerReplica));
  const serviceRatePerServer = perReplicaCapacityRps / servers;
  const serviceTimeMs = 1000 / serviceRatePerServer;
  const baseMs = calibration.baseLatencyMs.value;
  const floorP99Ms = baseMs + (Math.log(100) / serviceRatePerServer) * 1000;
  let replicas = Math.max(replicasForCapacity, minReplicas);
  let lat = latencyAt(peakRps / replicas, servers, serviceRatePerServer, baseMs);
  const fitsAt = (r: number): boolean => latencyAt(peakRps / r, servers, serviceRatePerServer, baseMs).p99Ms <= inputs.p99TargetMs;
  let replicasForLatency = replicas;
  if (lat.p99Ms > inputs.p99TargetMs) {
    if (floorP99Ms >= inputs.p99TargetMs) {
      warnings.push(
        `p99 target ${fmtMs(inputs.p99TargetMs)} is below what any replica count reaches (${fmtMs(floorP99Ms)} at zero load): speed up checks (cache, simpler conditions) or relax --p99`,
      );
    } else {
      // p99 falls as replicas grow: exponential then binary search for the fewest that fit.
      let hi = replicas * 2;
      while (!fitsAt(hi)) hi *= 2;
      let lo = replicas;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (fitsAt(mid)) hi = mid;
        else lo = mid;
      }
      replicasForLatency = hi;
      replicas = hi;
      lat = latencyAt(peakRps / replicas, servers, serviceRatePerServer, baseMs);
    }
  }
  const perReplicaRps = peakRps / replicas;
  const utilisation = perReplicaRps / perReplicaCapacityRps;
  // The issue's quick approximation, shown beside the exact Erlang C mean as a cross-check.
  const approxMeanMs = baseMs + mmcApproxResponseS(serviceTimeMs / 1000, utilisation, servers) * 1000;
  step(
    'latency',
    'Latency check (M/M/c, Erlang C)',
    'P(T>t) = (1−C)e^(−μt) + C·P(S+W>t), W ~ Exp(cμ−λ); p99 solves P(T>t)=1%; plus base latency',
    `λ = ${fmt(perReplicaRps)}/s per replica, c = ${servers}, S = ${fmtMs(serviceTimeMs)}, ρ = ${fmt(utilisation * 100, 3)}%, base = ${fmtMs(baseMs)}`,
    `mean ${fmtMs(lat.meanMs)} (S/(1−ρ^c) approximation ${fmtMs(approxMeanMs)}), p99 ${fmtMs(lat.p99Ms)} vs target ${fmtMs(inputs.p99TargetMs)}${
      replicasForLatency > Math.max(replicasForCapacity, minReplicas) ? ` → raised to ${replicas} replicas` : ''
    }`,
  );
  const latencyFits = lat.p99Ms <= inputs.p99TargetMs;

  // 4. CPU request / limit
  const requestMillicores = Math.ceil(cpuPerReplica * 1000);
  const limitMillicores = Math.ceil(requestMillicores / headroom / 100) * 100;
  const usedAtPeakMillicores = Math.round(utilisation * requestMillicores);
  step(
    'cpu',
    'CPU request / limit per replica',
    'request = cores per replica; limit = request ÷ headroom (rounded up to 100m)',
    `${requestMillicores}m ÷ ${fmt(headroom)}`,
    `request ${requestMillicores}m, limit ${limitMillicores}m; ${usedAtPeakMillicores}m used at peak`,
  );

  // 5. Little's law → in-flight and keep-alive connections
  const inFlightPerReplica = littlesLaw(perReplicaRps, lat.meanMs / 1000);
  const keepAliveConnectionsPerReplica = Math.max(1, Math.ceil(inFlightPerReplica / headroom));
  step(
    'littles-law',
    "In-flight requests per replica (Little's law)",
    'L = λ × W; keep-alive connections = ceil(L ÷ headroom)',
    `${fmt(perReplicaRps)}/s × ${fmtMs(lat.meanMs)}`,
    `L = ${fmt(inFlightPerReplica, 3)}; ${keepAliveConnectionsPerReplica} keep-alive connections per replica`,
  );

  // 6. HPA
  const hpaMin = minReplicas;
  const hpaMax = Math.max(hpaMin + 1, Math.ceil(replicas * DEFAULTS.hpaBurstFactor));
  // When latency needed more replicas than CPU, the HPA must aim lower than the headroom to keep them.
  const latencyRaised = replicas > Math.max(replicasForCapacity, minReplicas);
  const targetCpuUtilisationPercent = latencyRaised ? Math.max(1, Math.floor(utilisation * 100)) : Math.round(headroom * 100);
  const hpaSteps = simulateHpa({
    peakRps,
    perReplicaCapacityRps,
    minReplicas: hpaMin,
    maxReplicas: hpaMax,
    targetPercent: targetCpuUtilisationPercent,
    maxUtilisationPercent: (limitMillicores / requestMillicores) * 100,
  });
  const replicasAtPeak = hpaSteps[hpaSteps.length - 1]!.desiredReplicas;
  step(
    'hpa',
    'HPA (autoscaling/v2)',
    'desired = ceil(current × utilisation ÷ target), from minReplicas at peak',
    hpaSteps.map((s) => `${s.currentReplicas} @ ${fmt(s.utilisationPercent, 3)}% → ${s.desiredReplicas}`).join('; '),
    `min ${hpaMin}, max ${hpaMax}, target ${targetCpuUtilisationPercent}% CPU; settles at ${replicasAtPeak}`,
  );
  if (replicasAtPeak < replicas) {
    warnings.push(`the HPA settles at ${replicasAtPeak} replicas at peak, fewer than the ${replicas} planned (10% tolerance band)`);
  }

  // 7. DB connection budget
  const budget = Math.floor(inputs.dbMaxConnections * (1 - DEFAULTS.dbHeadroom));
  const connectionsAtPeak = replicas * inputs.poolSize;
  const connectionsAtHpaMax = hpaMax * inputs.poolSize;
  const maxPoolSizeForBudget = Math.floor(budget / hpaMax);
  const dbFits = connectionsAtHpaMax <= budget;
  step(
    'db',
    'DB connection budget',
    'replicas × pool ≤ max_connections × 80%',
    `${replicas} × ${inputs.poolSize} = ${connectionsAtPeak} at peak, ${hpaMax} × ${inputs.poolSize} = ${connectionsAtHpaMax} at HPA max; budget ${inputs.dbMaxConnections} × 0.8 = ${budget}`,
    dbFits
      ? 'fits'
      : maxPoolSizeForBudget > 0
        ? `over budget: pool ≤ ${maxPoolSizeForBudget} per replica, or raise max_connections / add a pooler`
        : 'over budget even with one connection per replica: raise max_connections or add a pooler',
  );
  if (!dbFits) {
    warnings.push(
      `DB connections ${connectionsAtHpaMax} at HPA max (${hpaMax} × pool ${inputs.poolSize}) exceed 80% of max_connections ${inputs.dbMaxConnections} (${budget}): ${
        maxPoolSizeForBudget > 0 ? `use --pool-size ≤ ${maxPoolSizeForBudget}, raise max_connections` : `even one connection per replica is too many: raise max_connections`
      } or put PgBouncer in front`,
    );
  }

  // 8. memory
  const m = calibration.memory;
  const breakdown = [
    { part: 'base RSS', bytes: m.baseRssBytes.value, detail: m.baseRssBytes.detail },
    { part: 'policies', bytes: inputs.policies * m.bytesPerPolicy.value, detail: `${fmt(inputs.policies)} × ${fmtBytes(m.bytesPerPolicy.value)}; ${m.bytesPerPolicy.detail}` },
    { part: 'decision cache', bytes: inputs.cacheSize * m.bytesPerCacheEntry.value, detail: `${fmt(inputs.cacheSize)} entries × ${fmtBytes(m.bytesPerCacheEntry.value)}; ${m.bytesPerCacheEntry.detail}` },
    { part: 'keep-alive connections', bytes: keepAliveConnectionsPerReplica * m.bytesPerConnection.value, detail: `${keepAliveConnectionsPerReplica} × ${fmtBytes(m.bytesPerConnection.value)}` },
    { part: 'DB pool', bytes: inputs.poolSize * m.bytesPerDbConnection.value, detail: `${inputs.poolSize} × ${fmtBytes(m.bytesPerDbConnection.value)}` },
  ];
  const rawBytes = breakdown.reduce((s, b) => s + b.bytes, 0);
  const requestBytes = Math.ceil(rawBytes / MiB) * MiB;
  const limitBytes = Math.ceil(requestBytes / headroom / MiB) * MiB;
  step(
    'memory',
    'Memory request / limit per replica',
    'base RSS + policies × bytes + cache entries × bytes + connections; limit = request ÷ headroom',
    breakdown.map((b) => `${b.part} ${fmtBytes(b.bytes)}`).join(' + '),
    `request ${fmtBytes(requestBytes)}, limit ${fmtBytes(limitBytes)}`,
  );

  // 9. SDD profile, side by side
  const profile = sddProfileFor(peakRps);
  const sddReplicas = Math.max(minReplicas, Math.ceil(peakRps / SDD.rpsPerReplica));
  const sddCpuTotal = (peakRps / 1000) * SDD.millicoresPer1000Rps;
  const oursMillicoresPer1000 = (1000 / perReplicaCapacityRps) * requestMillicores;
  const ratio = (ours: number, sdd: number): number | null => (sdd > 0 ? ours / sdd : null);
  const comparison = [
    { figure: 'RPS per replica (capacity)', sdd: SDD.rpsPerReplica, ours: perReplicaCapacityRps, unit: 'RPS' },
    { figure: 'CPU per 1,000 RPS (at 100%)', sdd: SDD.millicoresPer1000Rps, ours: oursMillicoresPer1000, unit: 'millicores' },
    { figure: 'replicas at peak', sdd: sddReplicas, ours: replicas, unit: 'replicas' },
    { figure: 'CPU at peak (total)', sdd: sddCpuTotal, ours: Math.round(utilisation * requestMillicores * replicas), unit: 'millicores' },
    { figure: 'memory per policy', sdd: SDD.bytesPerPolicy, ours: m.bytesPerPolicy.value, unit: 'bytes' },
  ].map((row) => ({ ...row, ratio: ratio(row.ours, row.sdd) }));
  step(
    'profile',
    'SDD profile',
    'small < 5k, medium 5–25k, large 25–100k, xlarge > 100k RPS',
    `${fmt(peakRps)} RPS`,
    `${profile.name} (${profile.range}); SDD constants give ${sddReplicas} replicas, ${fmt(sddCpuTotal)}m CPU`,
  );

  if (calibration.kind === 'default' && inputs.cacheHitRateSource === '--cache-hit-rate') {
    warnings.push('--cache-hit-rate changes nothing with the default constants: calibrate with --from a bench report (cached and uncached checks) or --measure');
  }
  const measuredHit = calibration.measuredCacheHitRate;
  if (measuredHit !== null && Math.abs(measuredHit - inputs.cacheHitRate) > 0.05) {
    warnings.push(
      `capacity was measured at a ${fmt(measuredHit * 100, 3)}% cache hit rate, not the ${fmt(inputs.cacheHitRate * 100, 3)}% asked for: re-run the loadtest with a matching request mix`,
    );
  }
  if (replicas < 2 && !inputs.ha) warnings.push('one replica has no redundancy: a restart drops traffic (use --ha for at least 3)');
  const perCoreLoad = perReplicaRps / effCores;
  if (calibration.maxObservedRps !== null && perCoreLoad > calibration.maxObservedRps) {
    warnings.push(
      `each core must serve ${fmt(perCoreLoad)} RPS, more than the ${fmt(calibration.maxObservedRps)} RPS observed in calibration: extrapolated`,
    );
  }

  return {
    peakRps,
    perReplicaCapacityRps,
    effectiveCores: effCores,
    replicasForCapacity,
    replicasForLatency,
    minReplicas,
    replicas,
    perReplicaRps,
    utilisation,
    latency: {
      model: 'M/M/c (Erlang C), exact sojourn-time percentile',
      servers,
      serviceTimeMs,
      baseLatencyMs: baseMs,
      meanMs: lat.meanMs,
      approxMeanMs,
      p99Ms: lat.p99Ms,
      floorP99Ms,
      targetMs: inputs.p99TargetMs,
      fits: latencyFits,
    },
    cpu: {
      requestMillicores,
      limitMillicores,
      usedAtPeakMillicores,
      totalRequestMillicores: requestMillicores * replicas,
    },
    memory: { requestBytes, limitBytes, totalRequestBytes: requestBytes * replicas, breakdown },
    concurrency: {
      inFlightPerReplica,
      keepAliveConnectionsPerReplica,
      totalKeepAliveConnections: keepAliveConnectionsPerReplica * replicas,
    },
    db: {
      poolSize: inputs.poolSize,
      maxConnections: inputs.dbMaxConnections,
      budget,
      connectionsAtPeak,
      connectionsAtHpaMax,
      fits: dbFits,
      maxPoolSizeForBudget,
    },
    hpa: { minReplicas: hpaMin, maxReplicas: hpaMax, targetCpuUtilisationPercent, steps: hpaSteps, replicasAtPeak },
    profile: { name: profile.name, range: profile.range, comparison },
    warnings,
    working,
  };
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
      sddReplicas: Math.max(r.minReplicas, Math.ceil(peakRps / SDD.rpsPerReplica)),
      sddCpuMillicoresTotal: (peakRps / 1000) * SDD.millicoresPer1000Rps,
    };
  });
}
