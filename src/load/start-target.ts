/**
 * The loadtest target, started for the run or given: a URL (`--target`, HTTP, or HOST:PORT of a
 * gRPC listener), the real Cerbos PDP, the bundled engine in this process, or a serve child
 * (serve-child.ts) on the scenario's policies.
 */
import { startCerbos } from '../targets/cerbos.js';
import { cerbosOptionsFor } from '../targets/scenario-cerbos.js';
import type { Scenario } from '../scenario/index.js';
import type { ServeOptions } from '../serve/run.js';
import { UsageError } from '../util/errors.js';
import { DEFAULT_MAX_INFLIGHT } from '../engine/index.js';
import { startInProcessTarget } from './scenario-requests.js';
import { grpcListenLine, startServeChild, type ServeChildIo } from './serve-child.js';

/** A target ready for requests; `bundled`: started for this run (the engine under test). */
export interface StartedTarget {
  /** the HTTP origin (metrics, and the check path over HTTP) */
  url: string;
  bundled: boolean;
  stop(): Promise<void>;
  /** the target's Prometheus path (default /metrics) */
  metricsPath?: string;
  /** host:port of the gRPC listener, when there is one */
  grpcAddress?: string;
  /** check requests the target admits at once (the bundled engine's --max-inflight, per worker); more get 503 */
  maxInflight?: number;
}

export type TargetSpec =
  | { kind: 'url'; url: string; protocol: 'http' | 'grpc' }
  | { kind: 'cerbos'; scenario: Scenario }
  | { kind: 'in-process'; scenario: Scenario }
  /** `options.grpcPort` 0 also starts its gRPC listener */
  | { kind: 'serve'; options: ServeOptions };

export interface TargetIo extends ServeChildIo {
  /** one-line notes (e.g. the Cerbos version started) */
  log?: (line: string) => void;
}

export async function startLoadTarget(spec: TargetSpec, io: TargetIo): Promise<StartedTarget> {
  switch (spec.kind) {
    case 'url':
      return spec.protocol === 'grpc' ? grpcTarget(spec.url) : { url: spec.url, bundled: false, stop: async () => undefined };
    case 'cerbos': {
      // the real PDP on the same policies and globals; our engine still checks every decision
      const cerbos = await startCerbos(cerbosOptionsFor(spec.scenario));
      io.log?.(`loadtest: started Cerbos ${cerbos.version} (pid ${cerbos.pid}) on ${spec.scenario.policyDir}`);
      return { url: cerbos.httpUrl, bundled: true, stop: () => cerbos.stop(), metricsPath: '/_cerbos/metrics', grpcAddress: cerbos.grpcAddress };
    }
    case 'in-process': {
      const t = await startInProcessTarget(spec.scenario);
      return { url: t.url, bundled: true, stop: () => t.close(), maxInflight: DEFAULT_MAX_INFLIGHT };
    }
    case 'serve': {
      let grpcAddress: string | undefined;
      const child = await startServeChild(io, spec.options, { onLine: (line) => void (grpcAddress ??= grpcListenLine(line)) });
      return { url: child.url, bundled: true, stop: () => child.stop(), maxInflight: spec.options.maxInflight * spec.options.workers, ...(grpcAddress ? { grpcAddress } : {}) };
    }
  }
}

/** `--target HOST:PORT` or `grpc://HOST:PORT` with --protocol grpc. */
export function grpcTarget(target: string): StartedTarget {
  const m = /^(?:grpc:\/\/|https?:\/\/)?([^/:]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(target.trim());
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--target: with --protocol grpc, give HOST:PORT of the gRPC listener (e.g. 127.0.0.1:3593), got '${target}'`);
  return { url: `http://${m[1]}:${m[2]}`, bundled: false, stop: async () => undefined, grpcAddress: `${m[1]}:${m[2]}` };
}
