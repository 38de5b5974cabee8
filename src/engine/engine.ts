/**
 * The decision engine: Cerbos semantics over a compiled PolicySet, with an LRU+TTL decision cache.
 * Per action: principal policies (most specific scope first) decide first; when they do not, each
 * of the principal's roles is decided through the role policy at the resource's scope (custom
 * roles: an allow-list, then their parent roles) and the resource policies down the scope chain;
 * the action is allowed when one role is. Within a scope a true DENY beats a true ALLOW; an
 * OVERRIDE_PARENT scope's decision is final, a REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS scope's ALLOW
 * leaves the decision to its parents and its unmet ALLOW rule denies. No decision means DENY.
 * Hot path rules: no CEL parsing, no per-check closures, one activation per principal/resource
 * pair and scope, every condition evaluated at most once per pair.
 */
import { BOUND_CONTEXT, bindActivation, celClock, runBound, type Activation } from './cel.js';
import { DecisionCache, type CacheOptions } from './decision-cache.js';
import { ChainIndex } from './chain-index.js';
import {
  DENY,
  MAX_ROLE_DEPTH,
  auxDataValue,
  buildChain,
  newActivation,
  resetActivation,
  fillPrincipalValue,
  fillResourceValue,
  principalValue,
  resourceValue,
  rulesForAction,
  rulesForRole,
  type Chain,
  type RoleAt,
  type CompiledDerivedRole,
  type CompiledExpr,
  type CompiledPrincipalPolicy,
  type CompiledResourcePolicy,
  type CompiledRolePolicy,
  type ActionRules,
  type CompiledOutput,
  type CompiledRule,
  type CondTree,
  type PolicySet,
  type RoleCandidate,
  type Scope,
} from './policy-set.js';
import { celSafeAttr } from './safe-attr.js';
import { metaRoles, principalPolicyMetaName } from './meta.js';
import { SchemaValidator, type SchemaEnforcement } from './schemas.js';
import type { Globals, RuleOutput, CheckRequest, CheckResponse, Effect, MatchMeta, Principal, ResourceEntry, ResourceRef, ResourceResult } from './types.js';

export type { CacheOptions } from './decision-cache.js';

export interface EngineOptions {
  /** decision cache; false turns it off. Default { maxEntries: 10_000, ttlMs: 60_000 } */
  cache?: CacheOptions | false;
  /** clock behind CEL `now()` and cache TTL (ms since epoch); default Date.now / performance.now */
  now?: () => number;
  /** time every CEL evaluation (for the server's metrics); costs two clock reads per evaluation */
  celTiming?: boolean;
  /** Cerbos engine globals: `G` / `globals` in CEL */
  globals?: Globals;
  /** Cerbos schema enforcement (default none): see schemas.ts */
  schemaEnforcement?: SchemaEnforcement;
  /** evaluate rule outputs (default true); false decides alike without them (bench's cost of outputs) */
  outputs?: boolean;
}

export interface CacheStats {
  enabled: boolean;
  hits: number;
  misses: number;
  size: number;
  maxEntries: number;
  ttlMs: number;
  /** estimated bytes held by the cached decisions */
  bytes: number;
  /** the byte bound (0 when the cache is off) */
  maxBytes: number;
  /** entries decided without the cache because of the adaptive bypass */
  bypassed: number;
  /** the adaptive bypass is on now (recent hit rate too low) */
  bypassing: boolean;
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
  /** JSON-schema validation of principal and resource attributes (0 without enforcement) */
  schemaNs: number;
  responseNs: number;
  totalNs: number;
}

export function emptyStageTimes(): StageTimes {
  return { checks: 0, canonicaliseNs: 0, cacheLookupNs: 0, policyLookupNs: 0, celEvalNs: 0, schemaNs: 0, responseNs: 0, totalNs: 0 };
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
  meta?: { actions: Record<string, MatchMeta>; effectiveDerivedRoles?: string[] };
  outputs?: RuleOutput[];
  /** a cached decision's last result (frozen), returned again while the request names the same resource */
  result?: ResourceResult;
}

interface Probe {
  celNs: number;
  evaluations: number;
  trace: TraceEntry[] | null;
}

