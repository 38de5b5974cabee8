/**
 * Decision-cache keys without building strings. The principal/resource values a policy reads (its
 * KeyPlan) are read once into a scratch array, hashed to a 30-bit integer (a Map key V8 keeps as a
 * small integer, so no string is built, flattened or hashed per lookup), and compared value by value
 * with the material stored beside the entry: a hash collision can only cost a miss, never another
 * request's decision. Material is a deep snapshot, so a caller mutating its request later cannot
 * change what a cached entry matches.
 */
/** The principal/resource fields a set of decisions depends on: the decision cache key reads only these. */
export interface KeyPlan {
  principalId: boolean;
  principalAttrs: string[];
  principalWholeAttr: boolean;
  resourceId: boolean;
  resourceAttrs: string[];
  resourceWholeAttr: boolean;
  /** no condition at all can be evaluated: the decision follows from roles and actions alone */
  conditionFree: boolean;
}

/** Reads named own attributes of `attr` into `out[offset ...]` (undefined when absent). */
export type AttrReader = (attr: object | undefined, out: unknown[], offset: number) => void;

/** Returned by snapshot() for values the cache will not key on (functions, class instances, cycles). */
export const UNCACHEABLE: unique symbol = Symbol('uncacheable');

/** How deep snapshot/compare/hash descend into attribute values; deeper values are not cached. */
const MAX_DEPTH = 32;

const hasOwn = Object.prototype.hasOwnProperty;
const getProto = Object.getPrototypeOf;
const OBJECT_PROTO: unknown = Object.prototype;
const ARRAY_PROTO: unknown = Array.prototype;

function loopReader(names: readonly string[]): AttrReader {
  return (attr, out, offset) => {
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      out[offset + i] = attr !== undefined && hasOwn.call(attr, n) ? (attr as Record<string, unknown>)[n] : undefined;
    }
  };
}

/**
 * A reader for a fixed list of attribute names: generated code with constant keys (names embedded
 * as JSON string literals), several times faster than a loop of hasOwnProperty.call with variable
 * keys, which was the largest cost of a cache hit. Plain reads are own reads for plain objects as
 * long as Object.prototype holds no such name: names it holds natively (toString, __proto__, ...)
 * are always read with hasOwnProperty, and while an enumerable property has been added to it
 * (prototype pollution, see prototypeIsClean) the cache is bypassed. Where code generation is
 * disabled, the loop is used.
 */
export function attrReader(names: readonly string[]): AttrReader {
  if (names.length === 0) return () => {};
  const lines: string[] = [];
  const clears: string[] = [];
  names.forEach((n, i) => {
    const k = JSON.stringify(n);
    lines.push(n in Object.prototype ? `out[offset + ${i}] = hasOwn.call(attr, ${k}) ? attr[${k}] : undefined;` : `out[offset + ${i}] = attr[${k}];`);
    clears.push(`out[offset + ${i}] = undefined;`);
  });
  const src = `return function readAttrs(attr, out, offset) {\nif (attr === undefined) {\n${clears.join('\n')}\nreturn;\n}\n${lines.join('\n')}\n};`;
  try {
    return new Function('hasOwn', src)(hasOwn) as AttrReader;
  } catch {
    return loopReader(names);
  }
}

const PROBE: object = {};
/**
 * No enumerable property has been added to Object.prototype: plain reads and for…in over plain
 * objects then see own properties only. The cache is bypassed while this is false.
 */
export function prototypeIsClean(): boolean {
  for (const _ in PROBE) return false;
  return true;
}

/**
 * 0 no attributes, 1 a plain object, 2 a null-prototype object; anything else (a class instance,
 * a Map) is uncacheable. Part of the key because CEL tells these apart.
 */
export function attrShape(attr: unknown): number {
  if (attr === undefined) return 0;
  if (typeof attr !== 'object' || attr === null) return -1;
  const proto: unknown = getProto(attr);
  return proto === OBJECT_PROTO ? 1 : proto === null ? 2 : -1;
}

// ---- hashing (FNV-1a steps, murmur3 finaliser); only consistency matters: equal material, equal hash

const PRIME = 0x01000193;
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);

export const HASH_SEED = 0x811c9dc5 | 0;

export function mixInt(h: number, n: number): number {
  return Math.imul(h ^ n, PRIME);
}

/** A string's content hash, computed char by char (slow when strings of mixed representation reach one call site). */
function contentHash(s: string): number {
  let h = Math.imul(0x9747b28c ^ s.length, PRIME);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME);
  return h;
}

/**
 * Content hashes of recently seen strings. A Map lookup uses the hash V8 caches in the string
 * itself, so a repeated string costs one lookup whatever its length or representation (one- or
 * two-byte, thin, sliced). Bounded: cleared when full; a value is the content hash, so clearing
 * changes no key.
 */
