/**
 * A small HTTP load driver for overload tests against 127.0.0.1: a closed loop (N workers, each
 * sending its next request when the last is answered) to measure capacity, and an open loop (a
 * fixed rate, whatever the answers) to offer a multiple of it. Latency in the open loop counts from
 * when a request was due, so a stalled client or server cannot hide queueing. Bounded in duration;
 * every request has a timeout.
 */
import { Agent, request } from 'node:http';

export interface Answer {
  status: number;
  latencyMs: number;
  retryAfter?: string;
  /** the server's own handler time, from its `Server-Timing: handler;dur=` (ms), when it sent one */
  serverMs?: number;
}

export interface Target {
  host: string;
  port: number;
  path: string;
  body: string;
}

const TIMEOUT_MS = 10_000;

function send(agent: Agent, target: Target, dueAt: number): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      { agent, host: target.host, port: target.port, path: target.path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(target.body) }, timeout: TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => {
          const answer: Answer = { status: res.statusCode ?? 0, latencyMs: performance.now() - dueAt };
          const retryAfter = res.headers['retry-after'];
          if (retryAfter !== undefined) answer.retryAfter = retryAfter;
          const handler = /handler;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
          if (handler) answer.serverMs = Number(handler[1]);
          resolve(answer);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, latencyMs: performance.now() - dueAt }));
    req.end(target.body);
  });
}

/** Answers per second with `workers` requests outstanding at a time, over `durationMs`. */
export async function closedLoop(target: Target, workers: number, durationMs: number): Promise<{ perSecond: number; answers: Answer[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const answers: Answer[] = [];
  const start = performance.now();
  const end = start + durationMs;
  try {
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < end) answers.push(await send(agent, target, performance.now()));
      }),
    );
  } finally {
    agent.destroy();
  }
  const ok = answers.filter((a) => a.status === 200).length;
  return { perSecond: (ok * 1000) / (performance.now() - start), answers };
}

/** Sends `rate` requests per second for `durationMs` (each on a free connection), then waits for all answers. */
export async function openLoop(target: Target, rate: number, durationMs: number): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const intervalMs = 1000 / rate;
  const pending: Array<Promise<Answer>> = [];
  const start = performance.now();
  try {
    for (;;) {
      const elapsed = performance.now() - start;
      if (elapsed >= durationMs) break;
      const due = Math.min(Math.floor(elapsed / intervalMs) + 1, Math.ceil(durationMs / intervalMs));
      while (pending.length < due) pending.push(send(agent, target, start + pending.length * intervalMs));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return await Promise.all(pending);
  } finally {
    agent.destroy();
  }
}

/** The q-quantile (0..1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
