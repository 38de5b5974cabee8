/**
 * The decision cache: a Map keyed by a 30-bit hash of what the policy reads, with a TTL on the
 * engine clock, bounded by entry count and by estimated bytes; eviction is second-chance FIFO (an
 * entry hit since it was stored moves to the back once), which approximates LRU without moving
 * anything on a hit (lru-cache, which this replaced, relinks the entry on every get: side by side on
 * abac-cel its cached check took 2.1 µs against 1.4–1.8 µs with this table). A hit costs no allocation: the request's values are read into scratch arrays,
 * hashed, and compared with the snapshot stored in the entry (decision-key.ts). When the recent hit
 * rate is too low for the cache to pay, it is bypassed (AdaptiveBypass) except for a fixed sample
 * of keys that keeps measuring the hit rate.
 */
import {
  HASH_SEED,
  UNCACHEABLE,
  attrShape,
  materialBytes,
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
  /** bound on the estimated bytes of all entries (default DEFAULT_CACHE_MAX_BYTES) */
  maxBytes?: number;
  /** adaptive bypass settings; false keeps the cache on whatever its hit rate */
  bypass?: Partial<BypassOptions> | false;
  /**
   * Checks that may reuse one clock read for the TTL test, within one synchronous run of code (a
   * read is forgotten at the next microtask, and every miss reads the clock afresh). Default 0:
   * every check that meets an entry reads the clock. The engine sets it for its default clock,
   * where a read costs about as much as a whole cache hit.
   */
  clockReuse?: number;
}

export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;
/** An entry may take at most this share of maxBytes; larger key material is not cached at all. */
export const MAX_ENTRY_SHARE = 1 / 256;
/** Fixed bytes per entry beside its key material: the entry object, arrays, Map slot. */
const ENTRY_OVERHEAD_BYTES = 240;

export interface BypassOptions {
  /** lookups per measuring window while the cache is on */
  window: number;
  /** hit rate of a window below which the cache is bypassed */
  offBelow: number;
  /** hit rate of the sampled keys at or above which the cache is used again */
  onAtOrAbove: number;
  /** while bypassed, 1 key in `sample` (by hash) still uses the cache, to keep measuring */
  sample: number;
}

export const DEFAULT_BYPASS: BypassOptions = { window: 4096, offBelow: 0.1, onAtOrAbove: 0.2, sample: 16 };

/** hashFor's answer for an entry decided without the cache because of the bypass. */
const BYPASSED = -2;

/**
 * Turns the cache off while its hit rate is low: a miss costs reading, snapshotting and storing
 * the key material, which only pays when enough lookups hit. While off, the keys whose hash falls
 * in the sample still go through the cache, so a stream that starts repeating is noticed.
 */
class AdaptiveBypass {
  bypassing = false;
  private hits = 0;
  private lookups = 0;
  private readonly mask: number;
  constructor(private readonly o: BypassOptions) {
    // a power of two, so sampling is a mask of the hash
    let m = 1;
    while (m < o.sample) m <<= 1;
    this.mask = m - 1;
  }

  /** Whether this hash is one of the sampled keys (used while bypassing). */
  sampled(hash: number): boolean {
    return (hash & this.mask) === 0;
  }

  record(hit: boolean): void {
    if (hit) this.hits++;
    // while bypassing only sampled keys are counted, so the window is shorter by the sample factor
    const window = this.bypassing ? Math.max(1, Math.ceil(this.o.window / (this.mask + 1))) : this.o.window;
    if (++this.lookups < window) return;
    const rate = this.hits / this.lookups;
    this.bypassing = this.bypassing ? rate < this.o.onAtOrAbove : rate < this.o.offBelow;
    this.hits = 0;
    this.lookups = 0;
  }
}

/** A principal's key material, shared by the entries stored during one check. */
interface PrincipalSnapshot {
  /** empty under an exact key */
  roles: string[];
  id: string | undefined;
  shape: number;
  values: unknown[];
}

