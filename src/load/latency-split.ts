/**
 * Where each request's corrected latency went, in four parts that add up to it exactly:
 * - lag: intended send time → the scheduler got to it (timer and event-loop delay);
 * - wait: → it went on the wire (queued for a free connection);
 * - wire: → the response, minus the server's own time (network, socket queues, parsing);
 * - server: the handler time the target reported in `Server-Timing` (0 without the header, when
 *   the split stops at sent → response and all of it counts as wire).
 * Requests are grouped by their total latency on a log scale (8 groups per doubling); each group
 * keeps the sums of the parts, so the split at a percentile is the mean split of the requests
 * whose latency is near that percentile, and it still adds up to their mean total.
 */
import type { ServerTiming } from './sender.js';
import type { LatencySplit, LatencySplitRow as SplitRow } from './types.js';

export interface SplitParts {
  lagMs: number;
  waitMs: number;
  wireMs: number;
  /** null when the target did not report its time */
  serverMs: number | null;
  /** part of serverMs spent in the engine, when reported */
  engineMs: number | null;
  totalMs: number;
}

/** The parts of one request. `scheduledMs` ≤ `sentMs` ≤ `doneMs`; handler time is capped at sent → done. */
export function splitLatency(intendedMs: number, scheduledMs: number, sentMs: number, doneMs: number, timing: ServerTiming | null): SplitParts {
  const lagMs = Math.max(0, scheduledMs - intendedMs);
  const waitMs = Math.max(0, sentMs - Math.max(scheduledMs, intendedMs));
  const serviceMs = Math.max(0, doneMs - sentMs);
  const handler = timing?.handlerMs ?? timing?.engineMs ?? null;
  const serverMs = handler === null ? null : Math.min(handler, serviceMs);
  const engineMs = timing?.engineMs == null ? null : Math.min(timing.engineMs, serverMs ?? serviceMs);
  return { lagMs, waitMs, wireMs: serviceMs - (serverMs ?? 0), serverMs, engineMs, totalMs: lagMs + waitMs + serviceMs };
}

const GROUPS_PER_DOUBLING = 8;
/** 1 µs … ~1 h */
const GROUPS = 32 * GROUPS_PER_DOUBLING;

/** Running sums: count, total, lag, wait, wire, server, engine, requests with server time. */
const FIELDS = 8;

export class SplitAccumulator {
  private readonly byGroup = new Float64Array(GROUPS * FIELDS);
  private readonly bySecond: Float64Array[] = [];
  private count = 0;

  add(p: SplitParts, second: number): void {
    this.count++;
    addTo(this.byGroup, groupOf(p.totalMs) * FIELDS, p);
    let s = this.bySecond[second];
    if (!s) s = this.bySecond[second] = new Float64Array(FIELDS);
    addTo(s, 0, p);
  }

  /**
   * add(splitLatency(…), second) without the intermediate object: once per response on the
   * generator's hot path. The same arithmetic as splitLatency.
   */
  addRequest(intendedMs: number, scheduledMs: number, sentMs: number, doneMs: number, timing: ServerTiming | null, second: number): void {
    const lagMs = Math.max(0, scheduledMs - intendedMs);
    const waitMs = Math.max(0, sentMs - Math.max(scheduledMs, intendedMs));
    const serviceMs = Math.max(0, doneMs - sentMs);
    const handler = timing === null ? null : (timing.handlerMs ?? timing.engineMs);
    const serverMs = handler === null ? null : Math.min(handler, serviceMs);
    const engineMs = timing === null || timing.engineMs === null ? null : Math.min(timing.engineMs, serverMs ?? serviceMs);
    const wireMs = serviceMs - (serverMs ?? 0);
    const totalMs = lagMs + waitMs + serviceMs;
    this.count++;
    addValues(this.byGroup, groupOf(totalMs) * FIELDS, totalMs, lagMs, waitMs, wireMs, serverMs, engineMs);
    let s = this.bySecond[second];
    if (!s) s = this.bySecond[second] = new Float64Array(FIELDS);
    addValues(s, 0, totalMs, lagMs, waitMs, wireMs, serverMs, engineMs);
  }

