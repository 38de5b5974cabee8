/**
 * scenario.yaml text → Scenario. Every shape error is an InputError at the offending node's
 * `file:line:column`. The YAML forms are documented in scenarios/README.md.
 */
import { globalsFromYaml, type AttrValue, type Globals } from '../engine/index.js';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import { InputError } from '../util/errors.js';
import { YamlReader } from '../util/yaml-reader.js';
import { tryParseDurationMs, tryParseDurationRangeMs } from '../util/duration.js';
import { cumulativeWeights } from './random.js';
import type { AttrGen, LoadProfile, LoadStage, PrincipalMix, RequestMix, ResourceMix, Scenario, Slo, WeightedRoles } from './types.js';

/** The SLO used when a scenario has no `slo` block (or leaves a field out). */
export const DEFAULT_SLO: Slo = { p50Ms: 5, p95Ms: 15, p99Ms: 50, errorRate: 0.001 };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** What parseScenario needs besides the text: where the file is, and which folders exist. */
export interface ScenarioFileInfo {
  /** absolute path of scenario.yaml */
  file: string;
  /** whether a folder exists (used for the default `tests` folder) */
  dirExists: (dir: string) => boolean;
}

export function parseScenario(text: string, info: ScenarioFileInfo): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const r = new Reader(info.file, lineCounter);
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    throw new InputError(`invalid YAML: ${firstError.message.split('\n')[0]}`, { file: info.file, line: pos.line, column: pos.col });
  }
  const top = r.map(doc.contents as YamlNode | null, 'scenario');
  r.only(top, ['name', 'description', 'seed', 'policies', 'tests', 'requests', 'globals', 'lenientScopeSearch', 'slo', 'load'], 'scenario');
  const dir = dirname(info.file);
  const name = r.str(top, 'name', 'scenario') ?? dirname(info.file).split(/[\\/]/).pop()!;
  const policies = r.str(top, 'policies', 'scenario') ?? 'policies';
  const testsField = r.str(top, 'tests', 'scenario');
  const testsDir = resolve(dir, testsField ?? 'tests');
  const seedNode = r.get(top, 'seed');
  const globalsNode = r.get(top, 'globals');
  const scenario: Scenario = {
    name,
    description: r.str(top, 'description', 'scenario') ?? '',
    seed: seedNode === null ? 1 : r.integer(seedNode, 'scenario.seed', 0, 2 ** 32 - 1),
    dir,
    file: info.file,
    policyDir: resolve(dir, policies),
    testsDir: testsField !== undefined || info.dirExists(testsDir) ? testsDir : null,
    requests: requestMix(r, r.required(top, 'requests', 'scenario')),
    slo: slo(r, r.get(top, 'slo')),
    load: loadProfiles(r, r.get(top, 'load')),
  };
  if (globalsNode !== null) scenario.globals = globals(r, globalsNode, text);
  const lenient = r.get(top, 'lenientScopeSearch');
  if (lenient !== null) {
    if (!isScalar(lenient) || typeof lenient.value !== 'boolean') throw r.error(lenient, 'scenario.lenientScopeSearch must be true or false');
    if (lenient.value) scenario.lenientScopeSearch = true;
  }
  return scenario;
}

/** `globals:` - a map of plain values, handed to the engine as Cerbos's `engine.globals`. */
function globals(r: Reader, node: YamlNode, text: string): Globals {
  r.map(node, 'globals');
  r.plain(node); // rejects hostile keys and non-plain values, at their place
  return globalsFromYaml(node, text);
}

