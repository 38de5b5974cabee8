/**
 * Everything a run measures, shared by the open and closed models: latency histograms
 * (corrected, service, scheduler lag), counts, errors by class and the per-second series.
 * Failed requests are counted by class and kept out of the latency histograms.
 */
import { createHistogram, percentileMs, recordMs, round3, summarize, SPECTRUM_PERCENTILES, type Histogram } from './histogram.js';
import type { LoadShape } from './schedule.js';
import { bucketsOfHistogram, histogramOfBuckets, type BucketHistogram } from './bucket-merge.js';
import { SplitAccumulator, type SplitState } from './latency-split.js';
import type { RequestSender } from './sender.js';
import type { ErrorClass, ErrorStats, LoadCounts, LoadModel, SeriesPoint, SpectrumPoint } from './types.js';

export type { ErrorClass } from './types.js';

const MAX_ERROR_SAMPLES = 5;

/**
 * Everything a Recorder holds, structured-cloneable: what a generator thread hands back so the
 * main thread can merge the threads' recorders exactly (histograms as bucket counts with their
 * exact min and max; per-second latency histograms kept so per-second percentiles merge too).
 */
export interface RecorderState {
  counts: LoadCounts;
  errors: ErrorStats;
  corrected: BucketHistogram | null;
  service: BucketHistogram;
  lag: BucketHistogram | null;
  wait: BucketHistogram | null;
  sentPerSec: number[];
  completedPerSec: number[];
  errorsPerSec: number[];
  concurrencyPerSec: number[];
  /** per-second latency histograms (null: no successful request that second) */
  seconds: Array<BucketHistogram | null>;
  split: SplitState;
}

export class Recorder {
  readonly corrected: Histogram | null;
  readonly service: Histogram = createHistogram();
  readonly lag: Histogram | null;
  /** open model: time requests waited for a free connection (those that waited) */
  readonly wait: Histogram | null;
  /** where each successful request's latency went (scheduler lag, connection wait, wire, server) */
  readonly split = new SplitAccumulator();
  readonly counts: LoadCounts = { scheduled: 0, sent: 0, completed: 0, succeeded: 0, failed: 0, dropped: 0, late: 0, abandoned: 0 };
  readonly errors: ErrorStats = { total: 0, rate: 0, connect: 0, timeout: 0, byStatus: {}, mismatch: 0, other: 0, samples: [] };
  /** seconds since start; series arrays are indexed by it */
  private readonly sentPerSec: number[] = [];
  private readonly completedPerSec: number[] = [];
  private readonly errorsPerSec: number[] = [];
  private readonly concurrencyPerSec: number[] = [];
  private readonly quantilesPerSec: Array<[number, number, number] | null> = [];
  private readonly secondHist: Histogram = createHistogram();
  private currentSecond = 0;
  /** completions after the sending phase are folded into its last second */
  private readonly maxSecond: number;
  /** per-second latency histograms, kept only when the state is to be merged elsewhere */
  private readonly keptSeconds: Array<BucketHistogram | null> | null;

  constructor(
    readonly model: LoadModel,
    private readonly shape: LoadShape,
    readonly lateThresholdMs: number,
    /** current connections (open) or VUs (closed), sampled once a second */
    private readonly concurrency: () => number,
    /** keep each second's latency histogram for state() (a generator thread's recorder) */
    keepSeconds = false,
  ) {
    this.keptSeconds = keepSeconds ? [] : null;
    this.corrected = model === 'open' ? createHistogram() : null;
    this.lag = model === 'open' ? createHistogram() : null;
    this.wait = model === 'open' ? createHistogram() : null;
    this.maxSecond = Math.max(0, Math.ceil(shape.totalMs / 1000) - 1);
  }

  /**
   * A request went on the wire at `sentMs` (intended at `intendedMs`; same value in the closed
   * model). `queued`: it waited for a free connection, so its delay is not the scheduler's lag.
   */
  onSent(sentMs: number, intendedMs: number, queued = false, scheduledMs = sentMs): void {
    this.counts.sent++;
    const sec = this.secondOf(sentMs);
    this.sentPerSec[sec] = (this.sentPerSec[sec] ?? 0) + 1;
    if (this.lag) {
      const lagMs = sentMs - intendedMs;
      if (!queued) recordMs(this.lag, lagMs > 0 ? lagMs : 0);
      else recordMs(this.wait!, sentMs - scheduledMs);
      if (lagMs > this.lateThresholdMs) this.counts.late++;
    }
  }