  /** The mean split of the requests in the group holding the `percentile`-th total latency. */
  atPercentile(percentile: number): SplitRow | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((Math.min(100, percentile) / 100) * this.count));
    let seen = 0;
    for (let g = 0; g < GROUPS; g++) {
      seen += this.byGroup[g * FIELDS]!;
      if (seen >= rank) return rowOf(this.byGroup, g * FIELDS);
    }
    return null;
  }

  perSecond(): Array<SplitRow | null> {
    const out: Array<SplitRow | null> = [];
    for (let s = 0; s < this.bySecond.length; s++) out.push(this.bySecond[s] ? rowOf(this.bySecond[s]!, 0) : null);
    return out;
  }

  get requests(): number {
    return this.count;
  }

  /** The running sums, for a worker thread to hand to the merging thread (structured-cloneable). */
  state(): SplitState {
    return { count: this.count, byGroup: this.byGroup, bySecond: this.bySecond.map((s) => s ?? null) };
  }

  /** Adds another accumulator's sums: the result is what one accumulator of all requests holds. */
  merge(o: SplitState): void {
    this.count += o.count;
    for (let i = 0; i < this.byGroup.length; i++) this.byGroup[i]! += o.byGroup[i]!;
    o.bySecond.forEach((src, second) => {
      if (!src) return;
      let s = this.bySecond[second];
      if (!s) s = this.bySecond[second] = new Float64Array(FIELDS);
      for (let i = 0; i < FIELDS; i++) s[i]! += src[i]!;
    });
  }
}

export interface SplitState {
  count: number;
  byGroup: Float64Array;
  bySecond: Array<Float64Array | null>;
}

function groupOf(totalMs: number): number {
  const us = totalMs * 1000;
  if (!(us > 1)) return 0;
  return Math.min(GROUPS - 1, Math.floor(Math.log2(us) * GROUPS_PER_DOUBLING));
}

function addTo(a: Float64Array, o: number, p: SplitParts): void {
  addValues(a, o, p.totalMs, p.lagMs, p.waitMs, p.wireMs, p.serverMs, p.engineMs);
}

function addValues(a: Float64Array, o: number, totalMs: number, lagMs: number, waitMs: number, wireMs: number, serverMs: number | null, engineMs: number | null): void {
  a[o]! += 1;
  a[o + 1]! += totalMs;
  a[o + 2]! += lagMs;
  a[o + 3]! += waitMs;
  a[o + 4]! += wireMs;
  if (serverMs !== null) {
    a[o + 5]! += serverMs;
    a[o + 7]! += 1;
  }
  if (engineMs !== null) a[o + 6]! += engineMs;
}

function rowOf(a: Float64Array, o: number): SplitRow | null {
  const n = a[o]!;
  if (n === 0) return null;
  const withServer = a[o + 7]!;
  return {
    count: n,
    totalMs: r3(a[o + 1]! / n),
    lagMs: r3(a[o + 2]! / n),
    waitMs: r3(a[o + 3]! / n),
    wireMs: r3(a[o + 4]! / n),
    serverMs: withServer > 0 ? r3(a[o + 5]! / n) : null,
    engineMs: withServer > 0 ? r3(a[o + 6]! / n) : null,
  };
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The report's view of an accumulator: rows at the given percentiles, per second, and the explanation. */
export function latencySplitView(acc: SplitAccumulator, percentiles: readonly number[]): LatencySplit | null {
  if (acc.requests === 0) return null;
  const rows = percentiles.flatMap((p) => {
    const row = acc.atPercentile(p);
    return row ? [{ percentile: p, ...row }] : [];
  });
  const series = acc.perSecond().map((row, second) => (row ? { second, ...row } : null));
  const serverTiming = rows.some((r) => r.serverMs !== null);
  return { serverTiming, percentiles: rows, series, explanation: explain(rows, serverTiming) };
}

function explain(rows: ReadonlyArray<SplitRow & { percentile: number }>, serverTiming: boolean): string[] {
  const out: string[] = [];
  const part = (r: SplitRow): string => {
    const named: Array<[string, number]> = [
      ['scheduler lag', r.lagMs],
      ['connection wait', r.waitMs],
      [serverTiming ? 'wire and queues' : 'sent → response', r.wireMs],
      ...(r.serverMs !== null ? ([['server', r.serverMs]] as Array<[string, number]>) : []),
    ];
    const biggest = named.reduce((a, b) => (b[1] > a[1] ? b : a));
    const share = r.totalMs > 0 ? Math.round((biggest[1] / r.totalMs) * 100) : 0;
    return `${named.map(([n, v]) => `${n} ${v} ms`).join(' + ')} = ${r.totalMs} ms; ${biggest[0]} is ${share}%`;
  };
  const p50 = rows.find((r) => r.percentile === 50);
  const p99 = rows.find((r) => r.percentile === 99);
  if (p50) out.push(`near p50: ${part(p50)}`);
  if (p99) out.push(`near p99: ${part(p99)}`);
  if (p99 && p99.serverMs !== null && p99.totalMs > 0 && p99.serverMs < p99.totalMs / 2)
    out.push(
      `the server's own time is ${p99.serverMs} ms of the ${p99.totalMs} ms client latency near p99: the rest is outside the handler (${p99.lagMs + p99.waitMs > p99.wireMs ? 'in this generator: scheduling and waiting for a connection' : 'on the wire: sockets, the server\'s accept and parse queues, or its event loop between requests'})`,
    );
  if (!serverTiming) out.push('the target sent no Server-Timing header: the split stops at sent → response');
  return out;
}