const STRING_HASHES = new Map<string, number>();
const STRING_HASHES_MAX = 16_384;
const STRING_HASHED_MAX_LENGTH = 256;

export function stringHash(s: string): number {
  const known = STRING_HASHES.get(s);
  if (known !== undefined) return known;
  const h = contentHash(s);
  if (s.length <= STRING_HASHED_MAX_LENGTH) {
    if (STRING_HASHES.size >= STRING_HASHES_MAX) STRING_HASHES.clear();
    STRING_HASHES.set(s, h);
  }
  return h;
}

export function mixString(h: number, s: string): number {
  return Math.imul(h ^ stringHash(s), PRIME);
}

export function mixStrings(h: number, list: readonly string[]): number {
  h = Math.imul(h ^ list.length, PRIME);
  for (let i = 0; i < list.length; i++) h = mixString(h, list[i]!);
  return h;
}

function mixNumber(h: number, v: number): number {
  if ((v | 0) === v) return Math.imul(Math.imul(h ^ 2, PRIME) ^ v, PRIME);
  F64[0] = v;
  return Math.imul(Math.imul(Math.imul(h ^ 3, PRIME) ^ I32[0]!, PRIME) ^ I32[1]!, PRIME);
}

/**
 * Nested values (primitives and object keys) one side of a key (principal or resource) contributes
 * to the hash at most. The hash only spreads entries; the stored snapshot is compared in full, so
 * large lists (hundreds of column descriptors) cost a hash over their first part and their sizes,
 * not hundreds of string hashes.
 */
const HASH_BUDGET = 32;
let budget = 0;

/** Starts the nested-value budget for one side of a key. */
export function resetHashBudget(): void {
  budget = HASH_BUDGET;
}

/** Mixes one attribute value into `h` (nested values while the budget lasts). */
export function mixValue(h: number, v: unknown, depth: number): number {
  if (depth > 0 && --budget < 0) return h;
  switch (typeof v) {
    case 'string':
      return mixString(Math.imul(h ^ 1, PRIME), v);
    case 'number':
      return mixNumber(h, v);
    case 'boolean':
      return Math.imul(h ^ (v ? 4 : 5), PRIME);
    case 'undefined':
      return Math.imul(h ^ 6, PRIME);
    case 'object':
      if (v === null) return Math.imul(h ^ 7, PRIME);
      if (depth >= MAX_DEPTH) return h;
      if (Array.isArray(v)) {
        h = Math.imul(h ^ 8, PRIME);
        h = Math.imul(h ^ v.length, PRIME);
        for (let i = 0; i < v.length && budget > 0; i++) h = mixValue(h, v[i], depth + 1);
        return h;
      }
      h = Math.imul(h ^ 9, PRIME);
      for (const k in v) {
        if (budget <= 0) break;
        h = mixValue(mixString(h, k), (v as Record<string, unknown>)[k], depth + 1);
      }
      return h;
    default:
      return Math.imul(h ^ 10, PRIME);
  }
}

/** The final 30-bit key (a small integer on every V8 build). */
export function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

// ---- snapshots and comparison

/** A plain object's own keys (enumeration order) and snapshotted values. */
class ObjectSnapshot {
  constructor(
    readonly keys: string[],
    readonly values: unknown[],
    readonly nullProto: boolean,
  ) {}
}

/**
 * A deep, immutable copy of a value to key on: primitives as they are, plain arrays and objects
 * copied; UNCACHEABLE for anything whose CEL view we do not model (functions, symbols, bigints,
 * class instances, non-enumerable or symbol keys, nesting deeper than MAX_DEPTH).
 */
export function snapshot(v: unknown, depth = 0): unknown {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return v;
    case 'object': {
      if (v === null) return v;
      if (depth >= MAX_DEPTH) return UNCACHEABLE;
      const proto: unknown = getProto(v);
      if (Array.isArray(v)) {
        if (proto !== ARRAY_PROTO) return UNCACHEABLE;
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const s = snapshot(v[i], depth + 1);
          if (s === UNCACHEABLE) return UNCACHEABLE;
          out[i] = s;
        }
        return out;
      }
      if (proto !== OBJECT_PROTO && proto !== null) return UNCACHEABLE;
      const keys = Object.keys(v);
      if (Object.getOwnPropertyNames(v).length !== keys.length || Object.getOwnPropertySymbols(v).length > 0) return UNCACHEABLE;
      const values = new Array<unknown>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const s = snapshot((v as Record<string, unknown>)[keys[i]!], depth + 1);
        if (s === UNCACHEABLE) return UNCACHEABLE;
        values[i] = s;
      }
      return new ObjectSnapshot(keys, values, proto === null);
    }
    default:
      return UNCACHEABLE;
  }
}