function requestMix(r: Reader, node: YamlNode): RequestMix {
  const what = 'requests';
  const m = r.map(node, what);
  r.only(m, ['repeatShare', 'repeatWindow', 'resourcesPerRequest', 'principals', 'resources'], what);
  const repeat = r.get(m, 'repeatShare');
  const window = r.get(m, 'repeatWindow');
  const perRequest = r.get(m, 'resourcesPerRequest');
  const resNode = r.required(m, 'resources', what);
  if (!isSeq(resNode) || resNode.items.length === 0) throw r.error(resNode, `${what}.resources must be a non-empty list`);
  const principals = principalMix(r, r.required(m, 'principals', what));
  const resources = resNode.items.map((item, i) => resourceMix(r, item as YamlNode, `${what}.resources[${i}]`, principals.attr));
  if (!resources.some((res) => res.weight > 0)) throw r.error(resNode, `${what}.resources: at least one weight must be > 0`);
  return {
    repeatShare: repeat === null ? 0 : r.number(repeat, `${what}.repeatShare`, 0, 1),
    repeatWindow: window === null ? 1000 : r.integer(window, `${what}.repeatWindow`, 1, 1_000_000),
    resourcesPerRequest: perRequest === null ? { min: 1, max: 1 } : r.range(perRequest, `${what}.resourcesPerRequest`, 1, 1000),
    principals,
    resources,
  };
}

function principalMix(r: Reader, node: YamlNode): PrincipalMix {
  const what = 'requests.principals';
  const m = r.map(node, what);
  r.only(m, ['count', 'roles', 'attr', 'scope', 'policyVersion'], what);
  const rolesNode = r.required(m, 'roles', what);
  if (!isSeq(rolesNode) || rolesNode.items.length === 0) throw r.error(rolesNode, `${what}.roles must be a non-empty list`);
  const roles = rolesNode.items.map((item, i): WeightedRoles => {
    const w = `${what}.roles[${i}]`;
    const rm = r.map(item as YamlNode, w);
    r.only(rm, ['roles', 'weight'], w);
    const list = r.strList(r.required(rm, 'roles', w), `${w}.roles`);
    if (list.length === 0) throw r.error(rm, `${w}.roles must be a non-empty list`);
    const weight = r.get(rm, 'weight');
    return { roles: list, weight: weight === null ? 1 : r.number(weight, `${w}.weight`, 0, Infinity) };
  });
  if (!roles.some((x) => x.weight > 0)) throw r.error(rolesNode, `${what}.roles: at least one weight must be > 0`);
  const count = r.get(m, 'count');
  const mix: PrincipalMix = {
    count: count === null ? 100 : r.integer(count, `${what}.count`, 1, 10_000_000),
    roles,
    attr: attrMap(r, r.get(m, 'attr'), `${what}.attr`),
  };
  const scope = r.get(m, 'scope');
  if (scope !== null) mix.scope = stringGen(r, scope, `${what}.scope`, 'scope', mix.attr);
  const version = r.get(m, 'policyVersion');
  if (version !== null) mix.policyVersion = stringGen(r, version, `${what}.policyVersion`, 'policyVersion', mix.attr);
  return mix;
}

