/**
 * `loadtest --replay FILE [--speed 2x | --rps N]`: the flags it does not combine with, and the
 * log read from disk (load/replay.ts turns it into requests and a load shape).
 */
import type { CliContext } from './context.js';
import { readInputFile } from './action.js';
import type { ParsedFlags, ResolvedPlan } from '../load/options.js';
import { loadReplay, type LoadedReplay } from '../load/replay.js';
import { UsageError } from '../util/errors.js';

export interface ReplayFlags {
  replay?: string;
  speed?: string;
  findMax?: boolean;
  vus?: string;
  stages?: string;
  profile?: string;
  rps?: string;
  duration?: string;
}

/** Flags --replay and --speed do not combine with, checked before anything starts. */
export function checkReplayFlags(flags: ReplayFlags): void {
  if (flags.replay === undefined) {
    if (flags.speed !== undefined) throw new UsageError('--speed: applies to --replay FILE');
    return;
  }
  const other = flags.findMax ? '--find-max' : flags.vus !== undefined ? '--vus' : flags.stages !== undefined ? '--stages' : flags.profile !== undefined ? '--profile' : null;
  if (other) throw new UsageError(`--replay: sends the log's requests at their recorded times (or --rps); it does not combine with ${other}`);
  if (flags.speed !== undefined && flags.rps !== undefined) throw new UsageError('--speed: with --rps the log is replayed at that constant rate; give one of them');
}

export async function readReplay(ctx: CliContext, flags: ReplayFlags, parsed: ParsedFlags, plan: ResolvedPlan): Promise<LoadedReplay> {
  const file = flags.replay!;
  return loadReplay(await readInputFile(ctx, file), file, parsed, plan, { durationGiven: flags.duration !== undefined, ...(flags.speed !== undefined ? { speed: flags.speed } : {}) });
}
