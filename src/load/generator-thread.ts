/**
 * A generator thread (worker_threads entry): for each run it is given, it runs the open model on
 * its shard of the schedule (every Nth intended send) with its own connections and recorder, and
 * hands back the recorder's state for the main thread to merge. The clock starts when the main
 * thread says, so all threads share one t0. CPU is this thread's own. The thread stays for the
 * next run (its JIT stays warm) until the main thread terminates it.
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { runOpenModel } from './open-model.js';
import { rawHttpSenders } from './raw-connection.js';
import { undiciSenders, type RequestSource } from './connection.js';
import { verifierOf } from './request-source.js';
import { LoadShape } from './schedule.js';
import { threadCpuUsage } from './thread-cpu.js';
import type { FromThread, ThreadRun, ToThread } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('generator-thread.js runs as a worker thread');
const post = (m: FromThread): void => port.postMessage(m);
const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const sources = new Map<number, RequestSource>();

/** The run in progress: its stop signal and the start gate. */
interface Current {
  runId: number;
  stop: AbortController;
  release: ((t0: number) => void) | null;
  startAtMs: number | null;
}
let current: Current | null = null;

port.on('message', (m: ToThread) => {
  if (m.type === 'source') sources.set(m.id, { path: m.path, bodies: m.bodies.map(buf), verify: m.check ? verifierOf(m.check) : null });
  else if (m.type === 'run') {
    runOne(m.run).catch((err: unknown) => post({ type: 'error', runId: m.run.runId, message: err instanceof Error ? err.message : String(err) }));
  } else if (current && m.runId === current.runId) {
    const c = current;
    if (m.type === 'stop') {
      c.stop.abort();
      c.release?.(performance.now());
    } else {
      c.startAtMs = m.atEpochMs - performance.timeOrigin;
      if (c.release) waitUntil(c.startAtMs, c.release);
    }
  }
});

function waitUntil(t: number, done: (t0: number) => void): void {
  const left = t - performance.now();
  if (left > 0) setTimeout(() => done(t), left);
  else done(t);
}

async function runOne(r: ThreadRun): Promise<void> {
  const source = sources.get(r.sourceId);
  if (!source) throw new Error(`unknown request source ${r.sourceId}`);
  const c: Current = { runId: r.runId, stop: new AbortController(), release: null, startAtMs: null };
  current = c;
  const warmupBodies = r.warmupSourceId !== null ? sources.get(r.warmupSourceId)?.bodies : undefined;
  const senders = r.transport === 'raw' ? rawHttpSenders(r.origin, source, r.timeoutMs) : undiciSenders(r.origin, source, r.timeoutMs);
  const run = await runOpenModel({
    origin: r.origin,
    timeoutMs: r.timeoutMs,
    source,
    shape: new LoadShape(r.stages, r.startTarget),
    maxConnections: r.maxConnections,
    lateThresholdMs: r.lateThresholdMs,
    warmupRequests: r.warmupRequests,
    ...(warmupBodies ? { warmupBodies } : {}),
    signal: c.stop.signal,
    ...(r.drainMs !== null ? { drainMs: r.drainMs } : {}),
    ...(r.endDrainMs !== null ? { endDrainMs: r.endDrainMs } : {}),
    senders,
    shard: r.shard,
    cpuUsage: threadCpuUsage,
    startAt: () =>
      new Promise<number>((resolve) => {
        if (c.stop.signal.aborted) return resolve(performance.now());
        c.release = resolve;
        if (c.startAtMs !== null) waitUntil(c.startAtMs, resolve);
        post({ type: 'ready', runId: r.runId });
      }),
    ...(r.progress ? { onProgress: (progress) => post({ type: 'progress', runId: r.runId, progress }) } : {}),
  });
  if (current === c) current = null;
  post({
    type: 'done',
    runId: r.runId,
    outcome: {
      recorder: run.recorder.state(),
      durationS: run.durationS,
      activeS: run.activeS,
      interrupted: run.interrupted,
      warmupSent: run.warmupSent ?? 0,
      connections: run.connections,
      generator: run.generator,
      warnings: run.warnings,
    },
  });
}
