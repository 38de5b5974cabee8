/**
 * Universal Scalability Law (Gunther): X(N) = λN / (1 + σ(N−1) + κN(N−1)).
 *   σ  contention (serialised fraction), κ  coherency (crosstalk), λ  rate of one unit alone.
 * The fit is a bounded Levenberg–Marquardt least-squares on throughput, started from the
 * linearised form N/X = 1/λ + (σ/λ)(N−1) + (κ/λ)N(N−1) solved by ordinary least squares.
 */

export interface UslParams {
  sigma: number;
  kappa: number;
  /** throughput of one unit (N = 1), same unit as the measured throughput */
  lambda: number;
}

export interface UslPoint {
  /** N: concurrency (in-flight requests) or parallel units */
  n: number;
  /** X: measured throughput */
  x: number;
}

export interface UslFitResult extends UslParams {
  /** coefficient of determination of the fit on X */
  rSquared: number;
  /** root-mean-square residual, unit of X */
  rmse: number;
  iterations: number;
  converged: boolean;
}

export const MIN_USL_POINTS = 4;

export function uslThroughput(p: UslParams, n: number): number {
  return (p.lambda * n) / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1));
}

/** N* = √((1−σ)/κ): where throughput peaks. Infinite when κ = 0 (no retrograde region). */
export function uslPeakConcurrency(p: Pick<UslParams, 'sigma' | 'kappa'>): number {
  if (p.kappa <= 0) return Number.POSITIVE_INFINITY;
  return Math.sqrt(Math.max(0, 1 - p.sigma) / p.kappa);
}

/** Highest throughput the model allows: X(N*), or the asymptote λ/σ when κ = 0. */
export function uslMaxThroughput(p: UslParams): number {
  const peak = uslPeakConcurrency(p);
  if (Number.isFinite(peak)) return uslThroughput(p, Math.max(1, peak));
  return p.sigma > 0 ? p.lambda / p.sigma : Number.POSITIVE_INFINITY;
}

/** Relative capacity C(N) = X(N)/X(1) = N / (1 + σ(N−1) + κN(N−1)). */
export function uslRelativeCapacity(p: Pick<UslParams, 'sigma' | 'kappa'>, n: number): number {
  return n / (1 + p.sigma * (n - 1) + p.kappa * n * (n - 1));
}

/** Fits σ, κ ≥ 0 and λ > 0 to the points. Needs ≥ MIN_USL_POINTS distinct N values. */
export function fitUsl(points: readonly UslPoint[], maxIterations = 200): UslFitResult {
  const pts = points.filter((p) => Number.isFinite(p.n) && Number.isFinite(p.x) && p.n > 0 && p.x > 0);
  const distinct = new Set(pts.map((p) => p.n)).size;
  if (distinct < MIN_USL_POINTS) {
    throw new RangeError(`USL fit needs at least ${MIN_USL_POINTS} distinct concurrency levels, got ${distinct}`);
  }
  let best = lmFit(pts, linearisedStart(pts), maxIterations);
  // A second start from "no coherency" guards against the linearised start landing in a poor basin.
  const alt = lmFit(pts, { lambda: Math.max(...pts.map((p) => p.x / p.n)), sigma: 0.05, kappa: 0 }, maxIterations);
  if (alt.cost < best.cost) best = alt;
  const meanX = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const ssTot = pts.reduce((s, p) => s + (p.x - meanX) ** 2, 0);
  return {
    sigma: best.params.sigma,
    kappa: best.params.kappa,
    lambda: best.params.lambda,
    rSquared: ssTot > 0 ? 1 - (2 * best.cost) / ssTot : 1,
    rmse: Math.sqrt((2 * best.cost) / pts.length),
    iterations: best.iterations,
    converged: best.converged,
  };
}