function resourceMix(r: Reader, node: YamlNode, what: string, principalAttr: ReadonlyArray<[string, AttrGen]>): ResourceMix {
  const m = r.map(node, what);
  r.only(m, ['kind', 'scope', 'policyVersion', 'weight', 'count', 'actions', 'actionsPerResource', 'attr'], what);
  const kind = r.str(m, 'kind', what, true);
  const actionsNode = r.required(m, 'actions', what);
  let actions: Array<{ name: string; weight: number }>;
  if (isSeq(actionsNode)) actions = r.strList(actionsNode, `${what}.actions`).map((name) => ({ name, weight: 1 }));
  else {
    const am = r.map(actionsNode, `${what}.actions`);
    actions = am.items.map((pair) => ({
      name: r.keyName(pair.key as YamlNode, `${what}.actions`),
      weight: r.number(pair.value as YamlNode | null, `${what}.actions weight`, 0, Infinity),
    }));
  }
  if (actions.length === 0 || !actions.some((a) => a.weight > 0)) {
    throw r.error(actionsNode, `${what}.actions must list at least one action with weight > 0`);
  }
  const perResource = r.get(m, 'actionsPerResource');
  const actionsPerResource = perResource === null ? { min: 1, max: 1 } : r.range(perResource, `${what}.actionsPerResource`, 1, 1000);
  const positive = actions.filter((a) => a.weight > 0).length;
  if (actionsPerResource.max > positive) {
    throw r.error(perResource, `${what}.actionsPerResource: max ${actionsPerResource.max} is more than the ${positive} actions with weight > 0`);
  }
  const weight = r.get(m, 'weight');
  const count = r.get(m, 'count');
  const mix: ResourceMix = {
    kind,
    weight: weight === null ? 1 : r.number(weight, `${what}.weight`, 0, Infinity),
    count: count === null ? 1000 : r.integer(count, `${what}.count`, 1, 1_000_000_000),
    actions,
    actionsPerResource,
    attr: attrMap(r, r.get(m, 'attr'), `${what}.attr`),
  };
  const scope = r.get(m, 'scope');
  if (scope !== null) mix.scope = stringGen(r, scope, `${what}.scope`, 'scope', principalAttr);
  const version = r.get(m, 'policyVersion');
  if (version !== null) mix.policyVersion = stringGen(r, version, `${what}.policyVersion`, 'policyVersion', principalAttr);
  return mix;
}

/**
 * Cerbos scopes (its policy schema's pattern): dot-separated segments of letters, digits, `_` and
 * `-`, the first starting with a letter or digit and the others not with `-`; "" is the root scope.
 */
const SCOPE = /^(?:[A-Za-z0-9][\w-]*(?:\.\w[\w-]*)*)?$/;
/** Cerbos policy versions: letters, digits and `_`; "" means the default version. */
const POLICY_VERSION = /^\w*$/;

/**
 * A generator whose every value is a valid scope or policy version: a string (a number scalar
 * reads as its text, so `policyVersion: 20240101` works unquoted), `{ const }`, `{ oneOf }` of
 * such strings, `{ id }`, or `{ fromPrincipal }` naming a principal attribute generated the same
 * way, with an `otherwise` of these forms.
 */
function stringGen(r: Reader, node: YamlNode, what: string, field: 'scope' | 'policyVersion', principalAttr: ReadonlyArray<[string, AttrGen]>): AttrGen {
  const pattern = field === 'scope' ? SCOPE : POLICY_VERSION;
  const expected =
    field === 'scope' ? 'a scope like "acme.hr.uk" (letters, digits, _ and - between dots)' : 'a policy version (letters, digits and _)';
  // `asText`: a number may stand for its text (the value is rewritten); principal attributes read
  // through fromPrincipal are not rewritten, so there it must already be a string
  const text = (v: AttrValue, asText: boolean): string => {
    const str = asText && typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : v;
    if (typeof str !== 'string' || !pattern.test(str)) throw r.error(node, `${what}: ${JSON.stringify(v)} is not ${expected}`);
    return str;
  };
  const check = (gen: AttrGen, seen: ReadonlySet<string>, asText: boolean): AttrGen => {
    switch (gen.type) {
      case 'const':
        return { type: 'const', value: text(gen.value, asText) };
      case 'oneOf':
        return { ...gen, values: gen.values.map((v) => text(v, asText)) };
      case 'id':
        text(`${gen.prefix}-0`, false);
        return gen;
      case 'fromPrincipal': {
        const source = principalAttr.find(([name]) => name === gen.attr);
        if (source === undefined) throw r.error(node, `${what}: fromPrincipal names "${gen.attr}", which requests.principals.attr does not define`);
        if (seen.has(gen.attr)) throw r.error(node, `${what}: fromPrincipal "${gen.attr}" refers to itself`);
        check(source[1], new Set([...seen, gen.attr]), false);
        // the attribute always exists, so with share 1 `otherwise` is never drawn (and may be left out)
        return gen.share < 1 ? { ...gen, otherwise: check(gen.otherwise, seen, asText) } : gen;
      }
      default:
        throw r.error(node, `${what} must give strings: a string, { const }, { oneOf }, { id } or { fromPrincipal }, not { ${gen.type} }`);
    }
  };
  return check(attrGen(r, node, what), new Set(), true);
}

