/**
 * Scrapes a metrics endpoint over a window: once at the start, every `intervalMs`, and once at
 * the end. The window ends after `windowMs`, or when `until` settles (a load run), whichever the
 * caller chose. Clock, sleep and fetch are injected.
 */
import { parseScrape, type Scrape } from './prom.js';
import { InputError } from '../util/errors.js';

export interface ObserveDeps {
  /** GET the exposition text; rejects (with a reason) when the endpoint does not answer 200 */
  fetchText(url: string): Promise<string>;
  /** monotonic ms */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface ObserveOptions {
  metricsUrl: string;
  intervalMs: number;
  /** fixed window; ignored when `until` is given */
  windowMs?: number;
  until?: Promise<unknown>;
  signal?: AbortSignal;
  /** a failed scrape in the middle of the window (the first and last must succeed) */
  onMissed?: (reason: string) => void;
}

export interface Observation {
  scrapes: Scrape[];
  /** why the end-of-window scrape failed (the engine stopped answering); the window then ends at the last good scrape */
  lost: string | null;
}

export async function observe(o: ObserveOptions, deps: ObserveDeps): Promise<Observation> {
  let first: Scrape;
  try {
    first = await scrapeOnce(o.metricsUrl, deps);
  } catch (err) {
    throw new InputError(`cannot read the metrics at ${o.metricsUrl}: ${(err as Error).message.split('\n')[0]}`);
  }
  const scrapes: Scrape[] = [first];
  const start = scrapes[0]!.atMs;
  let done = false;
  o.until?.then(
    () => (done = true),
    () => (done = true),
  );
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // the sleep is cut short when the load run ends, so the last scrape is taken right after it
  void o.until?.finally(() => stop.abort()).catch(() => undefined);
  try {
    for (;;) {
      if (o.signal?.aborted || done) break;
      const elapsed = deps.now() - start;
      const remaining = o.until ? Infinity : (o.windowMs ?? 0) - elapsed;
      if (remaining <= 0) break;
      await deps.sleep(Math.min(o.intervalMs, remaining), stop.signal);
      if (o.signal?.aborted || done) break;
      if (!o.until && deps.now() - start >= (o.windowMs ?? 0)) break;
      try {
        scrapes.push(await scrapeOnce(o.metricsUrl, deps));
      } catch (err) {
        o.onMissed?.((err as Error).message);
      }
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  try {
    scrapes.push(await scrapeOnce(o.metricsUrl, deps));
    return { scrapes, lost: null };
  } catch (err) {
    if (scrapes.length < 2) throw err;
    return { scrapes, lost: (err as Error).message };
  }
}

async function scrapeOnce(url: string, deps: ObserveDeps): Promise<Scrape> {
  const text = await deps.fetchText(url);
  return parseScrape(text, deps.now());
}
