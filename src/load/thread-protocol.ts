/** Messages between the main thread and generator threads (threaded-open-model.ts, generator-thread.ts). */
import type { ResponseCheck } from './connection.js';
import type { RecorderState } from './recorder.js';
import type { ProgressSnapshot } from './run-types.js';
import type { ConnectionStats, GeneratorView, LoadStage } from './types.js';

/** HTTP/1.1 transports a thread can open on its own (a SenderFactory is a function: it cannot cross). */
export type ThreadTransport = 'undici' | 'raw';

/** One open-model run on one thread: its shard of the schedule over its share of the connections. */
export interface ThreadRun {
  runId: number;
  origin: string;
  /** sources sent before with a `source` message */
  sourceId: number;
  warmupSourceId: number | null;
  stages: LoadStage[];
  startTarget: number;
  shard: { index: number; count: number };
  maxConnections: number;
  lateThresholdMs: number;
  timeoutMs: number;
  warmupRequests: number;
  drainMs: number | null;
  endDrainMs: number | null;
  transport: ThreadTransport;
  /** send a progress message once a second */
  progress: boolean;
}

/** main → thread */
export type ToThread =
  /** request bodies (and their check, null: responses are not checked), kept for later runs */
  | { type: 'source'; id: number; path: string; bodies: Uint8Array[]; check: ResponseCheck | null }
  | { type: 'run'; run: ThreadRun }
  /** start run `runId`'s clock at this absolute time (performance.timeOrigin + performance.now(), ms) */
  | { type: 'start'; runId: number; atEpochMs: number }
  /** stop sending (Ctrl-C); in-flight requests get drainMs */
  | { type: 'stop'; runId: number };

/** A thread's RunOutcome without the recorder object (its state instead). */
export interface ThreadOutcome {
  recorder: RecorderState;
  durationS: number;
  activeS: number;
  interrupted: boolean;
  warmupSent: number;
  connections: ConnectionStats;
  generator: GeneratorView;
  warnings: string[];
}

/** thread → main */
export type FromThread =
  /** warm-up done: waiting for `start` */
  | { type: 'ready'; runId: number }
  | { type: 'progress'; runId: number; progress: ProgressSnapshot }
  | { type: 'done'; runId: number; outcome: ThreadOutcome }
  | { type: 'error'; runId: number; message: string };