interface Entry<V> {
  hash: number;
  key: PolicyKey;
  meta: boolean;
  principal: PrincipalSnapshot;
  /** empty under an exact key */
  actions: string[];
  resourceId: string | undefined;
  resourceShape: number;
  resourceValues: unknown[];
  value: V;
  /** engine-clock ms; Infinity without a TTL */
  expiresAt: number;
  /** hit since it was stored or last passed over by eviction */
  used: boolean;
  /** estimated size (key material + overhead), what the byte bound counts */
  bytes: number;
}

/** What an exact key's entries keep for roles and actions: the key stands for them. */
const NO_NAMES: string[] = [];

/**
 * Identifies the current check across every engine in the process (checks never interleave). A
 * plain count that never wraps (it would take centuries to pass 2^53): the per-key memos compare
 * it for equality, and a wrapped count could meet a memo left by a check 2^30 checks earlier.
 */
let checkGen = 0;

export class DecisionCache<V> {
  hits = 0;
  misses = 0;
  /** entries decided without the cache while bypassing */
  bypassed = 0;
  readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private readonly bypass: AdaptiveBypass | null;
  private readonly table = new Map<number, Entry<V>>();
  /** entries in eviction order from `head` (some may have left the table already) */
  private order: Array<Entry<V>> = [];
  private head = 0;
  private heldBytes = 0;
  /** decisions of condition-free keys (pure RBAC): a function of the key itself, never stale */
  private readonly fixed = new Map<PolicyKey, V>();
  private readonly fixedMeta = new Map<PolicyKey, V>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;
  private gen = 0;
  private nowMs = -1;
  private readonly clockReuse: number;
  /** the last clock read this synchronous run (-1: none), and how many checks have reused it */
  private lastRead = -1;
  private readUses = 0;
  private forgetQueued = false;
  private readonly forgetRead = (): void => {
    this.lastRead = -1;
    this.forgetQueued = false;
  };
  private rolesHash = 0;
  // the current check's principal: shape, and its id's hash (computed on first use)
  private principalShape = 0;
  private principalIdHash = 0;
  private principalIdHashed = false;
  private cleanPrototype = true;
  // what the last hashFor() read: valid until the next hashFor()
  private key: PolicyKey | null = null;
  private resourceValues: unknown[] = [];
  private resourceShape = 0;