function attrMap(r: Reader, node: YamlNode | null, what: string): Array<[string, AttrGen]> {
  if (node === null) return [];
  const m = r.map(node, what);
  return m.items.map((pair) => {
    const name = r.keyName(pair.key as YamlNode, what);
    if (FORBIDDEN_KEYS.has(name)) throw r.error(pair.key as YamlNode, `${what}: attribute name "${name}" is not allowed`);
    return [name, attrGen(r, pair.value as YamlNode | null, `${what}.${name}`)];
  });
}

const GENERATORS = ['const', 'oneOf', 'int', 'number', 'bool', 'id', 'principalId', 'fromPrincipal', 'listOf', 'object'] as const;

function attrGen(r: Reader, node: YamlNode | null, what: string): AttrGen {
  if (node === null || isScalar(node)) return { type: 'const', value: r.plain(node) };
  if (isSeq(node)) throw r.error(node, `${what}: a list is ambiguous; use { oneOf: [...] } or { const: [...] }`);
  const m = r.map(node, what);
  const kind = GENERATORS.find((g) => r.has(m, g));
  if (kind === undefined) throw r.error(m, `${what}: expected one of ${GENERATORS.join(', ')}`);
  const arg = r.get(m, kind);
  switch (kind) {
    case 'const':
      r.only(m, ['const'], what);
      return { type: 'const', value: r.plain(arg) };
    case 'oneOf': {
      r.only(m, ['oneOf', 'weights'], what);
      if (!isSeq(arg) || arg.items.length === 0) throw r.error(arg ?? m, `${what}.oneOf must be a non-empty list`);
      const values = arg.items.map((item) => r.plain(item as YamlNode));
      const wNode = r.get(m, 'weights');
      let weights = values.map(() => 1);
      if (wNode !== null) {
        if (!isSeq(wNode) || wNode.items.length !== values.length) {
          throw r.error(wNode, `${what}.weights must be a list of ${values.length} numbers (one per value)`);
        }
        weights = wNode.items.map((w) => r.number(w as YamlNode, `${what}.weights`, 0, Infinity));
        if (!weights.some((w) => w > 0)) throw r.error(wNode, `${what}.weights: at least one must be > 0`);
      }
      return { type: 'oneOf', values, cumulative: cumulativeWeights(weights) };
    }
    case 'int':
    case 'number': {
      r.only(m, [kind], what);
      if (!isSeq(arg) || arg.items.length !== 2) throw r.error(arg ?? m, `${what}.${kind} must be [min, max]`);
      const read = (n: YamlNode) =>
        kind === 'int' ? r.integer(n, `${what}.${kind}`, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) : r.number(n, `${what}.${kind}`, -Infinity, Infinity);
      const min = read(arg.items[0] as YamlNode);
      const max = read(arg.items[1] as YamlNode);
      if (min > max) throw r.error(arg, `${what}.${kind}: min ${min} is greater than max ${max}`);
      return { type: kind, min, max };
    }
    case 'bool':
      r.only(m, ['bool'], what);
      return { type: 'bool', p: r.number(arg, `${what}.bool`, 0, 1) };
    case 'id': {
      r.only(m, ['id', 'count'], what);
      const count = r.get(m, 'count');
      return { type: 'id', prefix: r.scalarString(arg, `${what}.id`), count: count === null ? 1000 : r.integer(count, `${what}.count`, 1, 1_000_000_000) };
    }
    case 'principalId':
      r.only(m, ['principalId'], what);
      return { type: 'principalId', share: r.number(arg, `${what}.principalId`, 0, 1) };
    case 'fromPrincipal': {
      r.only(m, ['fromPrincipal', 'share', 'otherwise'], what);
      const share = r.get(m, 'share');
      return {
        type: 'fromPrincipal',
        attr: r.scalarString(arg, `${what}.fromPrincipal`),
        share: share === null ? 1 : r.number(share, `${what}.share`, 0, 1),
        otherwise: attrGen(r, r.get(m, 'otherwise'), `${what}.otherwise`),
      };
    }
    case 'listOf': {
      r.only(m, ['listOf', 'min', 'max'], what);
      const min = r.get(m, 'min');
      const max = r.get(m, 'max');
      const lo = min === null ? 0 : r.integer(min, `${what}.min`, 0, 100_000);
      const hi = max === null ? Math.max(lo, 3) : r.integer(max, `${what}.max`, 0, 100_000);
      if (lo > hi) throw r.error(max ?? m, `${what}: min ${lo} is greater than max ${hi}`);
      return { type: 'listOf', item: attrGen(r, arg, `${what}.listOf`), min: lo, max: hi };
    }
    case 'object':
      r.only(m, ['object'], what);
      return { type: 'object', fields: attrMap(r, arg, `${what}.object`) };
  }
}

