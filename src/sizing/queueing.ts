/**
 * Queueing formulas for the latency check: M/M/c with Erlang C (exact for Poisson arrivals and
 * exponential service), and Little's law. Rates are per second, times in seconds.
 */

/** Erlang B by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)). */
export function erlangB(servers: number, offeredLoad: number): number {
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offeredLoad * b) / (k + offeredLoad * b);
  return b;
}

/** Erlang C: probability an arrival waits, for c servers and offered load a = λ/μ (needs a < c). */
export function erlangC(servers: number, offeredLoad: number): number {
  if (offeredLoad <= 0) return 0;
  if (offeredLoad >= servers) return 1;
  const b = erlangB(servers, offeredLoad);
  const rho = offeredLoad / servers;
  return b / (1 - rho * (1 - b));
}

export interface MmcInput {
  /** arrival rate λ, per second */
  arrivalRate: number;
  /** service rate of one server μ, per second */
  serviceRate: number;
  /** c ≥ 1 */
  servers: number;
}

export interface MmcResult {
  /** ρ = λ / (cμ) */
  utilisation: number;
  /** Erlang C */
  waitProbability: number;
  /** mean queueing delay Wq, seconds */
  meanWaitS: number;
  /** mean response time W = Wq + 1/μ, seconds */
  meanResponseS: number;
  /** in-flight requests by Little's law L = λW */
  meanInSystem: number;
  stable: boolean;
}

export function mmc({ arrivalRate, serviceRate, servers }: MmcInput): MmcResult {
  const c = Math.max(1, Math.floor(servers));
  const a = arrivalRate / serviceRate;
  const rho = a / c;
  if (rho >= 1) {
    const inf = Number.POSITIVE_INFINITY;
    return { utilisation: rho, waitProbability: 1, meanWaitS: inf, meanResponseS: inf, meanInSystem: inf, stable: false };
  }
  const pw = erlangC(c, a);
  const meanWaitS = pw / (c * serviceRate - arrivalRate);
  const meanResponseS = meanWaitS + 1 / serviceRate;
  return {
    utilisation: rho,
    waitProbability: pw,
    meanWaitS,
    meanResponseS,
    meanInSystem: littlesLaw(arrivalRate, meanResponseS),
    stable: true,
  };
}

/**
 * P(T > t) for the M/M/c response time T = S + W: S ~ Exp(μ); W = 0 with probability 1 − C,
 * otherwise Exp(θ) with θ = cμ − λ.
 */
export function mmcResponseTail(input: MmcInput, tS: number): number {
  const c = Math.max(1, Math.floor(input.servers));
  const mu = input.serviceRate;
  const theta = c * mu - input.arrivalRate;
  if (theta <= 0) return 1;
  const pw = erlangC(c, input.arrivalRate / mu);
  const serviceTail = Math.exp(-mu * tS);
  const sumTail =
    Math.abs(theta - mu) < 1e-12 * mu
      ? (1 + mu * tS) * serviceTail
      : (theta * serviceTail - mu * Math.exp(-theta * tS)) / (theta - mu);
  return (1 - pw) * serviceTail + pw * sumTail;
}

/** The q-quantile (e.g. 0.99) of the M/M/c response time, seconds; Infinity when unstable. */
export function mmcResponsePercentile(input: MmcInput, q: number): number {
  const target = 1 - q;
  if (mmcResponseTail(input, 0) <= target) return 0;
  let hi = 1 / input.serviceRate;
  for (let i = 0; i < 200 && mmcResponseTail(input, hi) > target; i++) hi *= 2;
  if (mmcResponseTail(input, hi) > target) return Number.POSITIVE_INFINITY;
  let lo = 0;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (mmcResponseTail(input, mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Quick M/M/c approximation of the mean response time: R ≈ S / (1 − ρ^c) (exact for c = 1). */
export function mmcApproxResponseS(serviceTimeS: number, utilisation: number, servers: number): number {
  const c = Math.max(1, Math.floor(servers));
  return utilisation >= 1 ? Number.POSITIVE_INFINITY : serviceTimeS / (1 - utilisation ** c);
}

/** Little's law: mean number in the system L = λ · W. */
export function littlesLaw(arrivalRatePerS: number, meanTimeInSystemS: number): number {
  return arrivalRatePerS * meanTimeInSystemS;
}