/** OLS on N/X = a + b(N−1) + c·N(N−1); λ = 1/a, σ = b/a, κ = c/a, clamped into the bounds. */
function linearisedStart(pts: readonly UslPoint[]): UslParams {
  const rows = pts.map((p) => [1, p.n - 1, p.n * (p.n - 1)]);
  const ys = pts.map((p) => p.n / p.x);
  const ata = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
  const aty = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + r[i]! * ys[k]!, 0));
  const sol = solve3(ata, aty);
  const fallbackLambda = Math.max(...pts.map((p) => p.x / p.n));
  if (!sol || !(sol[0]! > 0)) return { lambda: fallbackLambda, sigma: 0.05, kappa: 0 };
  const [a, b, c] = sol as [number, number, number];
  return { lambda: 1 / a, sigma: Math.min(1, Math.max(0, b / a)), kappa: Math.max(0, c / a) };
}

interface LmState {
  params: UslParams;
  /** ½ Σ r² */
  cost: number;
  iterations: number;
  converged: boolean;
}

function halfSquaredError(pts: readonly UslPoint[], p: UslParams): number {
  let s = 0;
  for (const pt of pts) {
    const r = uslThroughput(p, pt.n) - pt.x;
    s += r * r;
  }
  return s / 2;
}

function project(p: UslParams): UslParams {
  return { lambda: Math.max(p.lambda, 1e-12), sigma: Math.max(0, p.sigma), kappa: Math.max(0, p.kappa) };
}

function lmFit(pts: readonly UslPoint[], start: UslParams, maxIterations: number): LmState {
  let params = project(start);
  let cost = halfSquaredError(pts, params);
  let mu = 1e-3;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // Normal equations JᵀJ δ = −Jᵀr with analytic derivatives, order (λ, σ, κ).
    const jtj = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    const jtr = [0, 0, 0];
    for (const pt of pts) {
      const n = pt.n;
      const d = 1 + params.sigma * (n - 1) + params.kappa * n * (n - 1);
      const x = (params.lambda * n) / d;
      const r = x - pt.x;
      const g = [n / d, (-params.lambda * n * (n - 1)) / (d * d), (-params.lambda * n * n * (n - 1)) / (d * d)];
      for (let i = 0; i < 3; i++) {
        jtr[i]! += g[i]! * r;
        for (let j = 0; j < 3; j++) jtj[i]![j]! += g[i]! * g[j]!;
      }
    }
    let improved = false;
    // Marquardt damping on the diagonal handles the very different scales of λ, σ and κ.
    for (let attempt = 0; attempt < 30 && !improved; attempt++) {
      // Solved in coordinates scaled by √diag(JᵀJ) so the pivoting sees comparable columns.
      const scale = jtj.map((row, i) => Math.sqrt(Math.max(row[i]!, 1e-300)));
      const damped = jtj.map((row, i) => row.map((v, j) => v / (scale[i]! * scale[j]!) + (i === j ? mu : 0)));
      const scaled = solve3(damped, jtr.map((v, i) => -v / scale[i]!));
      if (!scaled) {
        mu *= 10;
        continue;
      }
      const candidate = project({
        lambda: params.lambda + scaled[0]! / scale[0]!,
        sigma: params.sigma + scaled[1]! / scale[1]!,
        kappa: params.kappa + scaled[2]! / scale[2]!,
      });
      const candidateCost = halfSquaredError(pts, candidate);
      if (candidateCost < cost) {
        const relDrop = (cost - candidateCost) / Math.max(cost, 1e-300);
        params = candidate;
        cost = candidateCost;
        mu = Math.max(mu / 3, 1e-12);
        improved = true;
        if (relDrop < 1e-13) converged = true;
      } else {
        mu *= 4;
      }
    }
    if (!improved || converged) {
      // No step lowers the cost: a (bounded) minimum at this precision.
      converged = true;
      break;
    }
  }
  return { params, cost, iterations, converged };
}

/** Gaussian elimination with partial pivoting for a 3×3 system; null when singular. */
export function solve3(a: number[][], b: number[]): number[] | null {
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-300) return null;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < 3; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c < 4; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const x = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = m[r]![3]!;
    for (let c = r + 1; c < 3; c++) s -= m[r]![c]! * x[c]!;
    x[r] = s / m[r]![r]!;
  }
  return x.every(Number.isFinite) ? x : null;
}
