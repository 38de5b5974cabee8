/**
 * The floor of a decision-cache hit: what any correct cache must do per resource entry, namely
 * read the values the decision depends on (the key's principal and resource attributes, ids,
 * roles, actions) and compare each with a stored copy. No hashing, no lookup, no response. A
 * hit's cost is reported against this floor.
 *
 * The locate bound adds what a cache keyed by content must also do to find that stored copy:
 * the key of the entry's actions, a content hash of each value read (mixValue, which reads V8's
 * cached string hash through a Map, the cheapest content hash of a string measured here) and one
 * read of a table of all entries. No chain lookup, TTL, statistics or response: what a hit of a
 * content-keyed cache built from these pieces cannot skip.
 */
import {
  ChainIndex,
  buildChain,
  finish,
  matches,
  mixInt,
  mixString,
  mixStrings,
  mixValue,
  resetHashBudget,
  sameStrings,
  snapshot,
  type CheckRequest,
  type PolicyKey,
  type PolicySet,
} from '../engine/index.js';

interface FloorEntry {
  key: PolicyKey;
  principalAttr: object | undefined;
  resourceAttr: object | undefined;
  principalId: string;
  resourceId: string;
  roles: string[];
  actions: string[];
  /** stored copies, as a cache entry holds them */
  stored: { principalId: string; resourceId: string; roles: string[]; actions: string[]; principal: unknown[]; resource: unknown[] };
}

/** The action-list lookup of a chain's keys (KeyVariants.find). */
interface KeyFinder {
  find(roles: string[], actions: string[], rolesHash: number, check: number): PolicyKey;
}

/**
 * Entries, and beside them (not in them: a larger entry object made the floor's walk over them
 * about 15 % slower on multi-tenant) each entry's chain keys and request index.
 */
interface FloorEntries {
  entries: FloorEntry[];
  keys: KeyFinder[];
  request: number[];
}

/** One pass over every resource entry of `requests` (call it in a timed loop). */
export interface FloorPass {
  run(): boolean;
  /** resource entries one run covers */
  entries: number;
}

/**
 * The entries a hit reads: every resource entry whose key reads values (not condition-free, no aux
 * data). With `shareChains`, entries of one policy combination share its chain and keys, as in the
 * engine; without, each entry has a chain of its own, so each key's attribute readers meet one
 * request's objects only: the cheapest reads, which the floor takes.
 */
function floorEntries(policySet: PolicySet, requests: readonly CheckRequest[], shareChains: boolean): FloorEntries {
  const entries: FloorEntry[] = [];
  const keys: KeyFinder[] = [];
  const request: number[] = [];
  const chains = new ChainIndex<ReturnType<typeof buildChain>>(Number.MAX_SAFE_INTEGER);
  for (let index = 0; index < requests.length; index++) {
    const req = requests[index]!;
    const p = req.principal;
    for (const e of req.resources) {
      const r = e.resource;
      const withPrincipal = policySet.principalIds.has(p.id);
      const version = r.policyVersion ?? 'default';
      const scope = r.scope ?? '';
      const principalId = withPrincipal ? p.id : null;
      const principalScope = p.scope ?? '';
      let chain = shareChains ? chains.get(r.kind, version, scope, principalId, principalScope) : undefined;
      if (chain === undefined) {
        chain = buildChain(policySet, r.kind, version, scope, withPrincipal ? { id: p.id, scope: principalScope } : null);
        if (shareChains) chains.set(r.kind, version, scope, principalId, principalScope, chain);
      }
      const key = chain.keys.find(p.roles, e.actions, mixStrings(0, p.roles), 0);
      if (key.conditionFree || chain.readsAuxData) continue;
      const pv = new Array<unknown>(key.principalCount);
      const rv = new Array<unknown>(key.resourceCount);
      if (key.principalWhole) pv[0] = p.attr;
      else key.readPrincipal(p.attr, pv, 0);
      if (key.resourceWhole) rv[0] = r.attr;
      else key.readResource(r.attr, rv, 0);
      entries.push({
        key,
        principalAttr: p.attr,
        resourceAttr: r.attr,
        principalId: p.id,
        resourceId: r.id,
        roles: p.roles,
        actions: e.actions,
        stored: { principalId: p.id, resourceId: r.id, roles: p.roles.slice(), actions: e.actions.slice(), principal: pv.map((v) => snapshot(v)), resource: rv.map((v) => snapshot(v)) },
      });
      keys.push(chain.keys);
      request.push(index);
    }
  }
  return { entries, keys, request };
}

/** scratch of readValues: the values the current entry's key covers */
const pRead: unknown[] = new Array<unknown>(64).fill(undefined);
const rRead: unknown[] = new Array<unknown>(64).fill(undefined);