function slo(r: Reader, node: YamlNode | null): Slo {
  if (node === null) return { ...DEFAULT_SLO };
  const what = 'slo';
  const m = r.map(node, what);
  r.only(m, ['p50', 'p95', 'p99', 'errorRate'], what);
  const ms = (key: 'p50' | 'p95' | 'p99', fallback: number): number => {
    const n = r.get(m, key);
    return n === null ? fallback : r.durationMs(n, `${what}.${key}`);
  };
  const err = r.get(m, 'errorRate');
  return {
    p50Ms: ms('p50', DEFAULT_SLO.p50Ms),
    p95Ms: ms('p95', DEFAULT_SLO.p95Ms),
    p99Ms: ms('p99', DEFAULT_SLO.p99Ms),
    errorRate: err === null ? DEFAULT_SLO.errorRate : r.share(err, `${what}.errorRate`),
  };
}

function loadProfiles(r: Reader, node: YamlNode | null): Record<string, LoadProfile> {
  const out: Record<string, LoadProfile> = Object.create(null) as Record<string, LoadProfile>;
  if (node === null) return out;
  const m = r.map(node, 'load');
  for (const pair of m.items) {
    const name = r.keyName(pair.key as YamlNode, 'load');
    const what = `load.${name}`;
    const p = r.map(pair.value as YamlNode | null, what);
    r.only(p, ['executor', 'thinkTime', 'stages'], what);
    const executor = r.str(p, 'executor', what) ?? 'arrival-rate';
    if (executor !== 'arrival-rate' && executor !== 'vus') {
      throw r.error(r.get(p, 'executor'), `${what}.executor must be arrival-rate or vus, got "${executor}"`);
    }
    const stagesNode = r.required(p, 'stages', what);
    if (!isSeq(stagesNode) || stagesNode.items.length === 0) throw r.error(stagesNode, `${what}.stages must be a non-empty list`);
    const stages = stagesNode.items.map((item, i): LoadStage => {
      const w = `${what}.stages[${i}]`;
      const s = r.map(item as YamlNode, w);
      r.only(s, ['duration', 'target'], w);
      return {
        durationS: r.durationMs(r.required(s, 'duration', w), `${w}.duration`) / 1000,
        target: r.number(r.required(s, 'target', w), `${w}.target`, 0, Infinity),
      };
    });
    const profile: LoadProfile = { executor, stages };
    const think = r.get(p, 'thinkTime');
    if (think !== null) {
      if (executor !== 'vus') throw r.error(think, `${what}.thinkTime applies to the vus executor only`);
      const range = isScalar(think) && typeof think.value === 'string' ? tryParseDurationRangeMs(think.value) : null;
      if (range === null) throw r.error(think, `${what}.thinkTime must be a duration or range such as 100ms..500ms`);
      profile.thinkTimeMs = range;
    }
    out[name] = profile;
  }
  return out;
}

