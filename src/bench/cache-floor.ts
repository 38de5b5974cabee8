/**
 * The floor of a decision-cache hit: what any correct cache must do per resource entry, namely
 * read the values the decision depends on (the key's principal and resource attributes, ids,
 * roles, actions) and compare each with a stored copy. No hashing, no lookup, no response. A
 * hit's cost is reported against this floor.
 */
import { buildChain, matches, mixStrings, sameStrings, snapshot, type CheckRequest, type PolicyKey, type PolicySet } from '../engine/index.js';

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

/** One pass over every resource entry of `requests`: read and compare (call it in a timed loop). */
export interface FloorPass {
  run(): boolean;
  /** resource entries one run covers */
  entries: number;
}

export function hitFloorPass(policySet: PolicySet, requests: readonly CheckRequest[]): FloorPass {
  const entries: FloorEntry[] = [];
  for (const req of requests) {
    const p = req.principal;
    for (const e of req.resources) {
      const r = e.resource;
      const withPrincipal = policySet.principalIds.has(p.id);
      const chain = buildChain(policySet, r.kind, r.policyVersion ?? 'default', r.scope ?? '', withPrincipal ? { id: p.id, scope: p.scope ?? '' } : null);
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
    }
  }
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
