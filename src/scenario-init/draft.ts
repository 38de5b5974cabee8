/**
 * Observed traffic + policy facts → a scenario.yaml a user can read and edit: every value carries a
 * comment saying where it came from (the fixtures or log entries it was counted from, the policy
 * line that reads an attribute nobody sets, or a default).
 */
import { Document, isMap, isScalar, type Scalar, type YAMLMap } from 'yaml';
import type { AttrValue, Principal, ResourceRef } from '../engine/index.js';
import { DEFAULT_SLO } from '../scenario/parse.js';
import { genFromShape, genFromValues, oneOf, type GenSpec } from './attr-gen.js';
import type { Observation, ObservedTraffic } from './observations.js';
import type { AttributeUse, PolicyFacts } from './policy-facts.js';

export interface DraftInput {
  name: string;
  traffic: ObservedTraffic;
  facts: PolicyFacts;
  /** policy folder as scenario.yaml should name it (relative to the scenario folder) */
  policies: string;
  /** test-suite folder as scenario.yaml should name it, when there is one */
  tests: string | null;
  /** engine globals found in the test suites' options, and where */
  globals: { value: Record<string, AttrValue>; from: string } | null;
  /** share of logged requests that repeated an earlier one; null: not known (fixtures) */
  repeatShare: number | null;
  seed?: number;
}

/** A generator beside the note explaining it. */
interface Noted {
  gen: GenSpec;
  note: string;
}

const DEFAULT_REPEAT_SHARE = 0.3;
const RESOURCE_IDS = 1000;
/** when a value equals the principal's id / attribute this often, it is generated that way */
const LINK_SHARE = 0.2;

export function draftScenario(input: DraftInput): string {
  const { observations, origin } = input.traffic;
  const principals = principalSection(observations, input.facts, origin);
  const resources = resourceSections(observations, input.facts, origin, new Set(principals.attrNames));
  const perCall = entriesPerCall(observations);
  const doc = new Document({
    name: input.name,
    description: `Request mix drawn from ${origin}`,
    seed: input.seed ?? 1,
    policies: input.policies,
    ...(input.tests !== null ? { tests: input.tests } : {}),
    requests: {
      repeatShare: input.repeatShare ?? DEFAULT_REPEAT_SHARE,
      repeatWindow: 1000,
      resourcesPerRequest: perCall,
      principals: principals.value,
      resources: resources.map((r) => r.value),
    },
    ...(input.globals ? { globals: input.globals.value } : {}),
    slo: { p50: `${DEFAULT_SLO.p50Ms}ms`, p95: `${DEFAULT_SLO.p95Ms}ms`, p99: `${DEFAULT_SLO.p99Ms}ms`, errorRate: `${DEFAULT_SLO.errorRate * 100}%` },
    load: {
      smoke: { executor: 'arrival-rate', stages: [{ duration: '10s', target: 50 }] },
      normal: { executor: 'arrival-rate', stages: [{ duration: '30s', target: 200 }, { duration: '1m', target: 200 }] },
    },
  });
  doc.commentBefore = [
    ` Written by \`authz-perf scenario init\` from ${origin}.`,
    ' Every value says where it came from; edit freely (forms: scenarios/README.md in authz-perf).',
    ' Principals are generated as user-0, user-1, ...: principal policies written for other ids are not reached.',
  ].join('\n');
  const top = doc.contents as YAMLMap;
  const req = child<YAMLMap>(top, 'requests');
  note(req, 'repeatShare', input.repeatShare === null ? ' a default: fixtures do not say how often requests repeat' : ` share of logged requests that repeated an earlier one`);
  note(req, 'resourcesPerRequest', ` resource entries per request seen in ${origin}`);
  const p = child<YAMLMap>(req, 'principals');
  note(p, 'count', ' principal pool size (user-0 …); a default');
  note(p, 'roles', ` role sets, weighted by how many ${unit(origin)} used each`);
  applyNotes(child<YAMLMap>(p, 'attr'), principals.notes);
  for (const k of ['scope', 'policyVersion']) if (principals.extra.has(k)) note(p, k, principals.extra.get(k)!);
  const kinds = child<{ items: YAMLMap[] }>(req, 'resources');
  resources.forEach((r, i) => {
    const m = kinds.items[i]!;
    note(m, 'kind', r.kindNote);
    note(m, 'weight', ` ${unit(origin)} naming this kind`);
    note(m, 'count', ' distinct resource ids (kind-0 …); a default');
    note(m, 'actions', r.actionsNote);
    applyNotes(child<YAMLMap | undefined>(m, 'attr'), r.notes);
    for (const k of ['scope', 'policyVersion']) if (r.extra.has(k)) note(m, k, r.extra.get(k)!);
  });
  if (input.globals) note(top, 'globals', ` engine globals from ${input.globals.from} (options.globals)`);
  note(top, 'slo', ' defaults; set your own');
  note(top, 'load', ' named load shapes for `loadtest --profile NAME`; compare and --find-max search the rate themselves');
  flowGenerators(doc);
  return doc.toString({ lineWidth: 0 });
}

