/**
 * Decision agreement between our engine and a running Cerbos PDP: every request goes to Cerbos's
 * `POST /api/check/resources` (undici pool, keep-alive, at most `concurrency` in flight) and to
 * the in-process engine; the effect of every action is compared. Results and counts are in request
 * order, whatever order the answers arrive in.
 */
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { CHECK_PATH, type CheckRequest, type CheckResponse, type Effect, type Engine } from '../engine/index.js';

export interface CompareOptions {
  requests: readonly CheckRequest[];
  /** our engine; build it with createEngine(policySet, { cache: false }) so every request is evaluated */
  engine: Engine;
  /** e.g. http://127.0.0.1:3592 */
  cerbosUrl: string;
  /** requests in flight at once; default 8 */
  concurrency?: number;
  /** how many differences to keep (the first ones in request order); default 20 */
  maxDifferences?: number;
  signal?: AbortSignal;
}

export interface DecisionDifference {
  /** index in `requests` */
  requestIndex: number;
  requestId: string;
  principal: { id: string; roles: string[]; scope?: string; policyVersion?: string };
  resource: { kind: string; id: string; scope?: string; policyVersion?: string };
  action: string;
  /** our engine's effect; null when it failed (see referenceError) */
  reference: Effect | null;
  /** Cerbos's effect; null when it answered no effect for the action or refused the request (see cerbosError) */
  cerbos: Effect | null;
  referenceError?: string;
  cerbosError?: string;
}

export interface ActionAgreement {
  kind: string;
  action: string;
  actions: number;
  differing: number;
}

export interface DifferentialResult {
  requests: number;
  /** actions compared (each resource's actions, summed over requests) */
  actions: number;
  differingActions: number;
  /** requests Cerbos refused (non-2xx); all their actions count as differing */
  cerbosErrors: number;
  /** counts per resource kind and action, sorted by kind then action */
  perAction: ActionAgreement[];
  /** the first `maxDifferences`, in request order */
  differences: DecisionDifference[];
}


