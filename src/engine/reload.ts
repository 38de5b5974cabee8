/**
 * Hot reload for `serve --watch`: the server holds a SwappableEngine, which forwards every call to
 * the current engine. When a file under the policy folder changes (debounced), a new policy set and
 * engine are built beside the serving one and swapped in with one assignment: a check runs wholly
 * on the old or wholly on the new engine, and the new engine starts with an empty decision cache.
 * A build that fails (a broken edit) leaves the old engine serving and reports the error
 * (file:line:column for policy errors). Reloads and failed reloads are counted in /metrics.
 */
import { watch, type FSWatcher } from 'node:fs';
import { Counter } from 'prom-client';
import { describeUserError, isUserError } from '../util/errors.js';
import type { CacheStats, CelStats, CheckTrace, Engine, StageTimes } from './engine.js';
import { processMetricsRegistry } from './metrics.js';
import type { PolicySet } from './policy-set.js';
import type { CheckRequest, CheckResponse } from './types.js';

export class SwappableEngine implements Engine {
  // the reload counters are registered before a server merges the process registry into its /metrics
  constructor(private current: Engine) {
    reloadCounters();
  }

  get policySet(): PolicySet {
    return this.current.policySet;
  }

  /** Serves `next` from the next call on; the old engine (and its cache) is dropped. */
  swap(next: Engine): void {
    this.current = next;
  }

  check(req: CheckRequest): CheckResponse {
    return this.current.check(req);
  }

  checkWithStages(req: CheckRequest, out: StageTimes): CheckResponse {
    return this.current.checkWithStages(req, out);
  }

  traceCheck(req: CheckRequest): CheckTrace {
    return this.current.traceCheck(req);
  }

  cacheStats(): CacheStats {
    return this.current.cacheStats();
  }

  celStats(): CelStats {
    return this.current.celStats();
  }

  clearCache(): void {
    this.current.clearCache();
  }
}

interface ReloadCounters {
  reloads: Counter;
  failures: Counter;
}

let counters: ReloadCounters | undefined;

/** The process-wide reload counters (every server's /metrics shows them). */
export function reloadCounters(): ReloadCounters {
  counters ??= {
    reloads: new Counter({ name: 'authz_perf_policy_reloads_total', help: 'Policy sets rebuilt and swapped in after a file change (serve --watch)', registers: [processMetricsRegistry()] }),
    failures: new Counter({ name: 'authz_perf_policy_reload_failures_total', help: 'Policy reloads that failed (the previous policies kept serving)', registers: [processMetricsRegistry()] }),
  };
  return counters;
}

export interface WatchOptions {
  dir: string;
  engine: SwappableEngine;
  /** builds a fresh engine from the folder as it is now; throws on invalid policies */
  build: () => Promise<Engine>;
  /** quiet time after the last change before rebuilding; default 100 ms */
  debounceMs?: number;
  onReload?: (engine: Engine) => void;
  /** one line: file:line:column and the message for policy errors */
  onError?: (message: string) => void;
}

export interface PolicyWatcher {
  /** resolves once no rebuild is running */
  settled(): Promise<void>;
  close(): void;
}

/** Watches `dir` (recursively) and swaps in a rebuilt engine after each burst of changes. */
export function watchPolicies(options: WatchOptions): PolicyWatcher {
  const debounceMs = options.debounceMs ?? 100;
  const { reloads, failures } = reloadCounters();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let busy = false;
  let closed = false;

  const rebuild = async (): Promise<void> => {
    busy = true;
    try {
      do {
        again = false;
        try {
          const next = await options.build();
          if (closed) return;
          options.engine.swap(next);
          reloads.inc();
          options.onReload?.(next);
        } catch (err) {
          failures.inc();
          options.onError?.(isUserError(err) ? describeUserError(err) : `unexpected error: ${(err as Error).message?.split('\n')[0] ?? String(err)}`);
        }
      } while (again && !closed);
    } finally {
      busy = false;
    }
  };
  const changed = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      // a change during a rebuild: build once more when it ends
      if (busy) again = true;
      else running = rebuild();
    }, debounceMs);
  };
  const watcher: FSWatcher = watch(options.dir, { recursive: true }, changed);
  watcher.on('error', (err) => options.onError?.(`watching ${options.dir}: ${err.message}`));
  return {
    settled: () => running,
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
