/**
 * The narrow interface between the load models and a transport. A sender is one connection (or
 * stream) with at most one request in flight; the models only ever call `send` on an idle sender
 * and learn of the outcome through `SenderEvents.onDone`. HTTP/1.1 (connection.ts) implements it;
 * another transport (e.g. gRPC) plugs into both models by providing a `SenderFactory`.
 */
import type { ErrorClass } from './types.js';

/** Server-side durations a response reported (Server-Timing), in ms; null when absent. */
export interface ServerTiming {
  /** time in the authorization engine */
  engineMs: number | null;
  /** total time in the request handler */
  handlerMs: number | null;
}

export interface RequestSender {
  /** times (run clock, ms) of the request in flight or just finished, as given to `send` */
  readonly intendedMs: number;
  readonly scheduledMs: number;
  readonly sentMs: number;
  /** what the last response said about server time (cleared on each send) */
  readonly serverTiming: ServerTiming | null;
  /**
   * Sends body `bodyIndex` of the source now. intended: when the load shape wanted it sent;
   * scheduled: when the scheduler got to it; sent: now. `body` overrides the source's body
   * (warm-up requests from another set).
   */
  send(bodyIndex: number, intendedMs: number, scheduledMs: number, sentMs: number, body?: Buffer): void;
  close(): Promise<void>;
}

export interface SenderEvents {
  /** exactly once per `send`; `message` is empty on success */
  onDone(sender: RequestSender, ok: boolean, kind: ErrorClass, status: number, message: string): void;
}

/** Opens one new sender to the target; it reports every outcome to `events`. */
export type SenderFactory = (events: SenderEvents) => RequestSender;
