/**
 * A generator thread (worker_threads entry): runs the open model on its shard of the schedule
 * (every Nth intended send) with its own connections and recorder, and hands back the recorder's
 * state for the main thread to merge. The clock starts when the main thread says, so all threads
 * share one t0. CPU is this thread's own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { runOpenModel } from './open-model.js';
import { rawHttpSenders } from './raw-connection.js';
import { undiciSenders, type RequestSource } from './connection.js';
import { verifierOf } from './request-source.js';
import { LoadShape } from './schedule.js';
import { threadCpuUsage } from './thread-cpu.js';
import type { FromThread, GeneratorThreadData, ToThread } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('generator-thread.js runs as a worker thread');
const data = workerData as GeneratorThreadData;
const post = (m: FromThread): void => port.postMessage(m);

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const source: RequestSource = {
  path: data.path,
  bodies: data.bodies.map(buf),
  verify: data.check ? verifierOf(data.check) : null,
};
const stop = new AbortController();
let release: ((t0: number) => void) | null = null;
let startAtMs: number | null = null;

port.on('message', (m: ToThread) => {
  if (m.type === 'stop') {
    stop.abort();
    release?.(performance.now());
  } else if (m.type === 'start') {
    startAtMs = m.atEpochMs - performance.timeOrigin;
    if (release) waitUntil(startAtMs, release);
  }
});

function waitUntil(t: number, done: (t0: number) => void): void {
  const left = t - performance.now();
  if (left > 0) setTimeout(() => done(t), left);
  else done(t);
}

async function main(): Promise<void> {
  const senders = data.transport === 'raw' ? rawHttpSenders(data.origin, source, data.timeoutMs) : undiciSenders(data.origin, source, data.timeoutMs);
  const run = await runOpenModel({
    origin: data.origin,
    timeoutMs: data.timeoutMs,
    source,
    shape: new LoadShape(data.stages, data.startTarget),
    maxConnections: data.maxConnections,
    lateThresholdMs: data.lateThresholdMs,
    warmupRequests: data.warmupRequests,
    ...(data.warmupBodies ? { warmupBodies: data.warmupBodies.map(buf) } : {}),
    signal: stop.signal,
    ...(data.drainMs !== null ? { drainMs: data.drainMs } : {}),
    ...(data.endDrainMs !== null ? { endDrainMs: data.endDrainMs } : {}),
    senders,
    shard: data.shard,
    cpuUsage: threadCpuUsage,
    startAt: () =>
      new Promise<number>((resolve) => {
        if (stop.signal.aborted) return resolve(performance.now());
        release = resolve;
        if (startAtMs !== null) waitUntil(startAtMs, resolve);
        post({ type: 'ready' });
      }),
    ...(data.progress ? { onProgress: (progress) => post({ type: 'progress', progress }) } : {}),
  });
  post({
    type: 'done',
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

main().catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
