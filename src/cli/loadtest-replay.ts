/**
 * `loadtest --replay FILE [--speed 2x | --rps N]`: a Cerbos decision log's check requests as the
 * load. At their recorded relative times (divided by --speed), or, with --rps, cycled at a constant
 * rate for --duration (default: once through the log).
 */
import type { CliContext } from './context.js';
import { readInputFile } from './action.js';
import type { LoadShapePlan, ParsedFlags, ResolvedPlan } from '../load/options.js';
import { parseSpeed, replayPlan, type ReplayShape } from '../load/replay.js';
import type { CheckRequest } from '../engine/types.js';
import { parseDecisionLog } from '../scenario/init/index.js';
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

export interface LoadedReplay {
  requests: CheckRequest[];
  /** the recorded timing (null with --rps: a constant rate) */
  loadShape: ReplayShape | null;
  plan: ResolvedPlan;
  label: string;
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

export async function loadReplay(ctx: CliContext, flags: ReplayFlags, parsed: ParsedFlags, plan: ResolvedPlan): Promise<LoadedReplay> {
  const file = flags.replay!;
  const log = parseDecisionLog(await readInputFile(ctx, file), file);
  if (log.calls.length === 0) throw new UsageError(`--replay: ${file} holds no CheckResources decisions`);
  if (parsed.rps !== null) {
    const durationS = flags.duration !== undefined ? parsed.durationS : Math.max(1, Math.ceil(log.calls.length / parsed.rps));
    const shape: LoadShapePlan = { model: 'open', stages: [{ durationS, target: parsed.rps }], startTarget: parsed.rps, thinkTimeMs: null, profile: null };
    return { requests: log.calls.map((c) => c.request), loadShape: null, plan: { ...plan, shape, findMax: null }, label: `${log.calls.length} logged requests from ${file} at ${parsed.rps} req/s` };
  }
  const speed = flags.speed === undefined ? 1 : parseSpeed(flags.speed);
  if (speed === null) throw new UsageError(`--speed: expected a positive factor such as 2x or 0.5x, got '${flags.speed}'`);
  const r = replayPlan(log.calls, speed);
  const durationS = r.shape.totalMs / 1000;
  const mean = r.requests.length / durationS;
  const shape: LoadShapePlan = { model: 'open', stages: [{ durationS, target: mean }], startTarget: mean, thinkTimeMs: null, profile: null };
  return {
    requests: r.requests,
    loadShape: r.shape,
    plan: { ...plan, shape, findMax: null },
    label: `${r.requests.length} logged requests from ${file} at their recorded times${speed !== 1 ? ` × 1/${speed}` : ''} (${r.recordedS.toFixed(1)} s recorded)`,
  };
}
