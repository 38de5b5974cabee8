/**
 * `loadtest --protocol grpc`: which flags combine with it. The target's gRPC listener is found by
 * load/start-target.ts; the run is the open model with the gRPC sender (load/grpc-sender.ts).
 */
import type { ParsedFlags } from '../load/options.js';
import { UsageError } from '../util/errors.js';

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
