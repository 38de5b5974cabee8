/**
 * The decision cache: LRU (lru-cache, keyed by a 30-bit hash of what the policy reads) with a TTL
 * on the engine clock. A hit costs no allocation: the request's values are read into scratch arrays,
 * hashed, and compared with the snapshot stored in the entry (decision-key.ts).
 */
import { LRUCache } from 'lru-cache';
import {
  UNCACHEABLE,
  attrShape,
  finish,
  matches,
  mixInt,
  mixString,
  mixStrings,
  mixValue,
  prototypeIsClean,
  resetHashBudget,
  sameStrings,
  snapshot,
  type PolicyKey,
  type PrincipalState,
} from './decision-key.js';
import type { KeyVariants } from './decision-key.js';
import type { Principal, ResourceEntry } from './types.js';

export interface CacheOptions {
  maxEntries: number;
  ttlMs: number;
}

/** A principal's key material, shared by the entries stored during one check. */
interface PrincipalSnapshot {
  roles: string[];
  id: string | undefined;
  shape: number;
  values: unknown[];
}

interface Entry<V> {
  key: PolicyKey;
  meta: boolean;
  principal: PrincipalSnapshot;
  actions: string[];
  resourceId: string | undefined;
  resourceShape: number;
  resourceValues: unknown[];
  value: V;
  /** engine-clock ms; Infinity without a TTL */
  expiresAt: number;
}

/** Identifies the current check across every engine in the process (checks never interleave). */
let checkGen = 0;

export class DecisionCache<V> {
  hits = 0;
  misses = 0;
  private readonly lru: LRUCache<number, Entry<V>>;
  /** decisions of condition-free keys (pure RBAC): a function of the key itself, never stale */
  private readonly fixed = new Map<PolicyKey, V>();
  private readonly fixedMeta = new Map<PolicyKey, V>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;
  private gen = 0;
  private nowMs = -1;
  private rolesHash = 0;
  private cleanPrototype = true;
  // what the last hashFor() read: valid until the next hashFor()
  private key: PolicyKey | null = null;
  private resourceValues: unknown[] = [];
  private resourceShape = 0;

  constructor(options: CacheOptions, clock: () => number) {
    this.lru = new LRUCache<number, Entry<V>>({ max: Math.max(1, options.maxEntries) });
    this.ttlMs = options.ttlMs;
    this.maxEntries = Math.max(1, options.maxEntries);
    this.clock = clock;
  }

  get size(): number {
    return this.lru.size + this.fixed.size + this.fixedMeta.size;
  }

  clear(): void {
    this.lru.clear();
    this.fixed.clear();
    this.fixedMeta.clear();
  }

  /** Call once per check, before the first hashFor (memos and the clock read are per check). */
  begin(principal: Principal): void {
    this.gen = checkGen = checkGen >= 0x3fffffff ? 1 : checkGen + 1;
    this.nowMs = -1;
    this.rolesHash = mixStrings(0, principal.roles);
    this.cleanPrototype = prototypeIsClean();
  }

  /**
   * The hash of one resource entry's key, with the values it covers read into scratch, or -1 when
   * the request holds values the cache does not key on.
   */
  hashFor(policy: { readonly keys: KeyVariants }, principal: Principal, entry: ResourceEntry, meta: boolean): number {
    // with a polluted Object.prototype, plain reads are not own reads: no caching
    if (!this.cleanPrototype) return -1;
    const variants = policy.keys;
    let h = mixStrings(mixInt(this.rolesHash, variants.seed), entry.actions);
    const key = variants.get(h, principal.roles, entry.actions);
    this.key = key;
    if (key.conditionFree) return 0;
    const ps = this.principalState(key, principal);
    if (ps.shape < 0) return -1;
    h = mixInt(mixInt(h, ps.hash), meta ? 1 : 0);
    const res = entry.resource;
    if (key.resourceId) h = mixString(h, res.id);
    const attr: unknown = res.attr;
    const shape = attrShape(attr);
    if (shape < 0) return -1;
    h = mixInt(h, shape);
    const count = key.resourceCount;
    if (this.resourceValues.length < count) this.resourceValues = new Array<unknown>(count).fill(undefined);
    const vals = this.resourceValues;
    resetHashBudget();
    if (key.resourceWhole) {
      vals[0] = attr;
      h = mixValue(h, attr, 0);
    } else {
      key.readResource(attr as object | undefined, vals, 0);
      for (let i = 0; i < count; i++) h = mixValue(h, vals[i], 0);
    }
    this.resourceShape = shape;
    return finish(h);
  }

