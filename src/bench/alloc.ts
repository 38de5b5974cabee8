/**
 * Bytes allocated per call, measured the only way Node 20 allows without native code: in a
 * process started with --expose-gc (and a large young generation), force a full GC, read the
 * used heap, run the function n times, read it again. A round during which any minor GC ran
 * would under-count (the scavenge frees part of what was allocated), so such rounds are dropped;
 * the result is the median of the remaining rounds.
 */
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface AllocationResult {
  bytesPerCall: number | null;
  roundsUsed: number;
  roundsDropped: number;
}

type Gc = () => void;

/** The global `gc` exposed by --expose-gc, or null. */
export function exposedGc(): Gc | null {
  const g = (globalThis as { gc?: Gc }).gc;
  return typeof g === 'function' ? g : null;
}

function heapUsed(): number {
  return v8.getHeapStatistics().used_heap_size;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function measureAllocation(fn: (i: number) => unknown, n: number, rounds: number): Promise<AllocationResult> {
  const gc = exposedGc();
  if (!gc) return { bytesPerCall: null, roundsUsed: 0, roundsDropped: rounds };
  let minorGcs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const perCall: number[] = [];
  let dropped = 0;
  let sink = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      gc();
      await tick();
      const gcBefore = minorGcs;
      const before = heapUsed();
      for (let i = 0; i < n; i++) if (fn(i) !== undefined) sink++;
      const after = heapUsed();
      await tick(); // let the observer deliver GC entries of this round
      if (minorGcs !== gcBefore || after < before) dropped++;
      else perCall.push((after - before) / n);
    }
  } finally {
    observer.disconnect();
  }
  if (sink < 0) perCall.push(0); // keeps `sink` observable so the loop is not optimised away
  perCall.sort((a, b) => a - b);
  const median = perCall.length ? perCall[Math.floor(perCall.length / 2)]! : null;
  return { bytesPerCall: median, roundsUsed: perCall.length, roundsDropped: dropped };
}

/** Heap retained by whatever `build` returns, after full GCs on both sides. */
export async function measureRetained<T>(build: () => T | Promise<T>): Promise<{ value: T; retainedBytes: number | null }> {
  const gc = exposedGc();
  if (!gc) return { value: await build(), retainedBytes: null };
  gc();
  await tick();
  const before = heapUsed();
  const value = await build();
  gc();
  await tick();
  return { value, retainedBytes: Math.max(0, heapUsed() - before) };
}
