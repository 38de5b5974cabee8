/**
 * The decision engine: Cerbos resource-policy semantics over a compiled PolicySet, with an LRU+TTL
 * decision cache. Hot path rules: no CEL parsing, no per-check closures, one activation per
 * principal/resource pair and scope, every condition evaluated at most once per pair.
 */
import { celClock, type Activation } from './cel.js';
import { DecisionCache, type CacheOptions } from './decision-cache.js';
import {
  ALLOW,
  DENY,
  newActivation,
  principalValue,
  resourceValue,
  rulesForAction,
  rulesForRole,
  type ActionRules,
  type CompiledDerivedRole,
  type CompiledExpr,
  type CompiledResourcePolicy,
  type CompiledRule,
  type CondTree,
  type PolicySet,
  type RoleCandidate,
  type Scope,
} from './policy-set.js';
import type { CheckRequest, CheckResponse, Effect, Principal, ResourceEntry, ResourceResult } from './types.js';

export type { CacheOptions } from './decision-cache.js';

export interface EngineOptions {
  /** decision cache; false turns it off. Default { maxEntries: 10_000, ttlMs: 60_000 } */
  cache?: CacheOptions | false;
  /** clock behind CEL `now()` and cache TTL (ms since epoch); default Date.now / performance.now */
  now?: () => number;
  /** time every CEL evaluation (for the server's metrics); costs two clock reads per evaluation */
  celTiming?: boolean;
}

export interface CacheStats {
  enabled: boolean;
  hits: number;
  misses: number;
  size: number;
  maxEntries: number;
  ttlMs: number;
}

/** Nanoseconds accumulated per stage by checkWithStages (add up over many calls, divide by `checks`). */
export interface StageTimes {
  checks: number;
  /** building the canonical cache key */
  canonicaliseNs: number;
  cacheLookupNs: number;
  /** policy lookup by kind/version, rule selection by action, role and derived-role matching */
  policyLookupNs: number;
  celEvalNs: number;
  responseNs: number;
  totalNs: number;
}

export function emptyStageTimes(): StageTimes {
  return { checks: 0, canonicaliseNs: 0, cacheLookupNs: 0, policyLookupNs: 0, celEvalNs: 0, responseNs: 0, totalNs: 0 };
}

/** One CEL evaluation a check performed, with the activation it ran against. */
export interface TraceEntry {
  expr: CompiledExpr;
  activation: Activation;
  result: unknown;
  /** evaluation error message (the condition then counts as false) */
  error?: string;
}

export interface CheckTrace {
  response: CheckResponse;
  evaluations: TraceEntry[];
}

export interface CelStats {
  evaluations: number;
  totalNs: number;
}

export interface Engine {
  readonly policySet: PolicySet;
  check(req: CheckRequest): CheckResponse;
  /** Same decisions as check(), timing each stage into `out` (a separate path: check() pays nothing). */
  checkWithStages(req: CheckRequest, out: StageTimes): CheckResponse;
  /** Uncached evaluation recording every CEL evaluation performed. */
  traceCheck(req: CheckRequest): CheckTrace;
  cacheStats(): CacheStats;
  /** CEL evaluation count/time; only counted with `celTiming: true` */
  celStats(): CelStats;
  clearCache(): void;
}

interface Decision {
  actions: Record<string, Effect>;
  meta?: { actions: Record<string, { matchedPolicy: string; matchedRule?: string }> };
}

interface Probe {
  celNs: number;
  evaluations: number;
  trace: TraceEntry[] | null;
}

export const DEFAULT_CACHE: CacheOptions = { maxEntries: 10_000, ttlMs: 60_000 };
const NO_MATCH = 'NO_MATCH';

const now = (): number => performance.now();

export function createEngine(policySet: PolicySet, options: EngineOptions = {}): Engine {
  return new DecisionEngine(policySet, options);
}

function setAction<T>(obj: Record<string, T>, action: string, value: T): void {
  // a request action named __proto__ must stay an ordinary key
  if (action === '__proto__') Object.defineProperty(obj, action, { value, enumerable: true, writable: true, configurable: true });
  else obj[action] = value;
}