/** Whether `v` is the value `snap` was taken from (SameValue for primitives, so 0 and -0 differ). */
export function matches(snap: unknown, v: unknown, depth = 0): boolean {
  if (snap === v) return snap !== 0 || 1 / snap === 1 / (v as number);
  if (typeof snap !== 'object' || snap === null) return snap !== snap && v !== v; // NaN
  if (typeof v !== 'object' || v === null || depth >= MAX_DEPTH) return false;
  if (Array.isArray(snap)) {
    if (!Array.isArray(v) || v.length !== snap.length || getProto(v) !== ARRAY_PROTO) return false;
    for (let i = 0; i < snap.length; i++) if (!matches(snap[i], v[i], depth + 1)) return false;
    return true;
  }
  const s = snap as ObjectSnapshot;
  const proto: unknown = getProto(v);
  if (Array.isArray(v) || (s.nullProto ? proto !== null : proto !== OBJECT_PROTO)) return false;
  // own enumerable keys (callers check prototypeIsClean); snapshots hold no non-enumerable or
  // symbol keys, and JSON never makes them, so they are not looked for on this hot path
  let i = 0;
  for (const k in v) {
    if (i >= s.keys.length || s.keys[i] !== k || !matches(s.values[i], (v as Record<string, unknown>)[k], depth + 1)) return false;
    i++;
  }
  return i === s.keys.length;
}

/**
 * Estimated heap bytes of a value's snapshot (strings at one byte a character plus a header,
 * numbers 8, objects and arrays a header plus 8 per slot), counting stops once past `limit`
 * (the result is then some value > limit): huge attributes are measured only as far as needed.
 */
export function materialBytes(v: unknown, limit: number, depth = 0): number {
  switch (typeof v) {
    case 'string':
      return 16 + v.length;
    case 'object': {
      if (v === null) return 8;
      if (depth >= MAX_DEPTH) return limit + 1;
      let bytes = 32;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length && bytes <= limit; i++) bytes += 8 + materialBytes(v[i], limit - bytes, depth + 1);
        return bytes;
      }
      for (const k in v) {
        if (bytes > limit) break;
        bytes += 16 + k.length + materialBytes((v as Record<string, unknown>)[k], limit - bytes, depth + 1);
      }
      return bytes;
    }
    default:
      return 8;
  }
}

export function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- a policy's compiled key

/**
 * One principal attribute a chain's keys read (or, for `*`, the whole attr map), with the hash of
 * its value in the current check: keys of different (roles, actions) that read the same attribute
 * hash its value once per check, not once per resource entry.
 */
export interface PrincipalSlot {
  /** the check `hash` belongs to */
  gen: number;
  hash: number;
}

/** Per key, the current check's principal values and partial hash (checks are synchronous). */
export interface PrincipalState {
  /** the check these values belong to */
  gen: number;
  hash: number;
  shape: number;
  values: unknown[];
  /** snapshot taken by this check's first store, shared by its entries */
  snap: unknown;
  /** a stored snapshot already compared equal to this check's principal */
  verified: unknown;
  /** estimated bytes of this check's principal material (-1 until a store measures it) */
  bytes: number;
}

/** What a cache key reads, compiled once (see KeyPlan). */
export interface PolicyKey {
  principalId: boolean;
  /** the principal's whole attr map is read (one value: the map itself) */
  principalWhole: boolean;
  principalCount: number;
  readPrincipal: AttrReader;
  /** per value read by readPrincipal (or the whole map), its slot (shared by the chain's keys) */
  principalSlots: PrincipalSlot[];
  resourceId: boolean;
  resourceWhole: boolean;
  resourceCount: number;
  readResource: AttrReader;
  /** decisions under this key depend on roles and actions only (no condition can run) */
  conditionFree: boolean;
  principal: PrincipalState;
  /**
   * The key belongs to one (roles, actions) combination, so an entry stored under it needs no
   * roles or actions compared; false for the key a policy's combinations share past MAX_VARIANTS.
   */
  exact: boolean;
  /** distinct per key in the process: an exact key's entries hash from it instead of roles and actions */
  id: number;
}

/** The fields a key reads: a policy's KeyPlan, narrowed per (roles, actions). */
export type KeyFields = KeyPlan;

const WHOLE_ATTR_SLOT = '\0whole';

let keyCount = 0;

