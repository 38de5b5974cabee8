/** Messages between the main thread and generator threads (threaded-open-model.ts, generator-thread.ts). */
import type { ResponseCheck } from './connection.js';
import type { RecorderState } from './recorder.js';
import type { ProgressSnapshot } from './run-types.js';
import type { ConnectionStats, GeneratorView, LoadStage } from './types.js';

/** HTTP/1.1 transports a thread can open on its own (a SenderFactory is a function: it cannot cross). */
export type ThreadTransport = 'undici' | 'raw';

export interface GeneratorThreadData {
  origin: string;
  path: string;
  bodies: Uint8Array[];
  /** null: responses are not checked */
  check: ResponseCheck | null;
  stages: LoadStage[];
  startTarget: number;
  shard: { index: number; count: number };
  maxConnections: number;
  lateThresholdMs: number;
  timeoutMs: number;
  warmupRequests: number;
  warmupBodies: Uint8Array[] | null;
  drainMs: number | null;
  endDrainMs: number | null;
  transport: ThreadTransport;
  /** send a progress message once a second */
  progress: boolean;
}

/** main → thread */
export type ToThread =
  /** start the clock at this absolute time (performance.timeOrigin + performance.now(), ms) */
  | { type: 'start'; atEpochMs: number }
  /** stop sending (Ctrl-C); in-flight requests get drainMs */
  | { type: 'stop' };

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
  | { type: 'ready' }
  | { type: 'progress'; progress: ProgressSnapshot }
  | { type: 'done'; outcome: ThreadOutcome }
  | { type: 'error'; message: string };