  constructor(options: CacheOptions, clock: () => number) {
    this.maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES);
    this.maxEntryBytes = Math.max(ENTRY_OVERHEAD_BYTES, Math.floor(this.maxBytes * MAX_ENTRY_SHARE));
    this.bypass = options.bypass === false ? null : new AdaptiveBypass({ ...DEFAULT_BYPASS, ...options.bypass });
    this.ttlMs = options.ttlMs;
    this.maxEntries = Math.max(1, options.maxEntries);
    this.clock = clock;
    this.clockReuse = Math.max(0, Math.floor(options.clockReuse ?? 0));
  }

  get size(): number {
    return this.table.size + this.fixed.size + this.fixedMeta.size;
  }

  /** estimated bytes of the entries (condition-free decisions are a few per policy and not counted) */
  get bytes(): number {
    return this.heldBytes;
  }

  /** whether the adaptive bypass is on (the recent hit rate was too low) */
  get bypassing(): boolean {
    return this.bypass?.bypassing === true;
  }

  clear(): void {
    this.table.clear();
    this.order = [];
    this.head = 0;
    this.heldBytes = 0;
    this.fixed.clear();
    this.fixedMeta.clear();
  }

  /** Call once per check, before the first hashFor (memos and the clock read are per check). */
  begin(principal: Principal): void {
    this.gen = ++checkGen;
    this.nowMs = -1;
    this.rolesHash = mixStrings(0, principal.roles);
    this.cleanPrototype = prototypeIsClean();
    this.principalShape = attrShape(principal.attr);
    this.principalIdHashed = false;
  }

  /**
   * The hash of one resource entry's key, with the values it covers read into scratch, or -1 when
   * the request holds values the cache does not key on.
   */
  hashFor(policy: { readonly keys: KeyVariants }, principal: Principal, entry: ResourceEntry, meta: boolean): number {
    // with a polluted Object.prototype, plain reads are not own reads: no caching
    if (!this.cleanPrototype) return -1;
    const variants = policy.keys;
    const key = variants.find(principal.roles, entry.actions, this.rolesHash, this.gen);
    this.key = key;
    if (key.conditionFree) return 0;
    let h = key.exact ? key.id : mixStrings(mixInt(this.rolesHash, variants.seed), entry.actions);
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
    const hash = finish(h);
    const bypass = this.bypass;
    return bypass !== null && bypass.bypassing && !bypass.sampled(hash) ? BYPASSED : hash;
  }

  /** The cached value for the entry hashFor() just read, counting a hit or a miss. */
  lookup(hash: number, principal: Principal, entry: ResourceEntry, meta: boolean): V | undefined {
    if (hash === BYPASSED) {
      this.bypassed++;
      return undefined;
    }
    if (hash >= 0 && this.key!.conditionFree) {
      const v = (meta ? this.fixedMeta : this.fixed).get(this.key!);
      if (v !== undefined) {
        this.hits++;
        return v;
      }
    } else if (hash >= 0) {
      const e = this.table.get(hash);
      const key = this.key!;
      if (
        e !== undefined &&
        e.key === key &&
        e.meta === meta &&
        e.resourceShape === this.resourceShape &&
        (key.exact || sameStrings(e.actions, entry.actions)) &&
        (!key.resourceId || e.resourceId === entry.resource.id) &&
        this.resourceMatches(e.resourceValues, key.resourceCount) &&
        principalMatches(key, e.principal, principal)
      ) {
        if (this.now() < e.expiresAt) {
          this.hits++;
          e.used = true;
          this.bypass?.record(true);
          return e.value;
        }
        this.remove(hash, e);
      }
      this.bypass?.record(false);
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
    const count = key.resourceCount;
    // too large to be worth holding: measured on the live values, before anything is copied
    let bytes = ENTRY_OVERHEAD_BYTES + (key.principalId ? principal.id.length : 0) + (key.resourceId ? entry.resource.id.length : 0);
    for (let i = 0; i < count && bytes <= this.maxEntryBytes; i++) bytes += materialBytes(this.resourceValues[i], this.maxEntryBytes - bytes);
    if (ps.bytes < 0) {
      // once per check: the principal's material is the same for all its entries
      let pb = 0;
      for (let i = 0; i < key.principalCount && pb <= this.maxEntryBytes; i++) pb += materialBytes(ps.values[i], this.maxEntryBytes - pb);
      ps.bytes = pb;
    }
    bytes += ps.bytes;
    if (bytes > this.maxEntryBytes) return;
    if (ps.snap === null) ps.snap = principalSnapshot(key, principal);
    if (ps.snap === UNCACHEABLE) return;
    const resourceValues = new Array<unknown>(count);
    for (let i = 0; i < count; i++) {
      const s = snapshot(this.resourceValues[i]);
      if (s === UNCACHEABLE) return;
      resourceValues[i] = s;
    }
    const t = this.readClock();
    let expiresAt = this.ttlMs > 0 ? t + this.ttlMs : Infinity;
    // a decision that read now() may change with the time: keep it until the next whole second
    if (timeDependent) expiresAt = Math.min(expiresAt, Math.floor(t / 1000) * 1000 + 1000);
    const old = this.table.get(hash);
    if (old !== undefined) this.remove(hash, old);
    while (this.table.size > 0 && (this.table.size >= this.maxEntries || this.heldBytes + bytes > this.maxBytes)) if (!this.evictOne()) break;
    this.heldBytes += bytes;
    const stored: Entry<V> = {
      hash,
      key,
      meta,
      principal: ps.snap as PrincipalSnapshot,
      actions: key.exact ? NO_NAMES : entry.actions.slice(),
      resourceId: key.resourceId ? entry.resource.id : undefined,
      resourceShape: this.resourceShape,
      resourceValues,
      value,
      expiresAt,
      used: false,
      bytes,
    };
    this.table.set(hash, stored);
    this.enqueue(stored);
  }

  private remove(hash: number, e: Entry<V>): void {
    this.table.delete(hash);
    this.heldBytes -= e.bytes;
  }

  private enqueue(e: Entry<V>): void {
    this.order.push(e);
    // entries removed out of turn (expired, replaced) stay queued until passed: compact when they pile up
    if (this.order.length - this.head > 2 * this.table.size + 64) {
      const live: Array<Entry<V>> = [];
      for (let i = this.head; i < this.order.length; i++) {
        const x = this.order[i]!;
        if (this.table.get(x.hash) === x) live.push(x);
      }
      this.order = live;
      this.head = 0;
    }
  }

  /**
   * Evicts the oldest entry not hit since it was stored or last spared; a hit one goes to the back
   * of the queue (at most 8 per call). The queue is an array with a moving head, not the Map's own
   * order: iterating a Map from its start walks every slot freed since its last rehash.
   */
  private evictOne(): boolean {
    let spared = 0;
    while (this.head < this.order.length) {
      const e = this.order[this.head]!;
      this.order[this.head] = undefined as unknown as Entry<V>;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.order.length) {
        this.order = this.order.slice(this.head);
        this.head = 0;
      }
      if (this.table.get(e.hash) !== e) continue; // removed already
      if (e.used && spared < 8) {
        e.used = false;
        this.order.push(e);
        spared++;
        continue;
      }
      this.remove(e.hash, e);
      return true;
    }
    return false;
  }

  /** The time for this check's TTL tests: read once per check, or reused within one synchronous run (clockReuse). */
  private now(): number {
    if (this.nowMs >= 0) return this.nowMs;
    if (this.lastRead >= 0 && this.readUses < this.clockReuse) {
      this.readUses++;
      this.nowMs = this.lastRead;
    } else this.nowMs = this.readClock();
    return this.nowMs;
  }

  private readClock(): number {
    const t = this.clock();
    if (this.clockReuse > 0) {
      this.lastRead = t;
      this.readUses = 0;
      if (!this.forgetQueued) {
        this.forgetQueued = true;
        queueMicrotask(this.forgetRead);
      }
    }
    return t;
  }

  /** The key's principal values and partial hash for this check (computed on first use). */
  private principalState(key: PolicyKey, principal: Principal): PrincipalState {
    const ps = key.principal;
    if (ps.gen === this.gen) return ps;
    ps.gen = this.gen;
    ps.snap = null;
    ps.verified = null;
    ps.bytes = -1;
    const attr: unknown = principal.attr;
    ps.shape = this.principalShape;
    let h = 0;
    if (key.principalId) {
      if (!this.principalIdHashed) {
        this.principalIdHash = mixString(0, principal.id);
        this.principalIdHashed = true;
      }
      h = this.principalIdHash;
    }
    h = mixInt(h, ps.shape);
    const vals = ps.values;
    const slots = key.principalSlots;
    const gen = this.gen;
    if (key.principalWhole) vals[0] = attr;
    else if (ps.shape >= 0) key.readPrincipal(attr as object | undefined, vals, 0);
    if (ps.shape >= 0) {
      // each attribute's value is hashed once per check, whichever keys read it
      for (let i = 0; i < key.principalCount; i++) {
        const slot = slots[i]!;
        if (slot.gen !== gen) {
          resetHashBudget();
          slot.hash = mixValue(HASH_SEED, vals[i], 0);
          slot.gen = gen;
        }
        h = mixInt(h, slot.hash);
      }
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
  return { roles: key.exact ? NO_NAMES : principal.roles.slice(), id: key.principalId ? principal.id : undefined, shape: ps.shape, values };
}

/** Whether a stored principal snapshot is this check's principal (remembered for the rest of the check). */
function principalMatches(key: PolicyKey, snap: PrincipalSnapshot, principal: Principal): boolean {
  const ps = key.principal;
  if (snap === ps.verified || snap === ps.snap) return true;
  if (snap.shape !== ps.shape || (!key.exact && !sameStrings(snap.roles, principal.roles))) return false;
  if (key.principalId && snap.id !== principal.id) return false;
  const vals = ps.values;
  for (let i = 0; i < key.principalCount; i++) if (!matches(snap.values[i], vals[i])) return false;
  ps.verified = snap;
  ps.snap ??= snap; // later stores in this check share it
  return true;
}