export function compilePolicyKey(plan: KeyFields, slots: Map<string, PrincipalSlot> = new Map(), exact = true): PolicyKey {
  const principalCount = plan.principalWholeAttr ? 1 : plan.principalAttrs.length;
  const slot = (name: string): PrincipalSlot => {
    let s = slots.get(name);
    if (s === undefined) {
      s = { gen: 0, hash: 0 };
      slots.set(name, s);
    }
    return s;
  };
  return {
    principalId: plan.principalId,
    principalWhole: plan.principalWholeAttr,
    principalCount,
    readPrincipal: attrReader(plan.principalWholeAttr ? [] : plan.principalAttrs),
    principalSlots: plan.principalWholeAttr ? [slot(WHOLE_ATTR_SLOT)] : plan.principalAttrs.map(slot),
    resourceId: plan.resourceId,
    resourceWhole: plan.resourceWholeAttr,
    resourceCount: plan.resourceWholeAttr ? 1 : plan.resourceAttrs.length,
    readResource: attrReader(plan.resourceWholeAttr ? [] : plan.resourceAttrs),
    conditionFree: plan.conditionFree,
    principal: { gen: 0, hash: 0, shape: 0, values: new Array<unknown>(principalCount).fill(undefined), snap: null, verified: null, bytes: -1 },
    exact,
    id: finish(Math.imul(HASH_SEED ^ ++keyCount, PRIME)),
  };
}

/** distinct (roles, actions) combinations given their own narrowed key, per policy */
const MAX_VARIANTS = 1024;

/** One step of the action-list trie: the key of the list that ends here, and the longer lists. */
interface ActionNode {
  key: PolicyKey | null;
  next: Map<string, ActionNode> | null;
}

/** The keys of one role list, by action list. */
interface RolesNode {
  roles: string[];
  actions: ActionNode;
}

/**
 * A policy's keys narrowed to what a (roles, actions) combination can read, memoized; past
 * MAX_VARIANTS combinations the policy-wide key is used (still correct, only wider). The role
 * list is looked up once per check (by its hash, then compared), the action list as a trie of
 * Map reads by action name: one read per action, however many combinations the policy has seen.
 */
export class KeyVariants {
  /** hash of the policy name: entries of different policies start apart */
  readonly seed: number;
  private readonly byRoles = new Map<number, RolesNode[]>();
  private count = 0;
  /** principal attribute slots shared by this chain's keys */
  private readonly slots = new Map<string, PrincipalSlot>();
  /** the role list of check `memoGen` */
  private memoGen = 0;
  private memoRoles: RolesNode | null = null;

  /**
   * Past MAX_VARIANTS combinations every (roles, actions) shares this key, so it is never
   * condition-free: a condition-free decision is memoized per key without comparing roles and
   * actions, which is only sound for a key that belongs to one combination.
   */
  private readonly fallback: PolicyKey;

  constructor(
    name: string,
    policyFields: KeyFields,
    private readonly plan: (roles: readonly string[], actions: readonly string[]) => KeyFields,
  ) {
    this.seed = Math.imul(HASH_SEED ^ contentHash(name), PRIME);
    this.fallback = compilePolicyKey({ ...policyFields, conditionFree: false }, this.slots, false);
  }

  /**
   * The key for `roles` and `actions`. `rolesHash` is any consistent hash of the role list;
   * `check` identifies the current check (its roles do not change within it; 0: no memo).
   */
  find(roles: string[], actions: string[], rolesHash: number, check: number): PolicyKey {
    const node = check !== 0 && check === this.memoGen ? this.memoRoles : this.rolesNode(roles, rolesHash, check);
    let at: ActionNode | null = node === null ? null : node.actions;
    for (let i = 0; i < actions.length && at !== null; i++) at = at.next === null ? null : (at.next.get(actions[i]!) ?? null);
    if (at !== null && at.key !== null) return at.key;
    if (this.count >= MAX_VARIANTS) return this.fallback;
    at = (node ?? this.addRolesNode(roles, rolesHash, check)).actions;
    for (const a of actions) {
      at.next ??= new Map();
      let child = at.next.get(a);
      if (child === undefined) {
        child = { key: null, next: null };
        at.next.set(a, child);
      }
      at = child;
    }
    at.key = compilePolicyKey(this.plan(roles, actions), this.slots);
    this.count++;
    return at.key;
  }

  /** The node of this role list, remembered for check `check`; null when there is none yet. */
  private rolesNode(roles: string[], rolesHash: number, check: number): RolesNode | null {
    const list = this.byRoles.get(rolesHash);
    if (list !== undefined) for (const node of list) if (sameStrings(node.roles, roles)) return this.remember(node, check);
    return null;
  }

  private addRolesNode(roles: string[], rolesHash: number, check: number): RolesNode {
    const node: RolesNode = { roles: roles.slice(), actions: { key: null, next: null } };
    const list = this.byRoles.get(rolesHash);
    if (list === undefined) this.byRoles.set(rolesHash, [node]);
    else list.push(node);
    return this.remember(node, check);
  }

  private remember(node: RolesNode, check: number): RolesNode {
    if (check !== 0) {
      this.memoGen = check;
      this.memoRoles = node;
    }
    return node;
  }
}
