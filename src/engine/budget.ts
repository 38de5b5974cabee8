/**
 * An evaluation budget per check request, in milliseconds of the engine's own work on it.
 *
 * The engine is synchronous, so a request is evaluated in slices of its resources: one resource
 * first, then chunks sized from the time per resource measured on the last one (about SLICE_MS
 * each at the slowest rate seen lately, growing at most twofold from one to the next). Between slices the event loop runs (other requests, /health, /metrics), and
 * after each slice the request's own evaluation time is compared with the budget: over it, the
 * request ends with a BudgetExceededError and the remaining resources are not evaluated.
 *
 * The budget counts only time spent inside the engine on this request, not the time it waited
 * while other requests ran, so a request is not failed because the server is busy. A single
 * resource is never interrupted: the budget is checked between resources, and the work one resource
 * can cause is bounded by the request limits (body size, string length, JSON depth).
 */
import type { Engine } from './engine.js';
import type { CheckRequest, CheckResponse, ResourceResult } from './types.js';

export const DEFAULT_EVAL_BUDGET_MS = 500;
/** target length of one uninterrupted slice of evaluation */
export const SLICE_MS = 5;

export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(
    readonly budgetMs: number,
    readonly spentMs: number,
    readonly evaluated: number,
    readonly total: number,
  ) {
    super(
      `evaluation budget of ${budgetMs} ms exceeded (${spentMs.toFixed(1)} ms spent, ${evaluated} of ${total} resources evaluated; --eval-budget)`,
    );
  }
}

export interface BudgetOptions {
  budgetMs: number;
  /** monotonic milliseconds; default performance.now */
  now?: () => number;
  /** lets the event loop run between slices; default setImmediate */
  yieldToLoop?: () => Promise<void>;
}

const yieldImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const monotonicMs = (): number => performance.now();

/**
 * engine.check(req), evaluated in slices with the event loop running in between; rejects with a
 * BudgetExceededError once the evaluation time passes the budget with resources still left.
 * Always yields once before evaluating, so requests that arrived together are admitted (counted
 * in flight) before any of them is evaluated.
 */
export async function checkWithinBudget(engine: Engine, req: CheckRequest, options: BudgetOptions): Promise<CheckResponse> {
  const now = options.now ?? monotonicMs;
  const yieldToLoop = options.yieldToLoop ?? yieldImmediate;
  const total = req.resources.length;
  await yieldToLoop();
  if (total === 1) return engine.check(req);

  const results: ResourceResult[] = [];
  let spentMs = 0;
  let chunk = 1;
  let perResourceMs = 0;
  for (let from = 0; from < total; ) {
    const to = Math.min(total, from + chunk);
    const t0 = now();
    const part = engine.check({ ...req, resources: req.resources.slice(from, to) });
    const tookMs = now() - t0;
    spentMs += tookMs;
    for (const r of part.results) results.push(r);
    if (to === total) break;
    if (spentMs > options.budgetMs) throw new BudgetExceededError(options.budgetMs, spentMs, to, total);
    // the next chunk takes about SLICE_MS at the slowest rate seen lately (halving per chunk), and
    // at most doubles: resources differ, and a run of cheap ones says little about the next
    perResourceMs = Math.max(tookMs / (to - from), perResourceMs / 2);
    const fit = perResourceMs > 0 ? Math.floor(SLICE_MS / perResourceMs) : Infinity;
    chunk = Math.max(1, Math.min(2 * (to - from), fit));
    from = to;
    await yieldToLoop();
  }
  return { requestId: req.requestId ?? '', results };
}
