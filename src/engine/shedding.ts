/**
 * Load shedding for the check route: at most `maxInflight` check requests are admitted at a time
 * (from the moment their headers are read until they are answered); one more is refused at once
 * with 503 and Retry-After, so an overloaded server answers "busy" quickly instead of letting a
 * queue, and every queued request's latency, grow. Evaluation starts after a yield to the event loop
 * (checkWithinBudget), so the requests that arrive together are all counted before any is evaluated.
 */

export const DEFAULT_MAX_INFLIGHT = 128;
/** seconds a shed client is told to wait (Retry-After) */
export const RETRY_AFTER_S = 1;

export interface LoadShedder {
  readonly maxInflight: number;
  /** check requests admitted and not yet answered */
  readonly inflight: number;
  /** requests refused since the server started */
  readonly shed: number;
  /** admits one request (true) or counts it as shed (false) */
  tryAdmit(): boolean;
  /** one admitted request was answered */
  release(): void;
}

export function createLoadShedder(maxInflight: number = DEFAULT_MAX_INFLIGHT): LoadShedder {
  let inflight = 0;
  let shed = 0;
  return {
    maxInflight,
    get inflight() {
      return inflight;
    },
    get shed() {
      return shed;
    },
    tryAdmit() {
      if (inflight >= maxInflight) {
        shed++;
        return false;
      }
      inflight++;
      return true;
    },
    release() {
      inflight--;
    },
  };
}

export function overloadMessage(maxInflight: number): string {
  return `server overloaded: ${maxInflight} check requests in flight (--max-inflight); retry after ${RETRY_AFTER_S} s`;
}
