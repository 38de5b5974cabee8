/**
 * `serve --workers N`: node:cluster plumbing. The primary forks the workers (each a whole server
 * with its own engine and decision cache; the primary shares the listening socket among them) and
 * answers their /metrics with every worker's metrics summed by prom-client's AggregatorRegistry.
 * A worker asks the primary over IPC, because only the primary can reach all workers.
 */
import { workerExecArgv } from '../util/exec-argv.js';
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const METRICS_REQUEST = 'authz-perf:metrics-request';
const METRICS_RESPONSE = 'authz-perf:metrics-response';
const LISTENING = 'authz-perf:listening';
const FAILED = 'authz-perf:failed';
const SCRAPE_TIMEOUT_MS = 10_000;

interface WorkerMessage {
  type?: string;
  id?: number;
  url?: string;
  message?: string;
  exitCode?: number;
  text?: string;
  error?: string;
}

export interface Cluster {
  /** `http://host:port`, shared by every worker */
  url: string;
  workers: number;
  /** disconnects the workers (each closes its server) and waits for them to exit */
  close(): Promise<void>;
}

/** A worker's startup failure, with the exit code and message it reported. */
export class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}


/**
 * Forks `count` workers running `script` with `args` and resolves once all listen; rejects with
 * the first worker's failure (the others are stopped).
 */
export function startCluster(count: number, script: string, args: string[]): Promise<Cluster> {
  const aggregator = new AggregatorRegistry();
  cluster.setupPrimary({ exec: script, args, execArgv: workerExecArgv(process.execArgv) });
  const workers: Worker[] = [];
  const onMessage = (worker: Worker, msg: WorkerMessage): void => {
    if (msg?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: msg.id, text }),
      (err: Error) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: msg.id, error: err.message }),
    );
  };
  cluster.on('message', onMessage);
  const close = async (): Promise<void> => {
    cluster.off('message', onMessage);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            if (w.isConnected()) w.disconnect();
            else w.kill('SIGTERM');
          }),
      ),
    );
  };
  return new Promise<Cluster>((resolve, reject) => {
    let listening = 0;
    let url = '';
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      void close().then(() => reject(err));
    };
    for (let i = 0; i < count; i++) {
      const w = cluster.fork();
      workers.push(w);
      w.on('message', (msg: WorkerMessage) => {
        if (msg?.type === LISTENING && !settled) {
          url = msg.url ?? url;
          if (++listening === count) {
            settled = true;
            resolve({ url, workers: count, close });
          }
        } else if (msg?.type === FAILED) fail(new WorkerStartError(msg.message ?? 'worker failed', msg.exitCode ?? 70));
      });
      w.on('exit', (code) => fail(new WorkerStartError(`worker ${w.id} exited (code ${String(code)}) before listening`, 70)));
    }
  });
}

/** In a worker: registers the registries the primary aggregates, and tells it the server listens. */
export function workerListening(url: string, registries: Registry[]): void {
  AggregatorRegistry.setRegistries(registries);
  // constructing one installs prom-client's worker-side listener that answers the primary
  new AggregatorRegistry();
  process.send?.({ type: LISTENING, url });
}

/** In a worker: tells the primary that starting failed (it exits with `exitCode`). */
export function workerFailed(message: string, exitCode: number): void {
  process.send?.({ type: FAILED, message, exitCode });
}

let nextScrape = 0;

/** In a worker: the metrics of all workers, aggregated by the primary. */
export function scrapeCluster(): Promise<string> {
  const id = ++nextScrape;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('the primary did not answer the metrics request')), SCRAPE_TIMEOUT_MS);
    const onMessage = (msg: WorkerMessage): void => {
      if (msg?.type !== METRICS_RESPONSE || msg.id !== id) return;
      done(msg.error !== undefined ? new Error(msg.error) : null, msg.text ?? '');
    };
    function done(err: Error | null, text = ''): void {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (err) reject(err);
      else resolve(text);
    }
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}

/** Resolves when the primary disconnects this worker (on its shutdown, or when it died). */
export function untilDisconnected(): Promise<void> {
  return new Promise((resolve) => process.once('disconnect', () => resolve()));
}
