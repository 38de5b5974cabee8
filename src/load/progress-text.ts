/** The live lines a loadtest shows on stderr: the run's progress, each --find-max step, the search so far. */
import type { FindMaxProgress } from './find-max.js';
import type { ProgressSnapshot } from './run-types.js';
import type { FindMaxStep } from './types.js';

export function progressLine(p: ProgressSnapshot): string {
  return `${Math.round(p.elapsedS)}s · target ${Math.round(p.target)} · ${p.rateRps}/s · p50 ${p.p50Ms.toFixed(2)}ms p99 ${p.p99Ms.toFixed(2)}ms · ${p.errors} errors${p.dropped ? ` · ${p.dropped} dropped` : ''} · ${p.inFlight} in flight`;
}

export function stepLine(s: FindMaxStep): string {
  const retry = s.firstAttempt ? ` (re-run after a first attempt with p99 ${s.firstAttempt.p99Ms}ms, errors ${(s.firstAttempt.errorRate * 100).toFixed(2)}%)` : '';
  const verdict = s.verdict === 'inconclusive' ? `inconclusive (${s.samples} requests)` : s.passed ? 'held' : 'broke';
  return `find-max: target ${s.targetRps} req/s for ${s.durationS ?? '?'}s → achieved ${s.achievedRps} · p50 ${s.p50Ms}ms · p99 ${s.p99Ms}ms · errors ${(s.errorRate * 100).toFixed(2)}% · ${verdict}${retry}`;
}

export function searchLine(p: FindMaxProgress): string {
  const bracket = p.low !== null || p.high !== null ? ` · held ${p.low ?? '–'}, broke ${p.high ?? '–'} req/s` : '';
  return `find-max: ${p.stepsDone} step${p.stepsDone === 1 ? '' : 's'} in ${p.elapsedS} s${p.budgetS !== null ? ` of ${p.budgetS} s` : ''}${bracket} · about ${p.stepsLeft} more (~${p.remainingS} s)`;
}
