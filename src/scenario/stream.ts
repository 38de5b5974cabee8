/**
 * Scenario → deterministic, infinite stream of Cerbos check requests. The same scenario and seed
 * always give the same sequence. Principals come from a fixed pool (`user-<n>`, each with stable
 * roles and attributes); a `repeatShare` of requests re-sends one of the last `repeatWindow` fresh
 * requests (with a new requestId) so a decision cache sees realistic hits.
 */
import type { AttrValue, CheckRequest, Principal, ResourceEntry } from '../engine/index.js';
import { Random, cumulativeWeights } from './random.js';
import type { AttrGen, ResourceMix, Scenario } from './types.js';

export interface RequestStream {
  /** the next request; principal objects are shared between requests: treat requests as read-only */
  next(): CheckRequest;
}

export interface RequestStreamOptions {
  /** default: the scenario's seed */
  seed?: number;
  /** default: the scenario's requests.repeatShare */
  repeatShare?: number;
}

export function principalIdFor(index: number): string {
  return `user-${index}`;
}

interface PreparedResource {
  mix: ResourceMix;
  actionNames: string[];
  actionWeights: number[];
  actionCumulative: number[];
}

export function createRequestStream(scenario: Scenario, options: RequestStreamOptions = {}): RequestStream {
  const seed = (options.seed ?? scenario.seed) >>> 0;
  const repeatShare = options.repeatShare ?? scenario.requests.repeatShare;
  if (!(repeatShare >= 0 && repeatShare <= 1)) throw new RangeError(`repeatShare must be in [0, 1], got ${repeatShare}`);
  const mix = scenario.requests;
  const rng = new Random(seed);
  const principalCount = mix.principals.count;
  const roleCumulative = cumulativeWeights(mix.principals.roles.map((r) => r.weight));
  const kindCumulative = cumulativeWeights(mix.resources.map((r) => r.weight));
  const resources: PreparedResource[] = mix.resources.map((m) => ({
    mix: m,
    actionNames: m.actions.map((a) => a.name),
    actionWeights: m.actions.map((a) => a.weight),
    actionCumulative: cumulativeWeights(m.actions.map((a) => a.weight)),
  }));
  const pool = new Map<number, Principal>();
  const recent: CheckRequest[] = [];
  let recentNext = 0;
  let counter = 0;
  const idPrefix = `${scenario.name}-${seed.toString(36)}-`;

  // Each principal is generated from its own PRNG, so the pool does not depend on draw order.
  const principalAt = (index: number): Principal => {
    let p = pool.get(index);
    if (p === undefined) {
      const prng = new Random((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
      const id = principalIdFor(index);
      const roles = mix.principals.roles[prng.weighted(roleCumulative)]!.roles.slice();
      const ctx: GenContext = { rng: prng, principal: { id, roles }, principalCount };
      p = { id, roles, attr: genAttrs(mix.principals.attr, ctx) };
      // drawn after the attributes (and only when configured), so pools without them are unchanged
      const { scope, policyVersion } = mix.principals;
      if (scope !== undefined || policyVersion !== undefined) {
        const own: GenContext = { rng: prng, principal: p, principalCount };
        if (scope !== undefined) setString(p, 'scope', genValue(scope, own));
        if (policyVersion !== undefined) setString(p, 'policyVersion', genValue(policyVersion, own));
      }
      pool.set(index, p);
    }
    return p;
  };

  const fresh = (): CheckRequest => {
    const principal = principalAt(rng.int(0, principalCount - 1));
    const ctx: GenContext = { rng, principal, principalCount };
    const n = rng.int(mix.resourcesPerRequest.min, mix.resourcesPerRequest.max);
    const entries: ResourceEntry[] = [];
    for (let i = 0; i < n; i++) {
      const res = resources[rng.weighted(kindCumulative)]!;
      const m = res.mix;
      const resource: ResourceEntry['resource'] = {
        kind: m.kind,
        id: `${m.kind}-${rng.int(0, m.count - 1)}`,
        attr: genAttrs(m.attr, ctx),
      };
      if (m.scope !== undefined) setString(resource, 'scope', genValue(m.scope, ctx));
      if (m.policyVersion !== undefined) setString(resource, 'policyVersion', genValue(m.policyVersion, ctx));
      entries.push({ resource, actions: pickActions(rng, res) });
    }
    return { requestId: '', principal, resources: entries };
  };

  return {
    next(): CheckRequest {
      const requestId = idPrefix + String(counter++);
      if (recent.length > 0 && repeatShare > 0 && rng.next() < repeatShare) {
        return { ...recent[rng.int(0, recent.length - 1)]!, requestId };
      }
      const req = fresh();
      req.requestId = requestId;
      if (recent.length < mix.repeatWindow) recent.push(req);
      else {
        recent[recentNext] = req;
        recentNext = (recentNext + 1) % mix.repeatWindow;
      }
      return req;
    },
  };
}

/** The next `n` requests of a stream. */
export function takeRequests(stream: RequestStream, n: number): CheckRequest[] {
  const out: CheckRequest[] = new Array<CheckRequest>(n);
  for (let i = 0; i < n; i++) out[i] = stream.next();
  return out;
}

/** Distinct actions, weighted, without replacement. */
function pickActions(rng: Random, res: PreparedResource): string[] {
  const { min, max } = res.mix.actionsPerResource;
  const k = rng.int(min, max);
  if (k === 1) return [res.actionNames[rng.weighted(res.actionCumulative)]!];
  const weights = res.actionWeights.slice();
  const out: string[] = [];
  for (let i = 0; i < k; i++) {
    const idx = rng.weighted(cumulativeWeights(weights));
    out.push(res.actionNames[idx]!);
    weights[idx] = 0;
  }
  return out;
}

/** Sets a generated scope or policy version; "" (the root scope, the default version) leaves the field out. */
function setString(target: { scope?: string; policyVersion?: string }, field: 'scope' | 'policyVersion', value: AttrValue): void {
  if (typeof value !== 'string') throw new TypeError(`${field} generator gave ${JSON.stringify(value)}, not a string`);
  if (value !== '') target[field] = value;
}

interface GenContext {
  rng: Random;
  principal: { id: string; roles: string[]; attr?: Record<string, AttrValue> };
  principalCount: number;
}

function genAttrs(fields: Array<[string, AttrGen]>, ctx: GenContext): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [name, gen] of fields) out[name] = genValue(gen, ctx);
  return out;
}

