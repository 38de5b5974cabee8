/**
 * Cerbos decision logs as the `file` audit backend writes them (and `local` exports them): one JSON
 * object per line; decision entries carry `"log.kind": "decision"`, an RFC 3339 `timestamp`, a
 * `callId` and `checkResources.inputs` (principal, resource and actions per resource entry; older
 * Cerbos versions put `inputs` at the top level). Access-log lines and PlanResources decisions are
 * skipped. Each CheckResources call becomes the check request that was sent.
 */
import { RequestShapeError, toCheckRequest } from '../engine/index.js';
import type { CheckRequest } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import type { Observation } from './observations.js';
import { isObject } from '../util/json-values.js';

export interface LoggedCall {
  callId: string;
  /** ms since the epoch */
  atMs: number;
  /** 1-based line in the log */
  line: number;
  request: CheckRequest;
}

export interface DecisionLog {
  calls: LoggedCall[];
  /** lines that were not CheckResources decisions (access logs, PlanResources) */
  skipped: number;
}

export function parseDecisionLog(text: string, file: string): DecisionLog {
  const calls: LoggedCall[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const line = i + 1;
    let entry: unknown;
    try {
      entry = JSON.parse(raw);
    } catch (err) {
      throw new InputError(`not a JSON decision-log entry: ${(err as Error).message}`, { file, line, column: 1 });
    }
    if (!isObject(entry)) throw new InputError('a decision-log entry must be a JSON object', { file, line, column: 1 });
    const kind = entry['log.kind'];
    const check = isObject(entry.checkResources) ? entry.checkResources : kind === 'decision' && Array.isArray(entry.inputs) ? entry : null;
    if ((kind !== undefined && kind !== 'decision') || check === null) {
      skipped++;
      continue;
    }
    calls.push(loggedCall(entry, check, file, line));
  }
  return { calls, skipped };
}

function loggedCall(entry: Record<string, unknown>, check: Record<string, unknown>, file: string, line: number): LoggedCall {
  const at = (message: string): InputError => new InputError(message, { file, line, column: 1 });
  const inputs = check.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw at('checkResources.inputs must be a non-empty list');
  const first = inputs[0];
  if (!isObject(first)) throw at('checkResources.inputs[0] must be an object');
  const atMs = typeof entry.timestamp === 'string' ? Date.parse(entry.timestamp) : NaN;
  if (Number.isNaN(atMs)) throw at('timestamp must be an RFC 3339 time');
  const body = {
    ...(typeof first.requestId === 'string' ? { requestId: first.requestId } : {}),
    principal: first.principal,
    resources: inputs.map((input) => (isObject(input) ? { resource: input.resource, actions: input.actions } : input)),
  };
  try {
    return { callId: typeof entry.callId === 'string' ? entry.callId : `line-${line}`, atMs, line, request: toCheckRequest(body) };
  } catch (err) {
    if (err instanceof RequestShapeError) throw at(`checkResources.inputs: ${err.message}`);
    throw err;
  }
}

export function observationsFromLog(log: DecisionLog): Observation[] {
  const out: Observation[] = [];
  for (const call of log.calls) {
    call.request.resources.forEach((entry, i) => out.push({ principal: call.request.principal, resource: entry.resource, actions: entry.actions, call: call.callId, name: `${call.callId}/${i}` }));
  }
  return out;
}