export const DEFAULT_CACHE: CacheOptions = { maxEntries: 10_000, ttlMs: 60_000 };
/** checks that may share one read of the default clock within a synchronous run */
const DEFAULT_CLOCK_REUSE = 32;
const NO_MATCH = 'NO_MATCH';
/** outcomes of deciding one action for one role or policy kind */
const NONE = 0;
const ALLOWED = 1;
const DENIED = 2;
type Outcome = typeof NONE | typeof ALLOWED | typeof DENIED;
/** chains kept per engine before the memo starts over (requests can name any kind, scope and version) */
const MAX_CHAINS = 10_000;
const EMPTY_AUX: Record<string, unknown> = auxDataValue(undefined);

const now = (): number => performance.now();

/**
 * includeMeta's effectiveDerivedRoles evaluate derived-role conditions the decision itself may not
 * read, which the cache key does not cover: such checks are decided afresh.
 */
function metaReadsDerivedRoles(chain: Chain): boolean {
  for (const level of chain.resourceLevels) if (level.scope.derivedRoles.length > 0) return true;
  return false;
}

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
  /** one activation per scope and one principal/resource CEL view, reused from pair to pair (see activation()) */
  private readonly pooledActs = new Map<Scope, Activation>();
  private readonly pvPooled = principalValue({ id: '', roles: [] });
  private readonly rvPooled = resourceValue({ kind: '', id: '' });
  private readonly actScopes: Scope[] = [];
  private readonly acts: Activation[] = [];
  private actCount = 0;

  // the CEL view of the current check's principal, built on its first miss
  private pvFor: Principal | null = null;
  private pv: unknown = null;
  private pairRoles: string[] = [];
  private aux: Record<string, unknown> = EMPTY_AUX;
  private readonly globals: Record<string, unknown>;

  // chains by kind (root scope, default versions, no principal policy), and by kind, version, scope and principal
  private readonly defaultChains = new Map<string, Chain>();
  private lastKind: string | null = null;
  private lastChain: Chain | null = null;
  private readonly chains = new ChainIndex<Chain>(MAX_CHAINS);

  // where the last decided action was decided (for includeMeta)
  private mPolicy = NO_MATCH;
  private mScope = '';
  /** the deepest resource level the entry's actions evaluated (includeMeta's effectiveDerivedRoles cover levels 0..deepest) */
  private deepest = -1;
  private mPrincipal: Principal | null = null;
  private readonly schemas: SchemaValidator | null;
  private readonly withOutputs: boolean;
  /** a one-role group, reused */
  private readonly single: string[] = [''];
  /** the rules of the action being decided, per resource level (filled once per action) */
  private levelRules: ActionRules[] = [];
  /** outputs of the entry being decided, while its chain has outputs (else null) */
  private outputs: RuleOutput[] | null = null;
  private outputAction = '';

  constructor(policySet: PolicySet, options: EngineOptions) {
    this.policySet = policySet;
    this.cacheOptions = options.cache === undefined ? DEFAULT_CACHE : options.cache;
    this.clock = options.now ?? Date.now;
    // TTL runs on the same clock as CEL `now()`, so an injected clock drives both
    // the default clock costs about as much as a cache hit to read: hits within one synchronous
    // run may share a read (see CacheOptions.clockReuse); an injected clock is read every check
    this.cache =
      this.cacheOptions === false
        ? null
        : new DecisionCache<Decision>({ ...this.cacheOptions, clockReuse: this.cacheOptions.clockReuse ?? (options.now === undefined ? DEFAULT_CLOCK_REUSE : 0) }, this.clock);
    this.celTotals = options.celTiming ? { celNs: 0, evaluations: 0, trace: null } : null;
    this.probe = this.celTotals;
    this.slotGen = new Int32Array(policySet.slotCount);
    this.slotVal = new Uint8Array(policySet.slotCount);
    this.globals = options.globals === undefined ? {} : (celSafeAttr(options.globals) as Record<string, unknown>);
    this.schemas = SchemaValidator.create(policySet, options.schemaEnforcement ?? 'none');
    this.withOutputs = options.outputs !== false;
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
    this.aux = req.auxData?.jwtClaims === undefined ? EMPTY_AUX : auxDataValue(req.auxData.jwtClaims);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const policy = this.chainFor(principal, entry.resource);
      const invalid = this.schemas === null ? null : this.schemas.validate(policy.resourceLevels, principal.attr, entry.resource.attr, entry.actions);
      let decision: Decision | undefined;
      if (invalid !== null && this.schemas!.enforcement === 'reject') decision = rejected(entry);
      else if (cache !== null && !policy.readsAuxData && !(meta && metaReadsDerivedRoles(policy))) {
        const hash = cache.hashFor(policy, principal, entry, meta);
        decision = cache.lookup(hash, principal, entry, meta);
        if (decision === undefined) {
          const reads = celClock.reads;
          decision = this.decide(policy, principal, entry, meta);
          if (hash >= 0) cache.store(hash, principal, entry, meta, freezeDecision(decision), celClock.reads !== reads);
        }
        if (hash >= 0 && invalid === null) {
          results[i] = sharedResult(entry, decision);
          continue;
        }
      } else decision = this.decide(policy, principal, entry, meta);
      const result = buildResult(entry, decision);
      if (invalid !== null) result.validationErrors = invalid;
      results[i] = result;
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
      this.aux = req.auxData?.jwtClaims === undefined ? EMPTY_AUX : auxDataValue(req.auxData.jwtClaims);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        let t = now();
        const policy = this.chainFor(principal, entry.resource);
        let t2 = now();
        out.policyLookupNs += (t2 - t) * 1e6;
        const invalid = this.schemas === null ? null : this.schemas.validate(policy.resourceLevels, principal.attr, entry.resource.attr, entry.actions);
        t = now();
        out.schemaNs += (t - t2) * 1e6;
        t2 = t;
        let decision: Decision | undefined = invalid !== null && this.schemas!.enforcement === 'reject' ? rejected(entry) : undefined;
        let hash = -1;
        const cacheable = decision === undefined && cache !== null && !policy.readsAuxData && !(meta && metaReadsDerivedRoles(policy));
        if (cacheable) {
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
          if (cacheable) cache!.store(hash, principal, entry, meta, freezeDecision(decision), celClock.reads !== reads);
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
      this.aux = req.auxData?.jwtClaims === undefined ? EMPTY_AUX : auxDataValue(req.auxData.jwtClaims);
      const results = req.resources.map((entry) => buildResult(entry, this.decide(this.chainFor(principal, entry.resource), principal, entry, meta)));
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
      bytes: this.cache?.bytes ?? 0,
      maxBytes: this.cache?.maxBytes ?? 0,
      bypassed: this.cache?.bypassed ?? 0,
      bypassing: this.cache?.bypassing ?? false,
    };
  }

  celStats(): CelStats {
    return { evaluations: this.celTotals?.evaluations ?? 0, totalNs: this.celTotals?.celNs ?? 0 };
  }

  clearCache(): void {
    this.cache?.clear();
  }

  /** The chain that decides `res` for `principal` (built on first use, then kept). */
  private chainFor(principal: Principal, res: ResourceRef): Chain {
    const set = this.policySet;
    const withPrincipal = set.principalIds.size > 0 && set.principalIds.has(principal.id);
    if (!withPrincipal && res.scope === undefined && res.policyVersion === undefined) {
      // resources of one kind tend to come in runs: the last kind's chain is compared before the map is read
      if (res.kind === this.lastKind) return this.lastChain!;
      const chain = this.defaultChains.get(res.kind) ?? this.remember(this.defaultChains, res.kind, buildChain(set, res.kind, 'default', '', null));
      this.lastKind = res.kind;
      this.lastChain = chain;
      return chain;
    }
    const version = res.policyVersion ?? 'default';
    const scope = res.scope ?? '';
    const principalId = withPrincipal ? principal.id : null;
    const principalScope = principal.scope ?? '';
    const chain = this.chains.get(res.kind, version, scope, principalId, principalScope);
    if (chain !== undefined) return chain;
    const p = withPrincipal ? { id: principal.id, scope: principalScope } : null;
    return this.chains.set(res.kind, version, scope, principalId, principalScope, buildChain(set, res.kind, version, scope, p));
  }

  private remember(map: Map<string, Chain>, key: string, chain: Chain): Chain {
    if (map.size >= MAX_CHAINS) map.clear();
    map.set(key, chain);
    return chain;
  }

  private decide(chain: Chain, principal: Principal, entry: ResourceEntry, withMeta: boolean): Decision {
    const actions: Record<string, Effect> = {};
    const meta: Decision['meta'] = withMeta ? { actions: {} } : undefined;
    const names = entry.actions;
    if (chain.resourceLevels.length === 0 && chain.principalLevels.length === 0) {
      for (let i = 0; i < names.length; i++) {
        setAction(actions, names[i]!, 'EFFECT_DENY');
        if (meta) setAction(meta.actions, names[i]!, { matchedPolicy: NO_MATCH });
      }
      return meta ? { actions, meta } : { actions };
    }
    if (this.pvFor !== principal) {
      this.pv = this.probe?.trace ? principalValue(principal) : fillPrincipalValue(this.pvPooled, principal);
      this.pvFor = principal;
    }
    this.startPair(this.pv, entry.resource);
    this.pairRoles = principal.roles;
    const roles = principal.roles;
    const outputs: RuleOutput[] | null = chain.hasOutputs && this.withOutputs ? [] : null;
    this.outputs = outputs;
    const simple = chain.simple ? chain.resourceLevels[0]! : null;
    this.deepest = -1;
    this.mPrincipal = principal;
    for (let i = 0; i < names.length; i++) {
      const action = names[i]!;
      if (outputs !== null) this.outputAction = action;
      const allowed = simple !== null ? this.decideSimple(simple, action, roles) : this.decideAction(chain, action, roles);
      setAction(actions, action, allowed ? 'EFFECT_ALLOW' : 'EFFECT_DENY');
      if (meta) setAction(meta.actions, action, this.mScope === '' ? { matchedPolicy: this.mPolicy } : { matchedPolicy: this.mPolicy, matchedScope: this.mScope });
    }
    if (meta && this.deepest >= 0) {
      const derived = this.metaDerivedRoles(chain);
      if (derived.length > 0) meta.effectiveDerivedRoles = derived;
    }
    this.pairPrincipal = null;
    this.pairResourceRef = null;
    this.pairResource = null;
    this.outputs = null;
    const decision: Decision = meta ? { actions, meta } : { actions };
    if (outputs !== null && outputs.length > 0) decision.outputs = outputs;
    return decision;
  }

  /** Whether `action` is allowed; leaves where it was decided in mPolicy/mScope. */
  private decideAction(chain: Chain, action: string, roles: string[]): boolean {
    const levels = chain.resourceLevels;
    this.mPolicy = levels.length > 0 ? levels[0]!.name : NO_MATCH;
    this.mScope = '';
    if (chain.principalLevels.length > 0) {
      const outcome = this.principalOutcome(chain.principalLevels, chain.kind, action);
      if (outcome !== NONE) return outcome === ALLOWED;
      this.mPolicy = levels.length > 0 ? levels[0]!.name : NO_MATCH;
      this.mScope = '';
    }
    if (levels.length === 0) return false;
    const levelRules = this.levelRules;
    for (let i = 0; i < levels.length; i++) levelRules[i] = rulesForAction(levels[i]!, action);
    let deniedPolicy = '';
    let deniedScope = '';
    for (let r = 0; r < roles.length; r++) {
      const outcome = this.roleOutcome(chain, roles[r]!, action);
      if (outcome === ALLOWED) return true;
      if (outcome === DENIED && deniedPolicy === '') {
        deniedPolicy = this.mPolicy;
        deniedScope = this.mScope;
      }
    }
    this.mPolicy = deniedPolicy === '' ? levels[0]!.name : deniedPolicy;
    this.mScope = deniedPolicy === '' ? '' : deniedScope;
    return false;
  }

  /**
   * The short path of decideAction for a chain of one resource policy and nothing else (the common
   * case): per role, a true DENY rule denies that role, else a true ALLOW rule allows the action.
   */
  private decideSimple(policy: CompiledResourcePolicy, action: string, roles: string[]): boolean {
    this.mPolicy = policy.name;
    this.mScope = '';
    if (this.deepest < 0) this.deepest = 0;
    const rules = rulesForAction(policy, action);
    if (rules.deny.length === 0 && rules.allow.length === 0) return false;
    for (let r = 0; r < roles.length; r++) {
      const forRole = rulesForRole(rules, roles[r]!);
      const deny = forRole.deny;
      let denied = false;
      for (let i = 0; i < deny.length && !denied; i++) {
        const c = deny[i]!;
        denied = this.applies(c) && this.ruleTrue(c.rule);
      }
      if (denied) {
        this.mScope = policy.policyScope;
        continue;
      }
      const allow = forRole.allow;
      for (let i = 0; i < allow.length; i++) {
        const c = allow[i]!;
        if (this.applies(c) && this.ruleTrue(c.rule)) {
          this.mScope = policy.policyScope;
          return true;
        }
      }
    }
    return false;
  }

  /** Principal policies, most specific scope first, with Cerbos's scope-permission rules. */
  private principalOutcome(levels: CompiledPrincipalPolicy[], kind: string, action: string): Outcome {
    const last = levels.length - 1;
    for (let i = 0; i <= last; i++) {
      const level = levels[i]!;
      const rules = level.rules;
      let allow = false;
      let unmetAllow = false;
      let denied = false;
      for (let j = 0; j < rules.length; j++) {
        const rule = rules[j]!;
        if (!rule.action.test(action) || !rule.resource.test(kind)) continue;
        const met = rule.condition === null || this.slotTrue(rule.slot, rule.condition);
        if (this.outputs !== null && rule.outputs.length > 0) this.emit(level.name, rule.name, rule.outputs, met);
        if (rule.effect === DENY) {
          if (met) {
            denied = true;
            if (this.outputs === null) break;
          }
        } else if (met) allow = true;
        else unmetAllow = true;
      }
      if (denied) return this.decided(this.principalMetaName(), level.policyScope, DENIED);
      if (level.consent && i < last) {
        // parental consent: an unmet ALLOW rule denies, a met one defers to the parent scopes
        if (unmetAllow) return this.decided(this.principalMetaName(), level.policyScope, DENIED);
      } else if (allow) return this.decided(this.principalMetaName(), level.policyScope, ALLOWED);
    }
    return NONE;
  }

  /**
   * One of the principal's roles, down the resource scope chain (as Cerbos 0.55 decides; see
   * buildChain for when a role policy gates a role at a scope). Where a policy gates the role, it
   * must list the action, else DENY. When the requested scope's policy covers this kind, the role
   * and its parent roles decide from there on, together as one group, and the role policies of
   * those custom roles at later scopes must list the action too; otherwise the role decides as a
   * plain role (with its parents when the requested scope's policy neither covers nor gates).
   */
  private roleOutcome(chain: Chain, role: string, action: string): Outcome {
    const levels = chain.resourceLevels;
    const last = levels.length - 1;
    this.single[0] = role;
    let group = chain.inheritedRoles.size > 0 ? (chain.inheritedRoles.get(role) ?? this.single) : this.single;
    let customs: string[] | null = null;
    for (let i = 0; i <= last; i++) {
      // a scope whose role policy decides the role counts for effectiveDerivedRoles too
      if (i > this.deepest) this.deepest = i;
      const rolesAt = chain.roleLevels[i];
      if (rolesAt !== undefined) {
        if (customs === null) {
          const at = rolesAt.get(role);
          if (at !== undefined) {
            if (i === 0 && at.covers) {
              // the custom role keeps its own name beside its parents'
              const parents: string[] = [role];
              customs = [];
              if (!this.collectParents(chain, rolesAt, at.policy, action, parents, customs, 0)) return DENIED;
              group = parents;
            } else if (at.gates) {
              if (!this.rolePolicyLists(chain, at.policy, action)) return this.decided(at.policy.name, at.policy.policyScope, DENIED);
            } else if (i === 0) group = [role, ...at.policy.parentRoles];
          }
        } else {
          for (const custom of customs) {
            const at = rolesAt.get(custom);
            if (at !== undefined && at.gates && !this.rolePolicyLists(chain, at.policy, action)) return this.decided(at.policy.name, at.policy.policyScope, DENIED);
          }
        }
      }
      const outcome = this.levelOutcome(chain, i, group);
      if (outcome !== NONE) return outcome;
    }
    return NONE;
  }

  /**
   * Adds the plain roles `policy` decides through (its parents; a custom parent through its own
   * parents) to `group` and the custom roles passed to `customs`. False when `policy` does not list
   * the action (mPolicy/mScope name it).
   */
  private collectParents(
    chain: Chain,
    rolesAt: Map<string, RoleAt>,
    policy: CompiledRolePolicy,
    action: string,
    group: string[],
    customs: string[],
    depth: number,
  ): boolean {
    if (!this.rolePolicyLists(chain, policy, action) || depth >= MAX_ROLE_DEPTH) {
      this.decided(policy.name, policy.policyScope, DENIED);
      return false;
    }
    customs.push(policy.role);
    for (const parent of policy.parentRoles) {
      const custom = rolesAt.get(parent);
      if (custom === undefined || !custom.covers) {
        if (!group.includes(parent)) group.push(parent);
      } else if (!customs.includes(parent) && !this.collectParents(chain, rolesAt, custom.policy, action, group, customs, depth + 1) && policy.parentRoles.length === 1) return false;
    }
    return true;
  }

  /** A role policy allows the action when a rule names it and no rule that names it has a false condition. */
  private rolePolicyLists(chain: Chain, policy: CompiledRolePolicy, action: string): boolean {
    const rules = policy.rules;
    let listed = false;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!rule.resource.test(chain.kind)) continue;
      let named = false;
      for (let k = 0; k < rule.actions.length && !named; k++) named = rule.actions[k]!.test(action);
      if (!named) continue;
      if (rule.condition !== null && !this.slotTrue(rule.slot, rule.condition)) return false;
      listed = true;
    }
    return listed;
  }

  /** A group of roles at one scope: a true DENY for any of them beats a true ALLOW (see the scope rules above). */
  private levelOutcome(chain: Chain, i: number, group: string[]): Outcome {
    const levels = chain.resourceLevels;
    const level = levels[i]!;
    const rules = this.levelRules[i]!;
    if (rules.deny.length === 0 && rules.allow.length === 0) return NONE;
    if (this.outputs !== null) return this.levelOutcomeWithOutputs(levels, i, rules, group);
    for (let g = 0; g < group.length; g++) {
      const deny = rulesForRole(rules, group[g]!).deny;
      for (let j = 0; j < deny.length; j++) {
        const c = deny[j]!;
        if (this.applies(c) && this.ruleTrue(c.rule)) return this.decided(levels[0]!.name, level.policyScope, DENIED);
      }
    }
    if (level.consent && i < levels.length - 1) {
      // parental consent: any unmet ALLOW rule of the group denies, else a met one defers to the parents
      if (this.unmetAllow(rules, group)) return this.decided(levels[0]!.name, level.policyScope, DENIED);
      return NONE;
    }
    for (let g = 0; g < group.length; g++) {
      const allow = rulesForRole(rules, group[g]!).allow;
      for (let j = 0; j < allow.length; j++) {
        const c = allow[j]!;
        if (this.applies(c) && this.ruleTrue(c.rule)) return this.decided(levels[0]!.name, level.policyScope, ALLOWED);
      }
    }
    return NONE;
  }

  /**
   * levelOutcome for chains with outputs, as Cerbos evaluates them: every rule that applies to the
   * group runs, in policy order, and its outputs are recorded (ruleActivated when its condition
   * holds, conditionNotMet when not); then the same scope rules decide.
   */
  private levelOutcomeWithOutputs(levels: CompiledResourcePolicy[], i: number, rules: ActionRules, group: string[]): Outcome {
    const level = levels[i]!;
    const applying: CompiledRule[] = [];
    for (let g = 0; g < group.length; g++) {
      const forRole = rulesForRole(rules, group[g]!);
      for (const list of [forRole.deny, forRole.allow]) {
        for (const c of list) if (!applying.includes(c.rule) && this.applies(c)) applying.push(c.rule);
      }
    }
    applying.sort((a, b) => a.slot - b.slot);
    let denied = false;
    let allowed = false;
    let unmetAllow = false;
    for (const rule of applying) {
      const met = this.ruleTrue(rule);
      if (rule.outputs.length > 0) this.emit(rule.policyName, rule.name, rule.outputs, met);
      if (rule.effect === DENY) denied ||= met;
      else if (met) allowed = true;
      else unmetAllow = true;
    }
    if (denied) return this.decided(levels[0]!.name, level.policyScope, DENIED);
    if (level.consent && i < levels.length - 1) return unmetAllow ? this.decided(levels[0]!.name, level.policyScope, DENIED) : NONE;
    return allowed ? this.decided(levels[0]!.name, level.policyScope, ALLOWED) : NONE;
  }

  /** Records a rule's outputs for the action being decided (an output that fails to evaluate is left out). */
  private emit(policyName: string, ruleName: string, outputs: CompiledOutput[], met: boolean): void {
    const when = met ? 'ruleActivated' : 'conditionNotMet';
    for (const o of outputs) {
      if (o.when !== when) continue;
      const act = this.activation(o.expr.scope);
      let value: unknown;
      try {
        value = this.run(o.expr, act);
      } catch {
        continue;
      }
      this.outputs!.push({ src: `${policyName}#${ruleName}`, val: outputJson(value), action: this.outputAction });
    }
  }

  /** Whether an ALLOW rule that applies to the group (directly, or through an active derived role) has a false condition. */
  private unmetAllow(rules: ActionRules, group: string[]): boolean {
    for (let g = 0; g < group.length; g++) {
      const allow = rulesForRole(rules, group[g]!).allow;
      for (let j = 0; j < allow.length; j++) {
        const c = allow[j]!;
        if (this.applies(c) && !this.ruleTrue(c.rule)) return true;
      }
    }
    return false;
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

  private decided(policy: string, scope: string, outcome: Outcome): Outcome {
    this.mPolicy = policy;
    this.mScope = scope;
    return outcome;
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

  /**
   * The activation for `scope` in the current pair. Outside traceCheck (whose trace keeps every
   * activation) one object per scope is reused from pair to pair: checks are synchronous and
   * nothing a check returns refers to it (outputs are copied by outputJson).
   */
  private activation(scope: Scope): Activation {
    for (let i = 0; i < this.actCount; i++) if (this.actScopes[i] === scope) return this.acts[i]!;
    const tracing = this.probe !== null && this.probe.trace !== null;
    if (this.pairResource === null) this.pairResource = tracing ? resourceValue(this.pairResourceRef!) : fillResourceValue(this.rvPooled, this.pairResourceRef!);
    const runtime = scope.readsRuntime ? { effectiveDerivedRoles: this.effectiveDerivedRoles(scope) } : undefined;
    // effectiveDerivedRoles may have evaluated in this scope already
    for (let i = 0; i < this.actCount; i++) if (this.actScopes[i] === scope) return this.acts[i]!;
    let act: Activation;
    if (tracing) act = newActivation(scope, this.pairPrincipal, this.pairResource, this.aux, this.globals, runtime);
    else {
      const pooled = this.pooledActs.get(scope);
      if (pooled === undefined) {
        act = newActivation(scope, this.pairPrincipal, this.pairResource, this.aux, this.globals, runtime);
        const bound = bindActivation(act);
        if (bound !== null) act[BOUND_CONTEXT] = bound;
        this.pooledActs.set(scope, act);
      } else act = resetActivation(pooled, this.pairPrincipal, this.pairResource, this.aux, runtime);
    }
    this.actScopes[this.actCount] = scope;
    this.acts[this.actCount] = act;
    this.actCount++;
    return act;
  }

  private principalMetaName(): string {
    return this.mPrincipal === null ? NO_MATCH : principalPolicyMetaName(this.mPrincipal);
  }

  /**
   * includeMeta's effectiveDerivedRoles: active derived roles of the resource policies at the scopes
   * the check reached (0..deepest), sorted, for the roles metaRoles gives.
   */
  private metaDerivedRoles(chain: Chain): string[] {
    const names = new Set<string>();
    const own = this.pairRoles;
    this.pairRoles = metaRoles(chain, own);
    try {
      for (let i = 0; i <= this.deepest && i < chain.resourceLevels.length; i++) for (const name of this.effectiveDerivedRoles(chain.resourceLevels[i]!.scope)) names.add(name);
    } finally {
      this.pairRoles = own;
    }
    return [...names].sort();
  }

  /** Names of the derived roles the scope's policy imports that are active for this pair. */
  private effectiveDerivedRoles(scope: Scope): string[] {
    const out: string[] = [];
    const roles = this.pairRoles;
    for (const d of scope.derivedRoles) {
      let parent = d.anyParent;
      for (let i = 0; i < roles.length && !parent; i++) parent = d.parentRoles.has(roles[i]!);
      if (parent && this.derivedActive(d) && !out.includes(d.name)) out.push(d.name);
    }
    return out;
  }

  private evalCondition(expr: CompiledExpr): boolean {
    const act = this.activation(expr.scope);
    const deps = expr.varDeps;
    for (let i = 0; i < deps.length; i++) {
      const v = deps[i]!;
      // computed values are never undefined; a failed variable stays unset (and is retried)
      if (v.inheritedName ? Object.prototype.hasOwnProperty.call(act.V, v.name) && act.V[v.name] !== undefined : act.V[v.name] !== undefined) continue;
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
    const bound = act[BOUND_CONTEXT];
    if (probe === null) return bound === undefined ? expr.program(act) : runBound(expr.program, bound);
    const t = now();
    let result: unknown;
    let error: unknown;
    let failed = false;
    try {
      result = bound === undefined ? expr.program(act) : runBound(expr.program, bound);
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

/** Schema enforcement `reject` with validation errors: every action denied, nothing evaluated. */
function rejected(entry: ResourceEntry): Decision {
  const actions: Record<string, Effect> = {};
  for (const action of entry.actions) setAction(actions, action, 'EFFECT_DENY');
  return { actions };
}

/**
 * Freezes what a cached decision shares with every response it answers (actions, meta, outputs),
 * so no caller can change the answer later callers get.
 */
function freezeDecision(decision: Decision): Decision {
  Object.freeze(decision.actions);
  const meta = decision.meta;
  if (meta !== undefined) {
    for (const k in meta.actions) Object.freeze(meta.actions[k]);
    Object.freeze(meta.actions);
    if (meta.effectiveDerivedRoles !== undefined) Object.freeze(meta.effectiveDerivedRoles);
    Object.freeze(meta);
  }
  if (decision.outputs !== undefined) deepFreeze(decision.outputs);
  return decision;
}

function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
}

/**
 * The result for a decision the cache holds: the first one built is frozen, kept, and returned
 * again to requests naming the same resource (id, kind, version, scope). A decision may cover other
 * resources too (its key need not read the id; a condition-free one covers a whole kind): they get
 * a result of their own around the shared, frozen actions.
 */
function sharedResult(entry: ResourceEntry, decision: Decision): ResourceResult {
  const res = entry.resource;
  const first = decision.result;
  if (first !== undefined) {
    const r = first.resource;
    if (r.id === res.id && r.kind === res.kind && r.policyVersion === res.policyVersion && r.scope === res.scope) return first;
    return buildResult(entry, decision);
  }
  const out = buildResult(entry, decision);
  Object.freeze(out.resource);
  decision.result = Object.freeze(out);
  return out;
}

function buildResult(entry: ResourceEntry, decision: Decision): ResourceResult {
  const res = entry.resource;
  const out: ResourceResult = {
    resource: res.policyVersion === undefined ? { id: res.id, kind: res.kind } : { id: res.id, kind: res.kind, policyVersion: res.policyVersion },
    actions: decision.actions,
  };
  if (res.scope !== undefined) out.resource.scope = res.scope;
  if (decision.meta !== undefined) out.meta = decision.meta;
  if (decision.outputs !== undefined) out.outputs = decision.outputs;
  return out;
}

/** A CEL value as JSON, as Cerbos writes outputs: ints as numbers, timestamps as RFC 3339 text. */
function outputJson(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(outputJson);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), outputJson(x)]));
  if (v !== null && typeof v === 'object') {
    const d = v as { seconds?: unknown; nanos?: unknown };
    if (v.constructor !== Object && typeof d.seconds === 'number' && typeof d.nanos === 'number') return `${d.seconds + d.nanos / 1e9}s`;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, outputJson(x)]));
  }
  return v;
}