class DecisionEngine implements Engine {
  readonly policySet: PolicySet;
  private readonly cache: DecisionCache<Decision> | null;
  private readonly cacheOptions: CacheOptions | false;
  private readonly clock: () => number;
  private probe: Probe | null;
  private readonly celTotals: Probe | null;

  // per-pair state (checks are synchronous, so one set per engine)
  private gen = 0;
  private readonly slotGen: Int32Array;
  private readonly slotVal: Uint8Array;
  private pairPrincipal: unknown = null;
  private pairResourceRef: ResourceEntry['resource'] | null = null;
  private pairResource: unknown = null;
  private readonly actScopes: Scope[] = [];
  private readonly acts: Activation[] = [];
  private actCount = 0;

  // the CEL view of the current check's principal, built on its first miss
  private pvFor: Principal | null = null;
  private pv: unknown = null;

  constructor(policySet: PolicySet, options: EngineOptions) {
    this.policySet = policySet;
    this.cacheOptions = options.cache === undefined ? DEFAULT_CACHE : options.cache;
    this.clock = options.now ?? Date.now;
    // TTL runs on the same clock as CEL `now()`, so an injected clock drives both
    this.cache = this.cacheOptions === false ? null : new DecisionCache<Decision>(this.cacheOptions, this.clock);
    this.celTotals = options.celTiming ? { celNs: 0, evaluations: 0, trace: null } : null;
    this.probe = this.celTotals;
    this.slotGen = new Int32Array(policySet.slotCount);
    this.slotVal = new Uint8Array(policySet.slotCount);
  }