export async function compareWithCerbos(options: CompareOptions): Promise<DifferentialResult> {
  const { requests, engine } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const maxDifferences = Math.max(0, Math.floor(options.maxDifferences ?? 20));
  const url = new URL(options.cerbosUrl);
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const basePath = url.pathname.replace(/\/+$/, '');
  // every request in flight listens on a signal; one listener on the caller's relays it to them.
  // undici adds a listener for a request and another for its body, and a finished request's may
  // be removed only after the next request has added its own: up to about twice the in-flight
  // count (10 were seen with 8 in flight)
  const local = new AbortController();
  setMaxListeners(4 * concurrency + 1, local.signal);
  const relay = (): void => local.abort(options.signal?.reason);
  if (options.signal?.aborted) relay();
  else options.signal?.addEventListener('abort', relay, { once: true });

  const kept = new DifferenceBuffer(maxDifferences);
  const perAction = new Map<string, ActionAgreement>();
  let actions = 0;
  let differingActions = 0;
  let cerbosErrors = 0;
  let next = 0;

  const compareOne = async (index: number): Promise<void> => {
    const req = requests[index]!;
    const requestId = req.requestId ?? `differential-${index}`;
    const answer = await askCerbos(pool, basePath, cerbosBody(req, requestId), local.signal);
    if (!answer.ok) cerbosErrors++;
    let ours: CheckResponse | null = null;
    let oursError: string | undefined;
    try {
      ours = engine.check(req);
    } catch (err) {
      oursError = (err as Error).message;
    }
    req.resources.forEach((entry, r) => {
      const oursActions = ours?.results[r]?.actions;
      const theirResult = answer.ok ? answer.response.results[r] : undefined;
      // Cerbos answers in request order; a result for another resource counts as no answer
      const theirs = theirResult && theirResult.resource.id === entry.resource.id && theirResult.resource.kind === entry.resource.kind ? theirResult.actions : undefined;
      for (const action of entry.actions) {
        actions++;
        const reference = own(oursActions, action);
        const cerbos = own(theirs, action);
        const key = `${entry.resource.kind}\u0000${action}`;
        let agreement = perAction.get(key);
        if (agreement === undefined) {
          agreement = { kind: entry.resource.kind, action, actions: 0, differing: 0 };
          perAction.set(key, agreement);
        }
        agreement.actions++;
        if (reference !== null && reference === cerbos) continue;
        differingActions++;
        agreement.differing++;
        kept.add({
          requestIndex: index,
          requestId,
          principal: pick(req.principal, ['id', 'roles', 'scope', 'policyVersion']),
          resource: pick(entry.resource, ['kind', 'id', 'scope', 'policyVersion']),
          action,
          reference,
          cerbos,
          ...(oursError !== undefined ? { referenceError: oursError } : {}),
          ...(!answer.ok ? { cerbosError: answer.error } : {}),
        });
      }
    });
  };

  // after one failure (Cerbos unreachable, aborted) the other workers take no new requests
  let failed = false;
  const worker = async (): Promise<void> => {
    try {
      while (!failed && next < requests.length) {
        local.signal.throwIfAborted();
        await compareOne(next++);
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', relay);
    await pool.close();
  }
  return {
    requests: requests.length,
    actions,
    differingActions,
    cerbosErrors,
    perAction: [...perAction.values()].sort((a, b) => (a.kind === b.kind ? cmp(a.action, b.action) : cmp(a.kind, b.kind))),
    differences: kept.sorted(),
  };
}

/** One line per difference: who, on what, which action, both effects. */
export function describeDifference(d: DecisionDifference): string {
  const principalScope = d.principal.scope ? ` scope=${d.principal.scope}` : '';
  const principalVersion = d.principal.policyVersion ? ` policyVersion=${d.principal.policyVersion}` : '';
  const resourceScope = d.resource.scope ? ` scope=${d.resource.scope}` : '';
  const resourceVersion = d.resource.policyVersion ? ` policyVersion=${d.resource.policyVersion}` : '';
  const ours = d.reference ?? `error (${d.referenceError ?? 'no effect'})`;
  const theirs = d.cerbos ?? (d.cerbosError !== undefined ? `error (${d.cerbosError})` : 'no effect');
  return (
    `request ${d.requestIndex} principal ${d.principal.id} roles [${d.principal.roles.join(', ')}]${principalScope}${principalVersion}` +
    ` resource ${d.resource.kind}/${d.resource.id}${resourceScope}${resourceVersion} action ${d.action}: reference ${ours}, cerbos ${theirs}`
  );
}

/** The request as Cerbos's JSON API takes it (our decoded JWT claims stay behind; Cerbos decodes the token itself). */
export function cerbosBody(req: CheckRequest, requestId: string): string {
  // field by field: only what Cerbos's API knows (it rejects unknown fields)
  const p = req.principal;
  const body = {
    requestId,
    principal: { id: p.id, roles: p.roles, attr: p.attr ?? {}, policyVersion: p.policyVersion, scope: p.scope },
    resources: req.resources.map((e) => ({
      actions: e.actions,
      resource: { kind: e.resource.kind, id: e.resource.id, attr: e.resource.attr ?? {}, policyVersion: e.resource.policyVersion, scope: e.resource.scope },
    })),
    ...(req.auxData?.jwt ? { auxData: { jwt: req.auxData.jwt } } : {}),
  };
  return JSON.stringify(body);
}

type CerbosAnswer = { ok: true; response: CheckResponse } | { ok: false; error: string };

async function askCerbos(pool: Pool, basePath: string, body: string, signal: AbortSignal | undefined): Promise<CerbosAnswer> {
  const res = await pool.request({
    path: `${basePath}${CHECK_PATH}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    ...(signal ? { signal } : {}),
  });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode > 299) {
    return { ok: false, error: `HTTP ${res.statusCode}: ${errorMessage(text)}` };
  }
  try {
    const parsed = JSON.parse(text) as CheckResponse;
    if (!Array.isArray(parsed.results)) return { ok: false, error: 'answer has no results array' };
    return { ok: true, response: parsed };
  } catch {
    return { ok: false, error: `answer is not JSON: ${text.slice(0, 120)}` };
  }
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    /* not JSON */
  }
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

function own(actions: Record<string, Effect> | undefined, action: string): Effect | null {
  if (actions === undefined || !Object.prototype.hasOwnProperty.call(actions, action)) return null;
  const effect = actions[action];
  return effect === 'EFFECT_ALLOW' || effect === 'EFFECT_DENY' ? effect : null;
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (obj[k] !== undefined) out[k] = Array.isArray(obj[k]) ? ((obj[k] as unknown[]).slice() as T[K]) : obj[k];
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keeps the first `max` differences in request order while answers arrive out of order (bounded memory). */
class DifferenceBuffer {
  private items: DecisionDifference[] = [];
  constructor(private readonly max: number) {}

  add(d: DecisionDifference): void {
    if (this.max === 0) return;
    this.items.push(d);
    if (this.items.length >= this.max * 4) this.items = this.sorted();
  }

  sorted(): DecisionDifference[] {
    // stable sort: within one request, differences keep resource and action order
    return this.items.sort((a, b) => a.requestIndex - b.requestIndex).slice(0, this.max);
  }
}
