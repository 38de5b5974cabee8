/**
 * Two operations timed in alternating rounds (A B, then B A, ...), so a change of machine load
 * during the measurement hits both alike: their ratio stays meaningful on a busy machine where
 * two measurements taken one after the other would not be.
 */
export interface PairedOptions {
  timeMs: number;
  warmupMs: number;
  /** at least this many rounds (each round times both operations once) */
  minRounds?: number;
  signal?: AbortSignal;
  /** clock in ns (tests) */
  now?: () => number;
}

export interface PairedSide {
  /** mean ns per call of the operation */
  meanNs: number;
  /** 95% relative margin of error of that mean, over the rounds (Student's t), percent */
  rmePercent: number;
}

export interface PairedResult {
  a: PairedSide;
  b: PairedSide;
  /** a.meanNs ÷ b.meanNs */
  ratio: number;
  rounds: number;
  /** calls of each operation per round */
  callsPerRound: number;
}

/** one timed block should last about this long (ns) */
const BLOCK_NS = 2e6;
const MAX_ROUNDS = 5000;

const hrNow = (): number => Number(process.hrtime.bigint());
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// two-sided 95% Student t critical values for df = 1..30; 1.96 beyond
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function meanAndRme(values: readonly number[]): PairedSide {
  const n = values.length;
  if (n === 0) return { meanNs: 0, rmePercent: 100 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2 || mean <= 0) return { meanNs: mean, rmePercent: n < 2 ? 100 : 0 };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const t = T95[n - 2] ?? 1.96;
  return { meanNs: mean, rmePercent: ((t * Math.sqrt(variance / n)) / mean) * 100 };
}

export async function pairedRatio(a: () => void, b: () => void, options: PairedOptions): Promise<PairedResult> {
  const now = options.now ?? hrNow;
  const minRounds = options.minRounds ?? 10;
  const time = (fn: () => void, calls: number): number => {
    const start = now();
    for (let i = 0; i < calls; i++) fn();
    return (now() - start) / calls;
  };
  // warmup (also finds how many calls make a block of about BLOCK_NS for the slower side)
  let calls = 1;
  const warmEnd = now() + options.warmupMs * 1e6;
  do {
    const slower = Math.max(time(a, calls), time(b, calls), 1);
    calls = Math.max(1, Math.min(1e6, Math.round(BLOCK_NS / slower)));
  } while (now() < warmEnd);
  const ta: number[] = [];
  const tb: number[] = [];
  const end = now() + options.timeMs * 1e6;
  let lastYield = now();
  while ((ta.length < minRounds || now() < end) && ta.length < MAX_ROUNDS && !options.signal?.aborted) {
    if (ta.length % 2 === 0) {
      ta.push(time(a, calls));
      tb.push(time(b, calls));
    } else {
      tb.push(time(b, calls));
      ta.push(time(a, calls));
    }
    if (now() - lastYield > 50e6) {
      await yieldToLoop(); // lets Ctrl-C through
      lastYield = now();
    }
  }
  const sa = meanAndRme(ta);
  const sb = meanAndRme(tb);
  return { a: sa, b: sb, ratio: sb.meanNs > 0 ? sa.meanNs / sb.meanNs : 0, rounds: ta.length, callsPerRound: calls };
}