  check(req: CheckRequest): CheckResponse {
    celClock.now = this.clock;
    const principal = req.principal;
    const entries = req.resources;
    const meta = req.includeMeta === true;
    const results: ResourceResult[] = new Array(entries.length);
    const cache = this.cache;
    if (cache !== null) cache.begin(principal);
    this.pvFor = null;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const res = entry.resource;
      const policy = this.lookup(res.kind, res.policyVersion);
      let decision: Decision | undefined;
      if (cache !== null && policy !== undefined) {
        const hash = cache.hashFor(policy, principal, entry, meta);
        decision = cache.lookup(hash, principal, entry, meta);
        if (decision === undefined) {
          const reads = celClock.reads;
          decision = this.decide(policy, principal, entry, meta);
          cache.store(hash, principal, entry, meta, decision, celClock.reads !== reads);
        }
      } else decision = this.decide(policy, principal, entry, meta);
      results[i] = buildResult(entry, decision);
    }
    return { requestId: req.requestId ?? '', results };
  }

  checkWithStages(req: CheckRequest, out: StageTimes): CheckResponse {
    const t0 = now();
    celClock.now = this.clock;
    const saved = this.probe;
    const probe: Probe = { celNs: 0, evaluations: 0, trace: null };
    this.probe = probe;
    try {
      const principal = req.principal;
      const entries = req.resources;
      const meta = req.includeMeta === true;
      const results: ResourceResult[] = new Array(entries.length);
      const cache = this.cache;
      if (cache !== null) cache.begin(principal);
      this.pvFor = null;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        const res = entry.resource;
        let t = now();
        const policy = this.lookup(res.kind, res.policyVersion);
        let t2 = now();
        out.policyLookupNs += (t2 - t) * 1e6;
        let decision: Decision | undefined;
        let hash = -1;
        if (cache !== null && policy !== undefined) {
          hash = cache.hashFor(policy, principal, entry, meta);
          t = now();
          out.canonicaliseNs += (t - t2) * 1e6;
          decision = cache.lookup(hash, principal, entry, meta);
          t2 = now();
          out.cacheLookupNs += (t2 - t) * 1e6;
        }
        if (decision === undefined) {
          const celBefore = probe.celNs;
          t = now();
          const reads = celClock.reads;
          decision = this.decide(policy, principal, entry, meta);
          if (cache !== null && policy !== undefined) cache.store(hash, principal, entry, meta, decision, celClock.reads !== reads);
          t2 = now();
          const cel = probe.celNs - celBefore;
          out.celEvalNs += cel;
          out.policyLookupNs += Math.max(0, (t2 - t) * 1e6 - cel);
        }
        results[i] = buildResult(entry, decision);
        out.responseNs += (now() - t2) * 1e6;
      }
      const response = { requestId: req.requestId ?? '', results };
      out.checks++;
      out.totalNs += (now() - t0) * 1e6;
      return response;
    } finally {
      this.probe = saved;
      if (saved !== null) {
        saved.celNs += probe.celNs;
        saved.evaluations += probe.evaluations;
      }
    }
  }

  traceCheck(req: CheckRequest): CheckTrace {
    celClock.now = this.clock;
    const saved = this.probe;
    const probe: Probe = { celNs: 0, evaluations: 0, trace: [] };
    this.probe = probe;
    try {
      const principal = req.principal;
      const meta = req.includeMeta === true;
      this.pvFor = null;
      const results = req.resources.map((entry) =>
        buildResult(entry, this.decide(this.lookup(entry.resource.kind, entry.resource.policyVersion), principal, entry, meta)),
      );
      return { response: { requestId: req.requestId ?? '', results }, evaluations: probe.trace! };
    } finally {
      this.probe = saved;
    }
  }


  cacheStats(): CacheStats {
    const o = this.cacheOptions;
    return {
      enabled: o !== false,
      hits: this.cache?.hits ?? 0,
      misses: this.cache?.misses ?? 0,
      size: this.cache?.size ?? 0,
      maxEntries: o === false ? 0 : o.maxEntries,
      ttlMs: o === false ? 0 : o.ttlMs,
    };
  }

  celStats(): CelStats {
    return { evaluations: this.celTotals?.evaluations ?? 0, totalNs: this.celTotals?.celNs ?? 0 };
  }

  clearCache(): void {
    this.cache?.clear();
  }

  private lookup(kind: string, version: string | undefined): CompiledResourcePolicy | undefined {
    return this.policySet.byKind.get(kind)?.get(version ?? 'default');
  }

  private decide(
    policy: CompiledResourcePolicy | undefined,
    principal: Principal,
    entry: ResourceEntry,
    withMeta: boolean,
  ): Decision {
    const actions: Record<string, Effect> = {};
    const meta: Decision['meta'] = withMeta ? { actions: {} } : undefined;
    const names = entry.actions;
    if (policy === undefined) {
      for (let i = 0; i < names.length; i++) {
        setAction(actions, names[i]!, 'EFFECT_DENY');
        if (meta) setAction(meta.actions, names[i]!, { matchedPolicy: NO_MATCH });
      }
      return meta ? { actions, meta } : { actions };
    }
    if (this.pvFor !== principal) {
      this.pv = principalValue(principal);
      this.pvFor = principal;
    }
    this.startPair(this.pv, entry.resource);
    const roles = principal.roles;
    for (let i = 0; i < names.length; i++) {
      const action = names[i]!;
      const rules = rulesForAction(policy, action);
      const matched = this.effectFor(rules, roles);
      const allowed = matched !== null && matched.effect === ALLOW;
      setAction(actions, action, allowed ? 'EFFECT_ALLOW' : 'EFFECT_DENY');
      if (meta) setAction(meta.actions, action, matched ? { matchedPolicy: policy.name, matchedRule: matched.name } : { matchedPolicy: NO_MATCH });
    }
    this.pairPrincipal = null;
    this.pairResourceRef = null;
    this.pairResource = null;
    return meta ? { actions, meta } : { actions };
  }

  private startPair(pv: unknown, resource: ResourceEntry['resource']): void {
    this.gen++;
    if (this.gen >= 0x3fffffff) {
      this.gen = 1;
      this.slotGen.fill(0);
    }
    this.pairPrincipal = pv;
    this.pairResourceRef = resource;
    this.pairResource = null;
    this.actCount = 0;
  }

  /**
   * Per role: a true DENY rule denies that role; otherwise a true ALLOW rule allows it.
   * The action is allowed when any role is allowed. Returns the deciding rule (null: no rule matched).
   */
  private effectFor(rules: ActionRules, roles: string[]): CompiledRule | null {
    if (rules.deny.length === 0 && rules.allow.length === 0) return null;
    let denied: CompiledRule | null = null;
    for (let r = 0; r < roles.length; r++) {
      const forRole = rulesForRole(rules, roles[r]!);
      const deny = forRole.deny;
      let roleDenied = false;
      for (let i = 0; i < deny.length; i++) {
        const c = deny[i]!;
        if (this.applies(c) && this.ruleTrue(c.rule)) {
          denied ??= c.rule;
          roleDenied = true;
          break;
        }
      }
      if (roleDenied) continue;
      const allow = forRole.allow;
      for (let i = 0; i < allow.length; i++) {
        const c = allow[i]!;
        if (this.applies(c) && this.ruleTrue(c.rule)) return c.rule;
      }
    }
    return denied;
  }

  private applies(c: RoleCandidate): boolean {
    if (c.direct) return true;
    const derived = c.derived;
    for (let i = 0; i < derived.length; i++) if (this.derivedActive(derived[i]!)) return true;
    return false;
  }

  private derivedActive(d: CompiledDerivedRole): boolean {
    return d.condition === null || this.slotTrue(d.slot, d.condition);
  }

  private ruleTrue(rule: CompiledRule): boolean {
    return rule.condition === null || this.slotTrue(rule.slot, rule.condition);
  }

  /** A condition's value, evaluated at most once per principal/resource pair (kept in its slot). */
  private slotTrue(slot: number, condition: CondTree): boolean {
    if (this.slotGen[slot] === this.gen) return this.slotVal[slot] === 1;
    const v = this.tree(condition);
    this.slotGen[slot] = this.gen;
    this.slotVal[slot] = v ? 1 : 0;
    return v;
  }

  private tree(t: CondTree): boolean {
    switch (t.op) {
      case 'expr':
        return this.evalCondition(t.expr);
      case 'all':
        for (let i = 0; i < t.of.length; i++) if (!this.tree(t.of[i]!)) return false;
        return true;
      case 'any':
        for (let i = 0; i < t.of.length; i++) if (this.tree(t.of[i]!)) return true;
        return false;
      case 'none':
        for (let i = 0; i < t.of.length; i++) if (this.tree(t.of[i]!)) return false;
        return true;
    }
  }

  private activation(scope: Scope): Activation {
    for (let i = 0; i < this.actCount; i++) if (this.actScopes[i] === scope) return this.acts[i]!;
    if (this.pairResource === null) this.pairResource = resourceValue(this.pairResourceRef!);
    const act = newActivation(scope, this.pairPrincipal, this.pairResource);
    this.actScopes[this.actCount] = scope;
    this.acts[this.actCount] = act;
    this.actCount++;
    return act;
  }

  private evalCondition(expr: CompiledExpr): boolean {
    const act = this.activation(expr.scope);
    const deps = expr.varDeps;
    for (let i = 0; i < deps.length; i++) {
      const v = deps[i]!;
      // computed values are never undefined; a failed variable stays unset (and is retried)
      if (v.inheritedName ? Object.prototype.hasOwnProperty.call(act.V, v.name) : act.V[v.name] !== undefined) continue;
      try {
        act.V[v.name] = this.run(v, act);
      } catch {
        // unset: conditions reading it fail, which makes them false
      }
    }
    try {
      return this.run(expr, act) === true;
    } catch {
      return false;
    }
  }

  private run(expr: CompiledExpr, act: Activation): unknown {
    const probe = this.probe;
    if (probe === null) return expr.program(act);
    const t = now();
    let result: unknown;
    let error: unknown;
    let failed = false;
    try {
      result = expr.program(act);
    } catch (err) {
      error = err;
      failed = true;
    }
    probe.celNs += (now() - t) * 1e6;
    probe.evaluations++;
    if (probe.trace !== null) {
      const entry: TraceEntry = { expr, activation: act, result };
      if (failed) entry.error = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      probe.trace.push(entry);
    }
    if (failed) throw error;
    return result;
  }
}

function buildResult(entry: ResourceEntry, decision: Decision): ResourceResult {
  const res = entry.resource;
  const out: ResourceResult = {
    resource: res.policyVersion === undefined ? { id: res.id, kind: res.kind } : { id: res.id, kind: res.kind, policyVersion: res.policyVersion },
    actions: decision.actions,
  };
  if (decision.meta !== undefined) out.meta = decision.meta;
  return out;
}
