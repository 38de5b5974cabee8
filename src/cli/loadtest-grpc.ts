/**
 * `loadtest --protocol grpc`: which flags combine with it, and where the gRPC listener is (Cerbos's
 * own, the serve child's `--grpc-port 0`, or `--target HOST:PORT`). The run itself is the open
 * model with the gRPC sender (load/grpc-sender.ts).
 */
import type { ParsedFlags } from '../load/options.js';
import { UsageError } from '../util/errors.js';

export interface StartedTarget {
  /** the HTTP origin (metrics, and the check path over HTTP) */
  url: string;
  bundled: boolean;
  stop: () => Promise<void>;
  metricsPath?: string;
  /** host:port of the gRPC listener, when there is one */
  grpcAddress?: string;
}

interface GrpcFlagView {
  inProcess?: boolean;
  exportK6?: string;
  export?: string[];
  runner?: string;
}

/** Checked before anything starts. --find-max keeps its search but drops the autocannon cross-check (HTTP only). */
export function checkGrpcFlags(flags: GrpcFlagView, parsed: ParsedFlags): void {
  if (flags.inProcess) throw new UsageError('--protocol grpc: the in-process engine has no gRPC listener; leave out --in-process');
  if (flags.exportK6 !== undefined || flags.export !== undefined) throw new UsageError('--protocol grpc: exports write HTTP tests; leave out --export / --export-k6');
  if (flags.runner === 'locust') throw new UsageError('--protocol grpc: Locust workers send HTTP; use --runner local');
  if (parsed.model === 'closed') throw new UsageError('--protocol grpc runs the open model (--rps, --stages, an arrival-rate --profile, --find-max)');
  if (parsed.findMax) parsed.findMax.autocannon = false;
}

/** `--target HOST:PORT` or `grpc://HOST:PORT` with --protocol grpc. */
export function grpcTarget(target: string): StartedTarget {
  const m = /^(?:grpc:\/\/|https?:\/\/)?([^/:]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(target.trim());
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--target: with --protocol grpc, give HOST:PORT of the gRPC listener (e.g. 127.0.0.1:3593), got '${target}'`);
  return { url: `http://${m[1]}:${m[2]}`, bundled: false, stop: async () => undefined, grpcAddress: `${m[1]}:${m[2]}` };
}

/** The serve child's "gRPC on HOST:PORT" line → HOST:PORT. */
export function grpcListenLine(line: string): string | undefined {
  return /^authz-perf serve: gRPC on (\S+)/.exec(line)?.[1];
}