function genValue(gen: AttrGen, ctx: GenContext): AttrValue {
  const { rng } = ctx;
  switch (gen.type) {
    case 'const':
      return gen.value;
    case 'oneOf':
      return gen.values[rng.weighted(gen.cumulative)]!;
    case 'int':
      return rng.int(gen.min, gen.max);
    case 'number':
      return gen.min + rng.next() * (gen.max - gen.min);
    case 'bool':
      return rng.next() < gen.p;
    case 'id':
      return `${gen.prefix}-${rng.int(0, gen.count - 1)}`;
    case 'principalId':
      return rng.next() < gen.share ? ctx.principal.id : principalIdFor(rng.int(0, ctx.principalCount - 1));
    case 'fromPrincipal': {
      const attr = ctx.principal.attr;
      if (attr !== undefined && Object.prototype.hasOwnProperty.call(attr, gen.attr) && rng.next() < gen.share) {
        return attr[gen.attr]!;
      }
      return genValue(gen.otherwise, ctx);
    }
    case 'listOf': {
      const n = rng.int(gen.min, gen.max);
      const list: AttrValue[] = [];
      for (let i = 0; i < n; i++) list.push(genValue(gen.item, ctx));
      return list;
    }
    case 'object':
      return genAttrs(gen.fields, ctx);
  }
}