/** Reads the values the entry's key covers into the scratch arrays. */
function readValues(x: FloorEntry, k: PolicyKey): void {
  if (k.principalWhole) pRead[0] = x.principalAttr;
  else k.readPrincipal(x.principalAttr, pRead, 0);
  if (k.resourceWhole) rRead[0] = x.resourceAttr;
  else k.readResource(x.resourceAttr, rRead, 0);
}

/** Compares the entry's roles, actions, ids and the values read with stored copies `s`. */
function compareStored(x: FloorEntry, k: PolicyKey, s: FloorEntry['stored']): boolean {
  let same = sameStrings(s.roles, x.roles) && sameStrings(s.actions, x.actions);
  if (k.principalId) same &&= s.principalId === x.principalId;
  if (k.resourceId) same &&= s.resourceId === x.resourceId;
  for (let j = 0; j < k.principalCount; j++) same &&= matches(s.principal[j], pRead[j]);
  for (let j = 0; j < k.resourceCount; j++) same &&= matches(s.resource[j], rRead[j]);
  return same;
}

export function hitFloorPass(policySet: PolicySet, requests: readonly CheckRequest[]): FloorPass {
  const { entries } = floorEntries(policySet, requests, false);
  // the loop spelt out, not readValues/compareStored: with those calls the floor took 8-13 % longer
  const pScratch: unknown[] = new Array<unknown>(64).fill(undefined);
  const rScratch: unknown[] = new Array<unknown>(64).fill(undefined);
  const run = (): boolean => {
    let all = true;
    for (let i = 0; i < entries.length; i++) {
      const x = entries[i]!;
      const k = x.key;
      const s = x.stored;
      let same = sameStrings(s.roles, x.roles) && sameStrings(s.actions, x.actions);
      if (k.principalId) same &&= s.principalId === x.principalId;
      if (k.resourceId) same &&= s.resourceId === x.resourceId;
      if (k.principalWhole) pScratch[0] = x.principalAttr;
      else k.readPrincipal(x.principalAttr, pScratch, 0);
      if (k.resourceWhole) rScratch[0] = x.resourceAttr;
      else k.readResource(x.resourceAttr, rScratch, 0);
      for (let j = 0; j < k.principalCount; j++) same &&= matches(s.principal[j], pScratch[j]);
      for (let j = 0; j < k.resourceCount; j++) same &&= matches(s.resource[j], rScratch[j]);
      all &&= same;
    }
    return all;
  };
  return { run, entries: entries.length };
}

/** Check numbers for the keys' per-check memo of the role list, apart from the engine's own (which count up from 1). */
let boundCheck = -1;

/**
 * The floor plus locating each entry by content (see the module comment), on chains shared as the
 * engine shares them (so the key lookup remembers role lists per check, and attribute readers meet
 * every request's objects). The principal's id and role list are hashed once per request: a cache
 * can share them between a check's entries.
 */
export function locateBoundPass(policySet: PolicySet, requests: readonly CheckRequest[]): FloorPass {
  const { entries, keys, request: requestOf } = floorEntries(policySet, requests, true);
  const hashOf = (x: FloorEntry, k: PolicyKey, principalHash: number): number => {
    let h = mixInt(k.principalId ? principalHash : 0, k.id);
    resetHashBudget();
    for (let j = 0; j < k.principalCount; j++) h = mixValue(h, pRead[j], 0);
    if (k.resourceId) h = mixString(h, x.resourceId);
    for (let j = 0; j < k.resourceCount; j++) h = mixValue(h, rRead[j], 0);
    return finish(h);
  };
  // requests with the same key material share one stored entry, as in a cache
  const table = new Map<number, FloorEntry['stored']>();
  for (const x of entries) {
    readValues(x, x.key);
    table.set(hashOf(x, x.key, mixString(0, x.principalId)), x.stored);
  }
  const run = (): boolean => {
    let all = true;
    let request = -1;
    let rolesHash = 0;
    let principalHash = 0;
    let check = 0;
    for (let i = 0; i < entries.length; i++) {
      const x = entries[i]!;
      if (requestOf[i] !== request) {
        request = requestOf[i]!;
        rolesHash = mixStrings(0, x.roles);
        principalHash = mixString(0, x.principalId);
        check = boundCheck--;
      }
      const k = keys[i]!.find(x.roles, x.actions, rolesHash, check);
      readValues(x, k);
      const stored = table.get(hashOf(x, k, principalHash));
      all = stored !== undefined && compareStored(x, k, stored) && all;
    }
    return all;
  };
  return { run, entries: entries.length };
}