  onDropped(): void {
    this.counts.dropped++;
  }

  /** A successful response at `doneMs` to the request `sender` sent. */
  onSenderSuccess(doneMs: number, sender: RequestSender): void {
    const sec = this.onSuccess(doneMs, sender.intendedMs, sender.sentMs);
    this.split.addRequest(sender.intendedMs, sender.scheduledMs, sender.sentMs, doneMs, sender.serverTiming, sec);
  }

  /** Returns the second the completion was counted in. */
  onSuccess(doneMs: number, intendedMs: number, sentMs: number): number {
    this.counts.completed++;
    this.counts.succeeded++;
    const sec = this.roll(doneMs);
    this.completedPerSec[sec] = (this.completedPerSec[sec] ?? 0) + 1;
    recordMs(this.service, doneMs - sentMs);
    if (this.corrected) {
      recordMs(this.corrected, doneMs - intendedMs);
      recordMs(this.secondHist, doneMs - intendedMs);
    } else {
      recordMs(this.secondHist, doneMs - sentMs);
    }
    return sec;
  }

  onFailure(doneMs: number, kind: ErrorClass, status: number, message: string): void {
    this.counts.completed++;
    this.counts.failed++;
    const sec = this.roll(doneMs);
    this.completedPerSec[sec] = (this.completedPerSec[sec] ?? 0) + 1;
    this.errorsPerSec[sec] = (this.errorsPerSec[sec] ?? 0) + 1;
    const e = this.errors;
    e.total++;
    if (kind === 'status') e.byStatus[String(status)] = (e.byStatus[String(status)] ?? 0) + 1;
    else e[kind]++;
    if (e.samples.length < MAX_ERROR_SAMPLES) {
      const text = kind === 'status' ? `HTTP ${status}${message ? `: ${message}` : ''}` : `${kind}: ${message}`;
      const line = text.length > 200 ? `${text.slice(0, 197)}...` : text;
      if (!e.samples.includes(line)) e.samples.push(line);
    }
  }

  /** Closes every second before the one `ms` falls in (sampling concurrency and quantiles). */
  roll(ms: number): number {
    const sec = this.secondOf(ms);
    while (this.currentSecond < sec) this.closeSecond();
    return sec;
  }

  /** Closes the current second too; call once at the end. */
  finish(endMs: number): void {
    this.roll(endMs);
    this.closeSecond();
    this.errors.rate = this.counts.completed > 0 ? this.errors.total / this.counts.completed : 0;
  }

  /** Latency percentile so far (corrected in the open model), for live progress. */
  latencyNowMs(percentile: number): number {
    return percentileMs(this.corrected ?? this.service, percentile);
  }

  series(): SeriesPoint[] {
    const n = Math.max(this.currentSecond, this.sentPerSec.length, this.completedPerSec.length);
    const out: SeriesPoint[] = [];
    for (let s = 0; s < n; s++) {
      const q = this.quantilesPerSec[s] ?? null;
      out.push({
        second: s,
        targetRps: this.model === 'open' ? this.shape.countBetween(s * 1000, (s + 1) * 1000) : null,
        sentRps: this.sentPerSec[s] ?? 0,
        completedRps: this.completedPerSec[s] ?? 0,
        errors: this.errorsPerSec[s] ?? 0,
        p50Ms: q ? q[0] : null,
        p90Ms: q ? q[1] : null,
        p99Ms: q ? q[2] : null,
        concurrency: this.concurrencyPerSec[s] ?? 0,
      });
    }
    return out;
  }

  spectrum(): SpectrumPoint[] {
    return SPECTRUM_PERCENTILES.map((p) => ({
      percentile: p,
      correctedMs: this.corrected ? pointMs(this.corrected, p) : null,
      serviceMs: pointMs(this.service, p),
    }));
  }

  summaries() {
    return { corrected: this.corrected ? summarize(this.corrected) : null, service: summarize(this.service) };
  }