/** Typed reads of scenario fields on top of the shared YAML reader. */
class Reader extends YamlReader {
  required(m: YAMLMap, key: string, what: string): YamlNode {
    const node = this.get(m, key);
    if (node === null) throw this.error(m, `${what}: missing required field "${key}"`);
    return node;
  }

  scalarString(node: YamlNode | null, what: string): string {
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number') || String(node.value) === '') {
      throw this.error(node, `${what} must be a non-empty string`);
    }
    return String(node.value);
  }

  str(m: YAMLMap, key: string, what: string, required: true): string;
  str(m: YAMLMap, key: string, what: string, required?: boolean): string | undefined;
  str(m: YAMLMap, key: string, what: string, required = false): string | undefined {
    const node = this.get(m, key);
    if (node === null) {
      if (required) throw this.error(m, `${what}: missing required field "${key}"`);
      return undefined;
    }
    return this.scalarString(node, `${what}.${key}`);
  }

  strList(node: YamlNode | null, what: string): string[] {
    if (!isSeq(node)) throw this.error(node, `${what} must be a list of strings`);
    return node.items.map((item) => this.scalarString(item as YamlNode, what));
  }

  number(node: YamlNode | null, what: string, min: number, max: number): number {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) throw this.error(node, `${what} must be a number`);
    if (node.value < min || node.value > max) throw this.error(node, `${what} must be between ${min} and ${max}, got ${node.value}`);
    return node.value;
  }

  integer(node: YamlNode | null, what: string, min: number, max: number): number {
    const n = this.number(node, what, min, max);
    if (!Number.isInteger(n)) throw this.error(node, `${what} must be an integer, got ${n}`);
    return n;
  }

  /** `3` or `{ min: 1, max: 5 }` */
  range(node: YamlNode, what: string, min: number, max: number): { min: number; max: number } {
    if (isScalar(node)) {
      const n = this.integer(node, what, min, max);
      return { min: n, max: n };
    }
    const m = this.map(node, `${what} (a number or { min, max })`);
    this.only(m, ['min', 'max'], what);
    const lo = this.integer(this.required(m, 'min', what), `${what}.min`, min, max);
    const hi = this.integer(this.required(m, 'max', what), `${what}.max`, min, max);
    if (lo > hi) throw this.error(m, `${what}: min ${lo} is greater than max ${hi}`);
    return { min: lo, max: hi };
  }

  /** `15ms`, `1.5s` (a bare number means milliseconds) */
  durationMs(node: YamlNode | null, what: string): number {
    if (isScalar(node) && typeof node.value === 'number' && node.value >= 0) return node.value;
    const ms = isScalar(node) && typeof node.value === 'string' ? tryParseDurationMs(node.value) : null;
    if (ms === null) throw this.error(node, `${what} must be a duration such as 15ms or 2s`);
    return ms;
  }

  /** `0.001` or `0.1%` */
  share(node: YamlNode, what: string): number {
    if (isScalar(node) && typeof node.value === 'string' && /^\d+(\.\d+)?%$/.test(node.value.trim())) {
      const v = Number(node.value.trim().slice(0, -1)) / 100;
      if (v <= 1) return v;
    }
    return this.number(node, what, 0, 1);
  }

  /** a JSON-like value (for const / oneOf) */
  plain(node: YamlNode | null | undefined): AttrValue {
    if (node === null || node === undefined) return null;
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      throw this.error(node, `unsupported value ${String(v)}`);
    }
    if (isSeq(node)) return node.items.map((item) => this.plain(item as YamlNode));
    const m = this.map(node, 'value');
    const out: Record<string, AttrValue> = {};
    for (const pair of m.items) {
      const key = this.keyName(pair.key as YamlNode, 'value');
      if (FORBIDDEN_KEYS.has(key)) throw this.error(pair.key as YamlNode, `key "${key}" is not allowed`);
      out[key] = this.plain(pair.value as YamlNode | null);
    }
    return out;
  }
}