  /** The cached value for the entry hashFor() just read, counting a hit or a miss. */
  lookup(hash: number, principal: Principal, entry: ResourceEntry, meta: boolean): V | undefined {
    if (hash >= 0 && this.key!.conditionFree) {
      const v = (meta ? this.fixedMeta : this.fixed).get(this.key!);
      if (v !== undefined) {
        this.hits++;
        return v;
      }
    } else if (hash >= 0) {
      const e = this.lru.get(hash);
      const key = this.key!;
      if (
        e !== undefined &&
        e.key === key &&
        e.meta === meta &&
        e.resourceShape === this.resourceShape &&
        this.now() < e.expiresAt &&
        sameStrings(e.actions, entry.actions) &&
        (!key.resourceId || e.resourceId === entry.resource.id) &&
        this.resourceMatches(e.resourceValues, key.resourceCount) &&
        principalMatches(key, e.principal, principal)
      ) {
        this.hits++;
        return e.value;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Stores `value` for the entry hashFor() just read; `timeDependent` values live until the next second. */
  store(hash: number, principal: Principal, entry: ResourceEntry, meta: boolean, value: V, timeDependent: boolean): void {
    if (hash < 0) return;
    const key = this.key!;
    if (key.conditionFree) {
      const fixed = meta ? this.fixedMeta : this.fixed;
      // bounded like the LRU (keys are bounded per policy, this bounds them per engine)
      if (fixed.size >= this.maxEntries) fixed.clear();
      fixed.set(key, value);
      return;
    }
    const ps = key.principal;
    if (ps.snap === null) ps.snap = principalSnapshot(key, principal);
    if (ps.snap === UNCACHEABLE) return;
    const count = key.resourceCount;
    const resourceValues = new Array<unknown>(count);
    for (let i = 0; i < count; i++) {
      const s = snapshot(this.resourceValues[i]);
      if (s === UNCACHEABLE) return;
      resourceValues[i] = s;
    }
    const t = this.clock();
    let expiresAt = this.ttlMs > 0 ? t + this.ttlMs : Infinity;
    // a decision that read now() may change with the time: keep it until the next whole second
    if (timeDependent) expiresAt = Math.min(expiresAt, Math.floor(t / 1000) * 1000 + 1000);
    this.lru.set(hash, {
      key,
      meta,
      principal: ps.snap as PrincipalSnapshot,
      actions: entry.actions.slice(),
      resourceId: key.resourceId ? entry.resource.id : undefined,
      resourceShape: this.resourceShape,
      resourceValues,
      value,
      expiresAt,
    });
  }

  private now(): number {
    if (this.nowMs < 0) this.nowMs = this.clock();
    return this.nowMs;
  }

  /** The key's principal values and partial hash for this check (computed on first use). */
  private principalState(key: PolicyKey, principal: Principal): PrincipalState {
    const ps = key.principal;
    if (ps.gen === this.gen) return ps;
    ps.gen = this.gen;
    ps.snap = null;
    ps.verified = null;
    const attr: unknown = principal.attr;
    ps.shape = attrShape(attr);
    let h = key.principalId ? mixString(0, principal.id) : 0;
    h = mixInt(h, ps.shape);
    const vals = ps.values;
    resetHashBudget();
    if (key.principalWhole) {
      vals[0] = attr;
      h = mixValue(h, attr, 0);
    } else if (ps.shape >= 0) {
      key.readPrincipal(attr as object | undefined, vals, 0);
      for (let i = 0; i < key.principalCount; i++) h = mixValue(h, vals[i], 0);
    }
    ps.hash = h;
    return ps;
  }

  private resourceMatches(stored: unknown[], count: number): boolean {
    const vals = this.resourceValues;
    for (let i = 0; i < count; i++) if (!matches(stored[i], vals[i])) return false;
    return true;
  }
}

function principalSnapshot(key: PolicyKey, principal: Principal): PrincipalSnapshot | typeof UNCACHEABLE {
  const ps = key.principal;
  const values = new Array<unknown>(key.principalCount);
  for (let i = 0; i < key.principalCount; i++) {
    const s = snapshot(ps.values[i]);
    if (s === UNCACHEABLE) return UNCACHEABLE;
    values[i] = s;
  }
  return { roles: principal.roles.slice(), id: key.principalId ? principal.id : undefined, shape: ps.shape, values };
}

/** Whether a stored principal snapshot is this check's principal (remembered for the rest of the check). */
function principalMatches(key: PolicyKey, snap: PrincipalSnapshot, principal: Principal): boolean {
  const ps = key.principal;
  if (snap === ps.verified || snap === ps.snap) return true;
  if (snap.shape !== ps.shape || !sameStrings(snap.roles, principal.roles)) return false;
  if (key.principalId && snap.id !== principal.id) return false;
  const vals = ps.values;
  for (let i = 0; i < key.principalCount; i++) if (!matches(snap.values[i], vals[i])) return false;
  ps.verified = snap;
  ps.snap ??= snap; // later stores in this check share it
  return true;
}