function unit(origin: string): string {
  return origin.includes('decision log') ? 'logged entries' : 'test fixtures';
}

interface Section {
  value: Record<string, unknown>;
  notes: Map<string, string>;
  extra: Map<string, string>;
}

function principalSection(obs: readonly Observation[], facts: PolicyFacts, origin: string): Section & { attrNames: string[] } {
  const roleSets = new Map<string, number>();
  for (const o of obs) {
    const key = JSON.stringify([...o.principal.roles].sort());
    roleSets.set(key, (roleSets.get(key) ?? 0) + 1);
  }
  const roles = [...roleSets].sort((a, b) => b[1] - a[1]).map(([k, weight]) => ({ roles: JSON.parse(k) as string[], weight }));
  const distinct = new Map<string, Principal>();
  for (const o of obs) distinct.set(o.principal.id, o.principal);
  const attrs = attributes([...distinct.values()].map((pr) => pr.attr ?? {}), facts.principalAttr, 'principal', origin);
  const extra = new Map<string, string>();
  const value: Record<string, unknown> = {
    count: Math.min(5000, Math.max(100, distinct.size * 20)),
    roles: roles.length > 0 ? roles : [{ roles: ['user'], weight: 1 }],
    attr: Object.fromEntries([...attrs].map(([k, v]) => [k, v.gen])),
  };
  addOptional(value, extra, 'scope', [...distinct.values()].map((pr) => pr.scope ?? ''), origin);
  addOptional(value, extra, 'policyVersion', [...distinct.values()].map((pr) => pr.policyVersion ?? ''), origin);
  return { value, notes: new Map([...attrs].map(([k, v]) => [k, v.note])), extra, attrNames: [...attrs.keys()] };
}

function resourceSections(obs: readonly Observation[], facts: PolicyFacts, origin: string, principalAttrs: ReadonlySet<string>): Array<Section & { kindNote: string; actionsNote: string }> {
  const byKind = new Map<string, Observation[]>();
  for (const o of obs) (byKind.get(o.resource.kind) ?? byKind.set(o.resource.kind, []).get(o.resource.kind)!).push(o);
  for (const kind of facts.kinds.keys()) if (!byKind.has(kind)) byKind.set(kind, []);
  const out: Array<Section & { kindNote: string; actionsNote: string }> = [];
  for (const [kind, list] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const actionCounts = new Map<string, number>();
    for (const o of list) for (const a of o.actions) actionCounts.set(a, (actionCounts.get(a) ?? 0) + 1);
    const fromPolicies = [...(facts.kinds.get(kind)?.actions ?? [])].filter((a) => !actionCounts.has(a));
    for (const a of fromPolicies) actionCounts.set(a, 1);
    if (actionCounts.size === 0) continue;
    const sizes = list.map((o) => new Set(o.actions).size);
    const maxPer = Math.max(1, Math.min(actionCounts.size, ...(sizes.length ? [Math.max(...sizes)] : [1])));
    const minPer = Math.min(maxPer, Math.max(1, sizes.length ? Math.min(...sizes) : 1));
    const uses = new Map([...(facts.resourceAttr.get('*') ?? []), ...(facts.resourceAttr.get(kind) ?? [])]);
    const attrs = resourceAttributes(list, uses, origin, principalAttrs, new Set(obs.map((o) => o.principal.id)));
    const value: Record<string, unknown> = {
      kind,
      weight: Math.max(1, list.length),
      count: RESOURCE_IDS,
      actions: Object.fromEntries([...actionCounts].sort((a, b) => b[1] - a[1])),
      actionsPerResource: { min: minPer, max: maxPer },
      attr: Object.fromEntries([...attrs].map(([k, v]) => [k, v.gen])),
    };
    const extra = new Map<string, string>();
    addOptional(value, extra, 'scope', list.map((o) => o.resource.scope ?? ''), origin);
    addOptional(value, extra, 'policyVersion', list.map((o) => o.resource.policyVersion ?? ''), origin);
    const file = facts.kinds.get(kind)?.file;
    out.push({
      value,
      notes: new Map([...attrs].map(([k, v]) => [k, v.note])),
      extra,
      kindNote: list.length ? ` ${list.length} ${unit(origin)}${file ? `; policy ${file}` : ''}` : ` only in policy ${file}: no ${unit(origin)}`,
      actionsNote:
        ` weights: how many ${unit(origin)} asked for each action` +
        (fromPolicies.length ? `; weight 1: named by the policies only (${fromPolicies.join(', ')})` : ''),
    });
  }
  return out;
}

/** Attributes from observed objects, plus those only the conditions read. */
function attributes(objects: ReadonlyArray<Record<string, AttrValue>>, uses: ReadonlyMap<string, AttributeUse>, what: string, origin: string): Map<string, Noted> {
  const values = new Map<string, AttrValue[]>();
  for (const o of objects) for (const [k, v] of Object.entries(o)) (values.get(k) ?? values.set(k, []).get(k)!).push(v);
  const out = new Map<string, Noted>();
  for (const name of [...new Set([...values.keys(), ...uses.keys()])].sort()) {
    const seen = values.get(name) ?? [];
    const use = uses.get(name);
    const gen = seen.length ? genFromValues(seen) : null;
    if (gen !== null) {
      const read = use ? `; read at ${use.firstRead}` : '; no condition reads it';
      out.set(name, { gen, note: ` ${seen.length} of ${objects.length} ${what}s in ${origin} set it${read}` });
    } else if (use) {
      out.set(name, { gen: genFromShape(use.shape, name), note: ` read at ${use.firstRead}, set by no ${what} in ${origin}: a guess from how it is used` });
    }
  }
  return out;
}