  /** This recorder's contents for merging in another thread; call after finish(). */
  state(): RecorderState {
    const enc = (h: Histogram | null): BucketHistogram | null => (h ? bucketsOfHistogram(h) : null);
    return {
      counts: { ...this.counts },
      errors: { ...this.errors, byStatus: { ...this.errors.byStatus }, samples: [...this.errors.samples] },
      corrected: enc(this.corrected),
      service: bucketsOfHistogram(this.service),
      lag: enc(this.lag),
      wait: enc(this.wait),
      sentPerSec: dense(this.sentPerSec),
      completedPerSec: dense(this.completedPerSec),
      errorsPerSec: dense(this.errorsPerSec),
      concurrencyPerSec: dense(this.concurrencyPerSec),
      seconds: this.keptSeconds ? Array.from(this.keptSeconds, (x) => x ?? null) : [],
      split: this.split.state(),
    };
  }

  /**
   * One recorder holding the union of the given states (threads that each sent a share of one
   * schedule): histograms added bucket by bucket, counts and per-second figures summed, per-second
   * percentiles from the added per-second histograms. Already finished.
   */
  static merged(model: LoadModel, shape: LoadShape, lateThresholdMs: number, states: readonly RecorderState[]): Recorder {
    const r = new Recorder(model, shape, lateThresholdMs, () => 0);
    // histogramOfBuckets builds the same layout as createHistogram: add() copies counts, min and max
    const add = (into: Histogram | null, b: BucketHistogram | null): void => {
      if (into && b && b.buckets.length > 0) into.add(histogramOfBuckets(b));
    };
    const sum = (into: number[], from: readonly number[]): void => {
      from.forEach((v, i) => (into[i] = (into[i] ?? 0) + v));
    };
    const seconds: Histogram[] = [];
    let n = 0;
    for (const s of states) {
      for (const k of Object.keys(r.counts) as Array<keyof LoadCounts>) r.counts[k] += s.counts[k];
      mergeErrors(r.errors, s.errors);
      add(r.corrected, s.corrected);
      add(r.service, s.service);
      add(r.lag, s.lag);
      add(r.wait, s.wait);
      sum(r.sentPerSec, s.sentPerSec);
      sum(r.completedPerSec, s.completedPerSec);
      sum(r.errorsPerSec, s.errorsPerSec);
      sum(r.concurrencyPerSec, s.concurrencyPerSec);
      s.seconds.forEach((b, i) => {
        if (b) add((seconds[i] ??= createHistogram()), b);
      });
      n = Math.max(n, s.concurrencyPerSec.length, s.seconds.length);
      r.split.merge(s.split);
    }
    for (let i = 0; i < n; i++) {
      const h = seconds[i];
      r.quantilesPerSec[i] = h && h.totalCount > 0 ? [round3(percentileMs(h, 50)), round3(percentileMs(h, 90)), round3(percentileMs(h, 99))] : null;
      r.concurrencyPerSec[i] ??= 0;
    }
    r.currentSecond = n;
    r.errors.rate = r.counts.completed > 0 ? r.errors.total / r.counts.completed : 0;
    return r;
  }

  private closeSecond(): void {
    const h = this.secondHist;
    if (this.keptSeconds) this.keptSeconds[this.currentSecond] = h.totalCount > 0 ? bucketsOfHistogram(h) : null;
    this.quantilesPerSec[this.currentSecond] =
      h.totalCount > 0 ? [round3(percentileMs(h, 50)), round3(percentileMs(h, 90)), round3(percentileMs(h, 99))] : null;
    this.concurrencyPerSec[this.currentSecond] = this.concurrency();
    h.reset();
    this.currentSecond++;
  }

  private secondOf(ms: number): number {
    const sec = ms > 0 ? Math.floor(ms / 1000) : 0;
    return sec < this.maxSecond ? sec : this.maxSecond;
  }
}

function mergeErrors(into: ErrorStats, e: ErrorStats): void {
  into.total += e.total;
  into.connect += e.connect;
  into.timeout += e.timeout;
  into.mismatch += e.mismatch;
  into.other += e.other;
  for (const [status, n] of Object.entries(e.byStatus)) into.byStatus[status] = (into.byStatus[status] ?? 0) + n;
  for (const line of e.samples) if (into.samples.length < MAX_ERROR_SAMPLES && !into.samples.includes(line)) into.samples.push(line);
}

/** A per-second array without holes (missing seconds are 0). */
function dense(xs: readonly number[]): number[] {
  return Array.from(xs, (x) => x ?? 0);
}

function pointMs(h: Histogram, p: number): number {
  if (h.totalCount === 0) return 0;
  return round3(p >= 100 ? h.maxValue / 1000 : percentileMs(h, p));
}