/** Resource attributes, with values that mirror the principal (its id, or its same-named attribute) generated from it. */
function resourceAttributes(list: readonly Observation[], uses: ReadonlyMap<string, AttributeUse>, origin: string, principalAttrs: ReadonlySet<string>, principalIds: ReadonlySet<string>): Map<string, Noted> {
  const out = attributes(list.map((o) => o.resource.attr ?? {}), uses, 'resource', origin);
  for (const [name, noted] of out) {
    const pairs = list.filter((o) => o.resource.attr?.[name] !== undefined);
    if (pairs.length === 0) continue;
    const ownId = pairs.filter((o) => o.resource.attr![name] === o.principal.id).length / pairs.length;
    // every value a principal's id: the generated ids must be the generated principals' too
    const allIds = pairs.every((o) => typeof o.resource.attr![name] === 'string' && principalIds.has(o.resource.attr![name] as string));
    if (allIds) {
      out.set(name, { gen: { principalId: Math.max(0.05, round(ownId)) }, note: `${noted.note}; always a principal's id, the requesting one's in ${pct(ownId)}` });
      continue;
    }
    if (ownId >= LINK_SHARE) {
      out.set(name, { gen: { principalId: round(ownId) }, note: `${noted.note}; the requesting principal's id in ${pct(ownId)}` });
      continue;
    }
    if (!principalAttrs.has(name)) continue;
    const same = pairs.filter((o) => sameValue(o.resource.attr![name]!, o.principal.attr?.[name]));
    const share = same.length / pairs.length;
    if (share < LINK_SHARE) continue;
    const others = pairs.filter((o) => !same.includes(o)).map((o) => o.resource.attr![name]!);
    const otherwise = others.length ? genFromValues(others) : noted.gen;
    out.set(name, { gen: { fromPrincipal: name, share: round(share), otherwise }, note: `${noted.note}; equal to the principal's ${name} in ${pct(share)}` });
  }
  return out;
}

function addOptional(value: Record<string, unknown>, notes: Map<string, string>, key: 'scope' | 'policyVersion', seen: string[], origin: string): void {
  if (seen.every((s) => s === '')) return;
  value[key] = oneOf(seen, 40);
  notes.set(key, ` ${key} values in ${origin} ("" = none)`);
}

function entriesPerCall(obs: readonly Observation[]): { min: number; max: number } {
  const perCall = new Map<string, number>();
  for (const o of obs) perCall.set(o.call, (perCall.get(o.call) ?? 0) + 1);
  const counts = [...perCall.values()];
  if (counts.length === 0) return { min: 1, max: 1 };
  return { min: Math.min(...counts), max: Math.min(50, Math.max(...counts)) };
}

function sameValue(a: AttrValue, b: AttrValue | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

function note(map: YAMLMap | undefined, key: string, text: string): void {
  const pair = map?.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (pair) (pair.key as Scalar).commentBefore = text;
}

function applyNotes(map: YAMLMap | undefined, notes: ReadonlyMap<string, string>): void {
  for (const [k, text] of notes) note(map, k, text);
}

/** Generators, role sets, stages and small maps on one line each; the structure stays in block style. */
function flowGenerators(doc: Document): void {
  const visitAttr = (m: unknown): void => {
    if (!isMap(m)) return;
    for (const p of m.items) if (isMap(p.value)) p.value.flow = true;
  };
  const req = doc.getIn(['requests'], true) as YAMLMap;
  for (const k of ['resourcesPerRequest']) flow(req.get(k, true));
  const pr = child<YAMLMap>(req, 'principals');
  visitAttr(pr.get('attr', true));
  for (const k of ['scope', 'policyVersion']) flow(pr.get(k, true));
  const roles = child<{ items: unknown[] }>(pr, 'roles');
  for (const r of roles.items) flow(r);
  for (const r of (child<{ items: YAMLMap[] }>(req, 'resources')).items) {
    visitAttr(r.get('attr', true));
    for (const k of ['actions', 'actionsPerResource', 'scope', 'policyVersion']) flow(r.get(k, true));
  }
  for (const stage of ['smoke', 'normal']) for (const s of (doc.getIn(['load', stage, 'stages'], true) as { items: unknown[] }).items) flow(s);
  flow(doc.getIn(['slo'], true));
}

function child<T>(map: YAMLMap | undefined, key: string): T {
  return map?.get(key, true) as unknown as T;
}

function flow(node: unknown): void {
  if (isMap(node) || (node !== null && typeof node === 'object' && 'flow' in (node as object))) (node as { flow: boolean }).flow = true;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
