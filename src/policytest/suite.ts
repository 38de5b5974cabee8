/**
 * Cerbos-style policy test suites (`*_test.yaml|yml|json`): named principals, resources and
 * auxiliary data (the suite's own, or shared fixtures from `testdata/` next to the suite), and tests
 * that check every principal × resource × action of their input. As in Cerbos, a combination the
 * `expected` list does not mention is expected to be EFFECT_DENY; `outputs` expectations name, per
 * action, outputs (`src`, `val`) that must be among the rule outputs of that action. `options`
 * (suite or test; a test's own options replace the suite's, as in Cerbos): `now` pins the clock
 * behind CEL `now()`, `globals` are the engine globals (numbers in them are doubles, as `cerbos
 * compile` reads them), `lenientScopeSearch`, `defaultPolicyVersion` and `defaultScope`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { InputError } from '../util/errors.js';
import type { AttrValue, Effect, Globals, Principal, ResourceRef } from '../engine/index.js';
import { emptyFixtures, entries, isPlainObject, loadFixtures, namedEntries, parseAuxData, parsePrincipal, parseResource, type At, type Fixtures } from './fixtures.js';

/** An expected rule output of one action: `src` is `policy#rule`. */
export interface ExpectedOutput {
  src: string;
  val: unknown;
}

export interface SuiteTest {
  name: string;
  skip: boolean;
  /** ms since epoch for `now()`, when pinned */
  now?: number;
  globals?: Globals;
  lenientScopeSearch: boolean;
  principals: string[];
  resources: string[];
  actions: string[];
  /** name of the auxData entry the test's requests carry */
  auxData?: string;
  /** `principal\u0000resource` → action → effect */
  expected: Map<string, Record<string, Effect>>;
  /** `principal\u0000resource` → action → outputs that must be present */
  expectedOutputs: Map<string, Record<string, ExpectedOutput[]>>;
}

export interface TestSuite {
  name: string;
  description: string;
  file: string;
  principals: Map<string, Principal>;
  resources: Map<string, ResourceRef>;
  /** name → JWT claims (`auxData.<name>.jwt`) */
  auxData: Map<string, Record<string, AttrValue>>;
  tests: SuiteTest[];
}

const SUITE_FILE = /_test\.(ya?ml|json)$/i;

/** Every `*_test.yaml|yml|json` under `dir` (recursive, hidden folders skipped), sorted by path. */
export async function findSuiteFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (SUITE_FILE.test(e.name)) files.push(p);
    }
  };
  await walk(dir);
  return files.sort();
}

/** Every suite under `dir`, each with the `testdata/` fixtures of its own folder. */
export async function loadTestSuites(dir: string): Promise<TestSuite[]> {
  const fixtures = new Map<string, Promise<Fixtures>>();
  const suites: TestSuite[] = [];
  for (const file of await findSuiteFiles(dir)) {
    const folder = join(file, '..');
    if (!fixtures.has(folder)) fixtures.set(folder, loadFixtures(folder));
    suites.push(parseTestSuite(await readFile(file, 'utf8'), file, await fixtures.get(folder)!));
  }
  return suites;
}

export function parseTestSuite(text: string, file: string, fixtures: Fixtures = emptyFixtures()): TestSuite {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at: At = (node, message) => {
    const offset = (node as YamlNode | null | undefined)?.range?.[0] ?? 0;
    const pos = lines.linePos(offset);
    return new InputError(message, { file, line: Math.max(1, pos.line), column: Math.max(1, pos.col) });
  };
  const first = doc.errors[0];
  if (first) throw at({ range: first.pos }, `invalid YAML: ${first.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw at(doc.contents, 'a test suite must be a mapping');
  const node = (path: Array<string | number>): unknown => doc.getIn(path, true);
  const js = doc.toJS() as Record<string, unknown>;
  const name = typeof js['name'] === 'string' ? js['name'] : file;
  const suiteOptions = parseOptions(doc, ['options'], at);

  const principals = new Map(fixtures.principals);
  for (const [key, raw] of namedEntries(js, 'principals', node, at)) principals.set(key, parsePrincipal(raw, key, () => node(['principals', key]), at));
  const resources = new Map(fixtures.resources);
  for (const [key, raw] of namedEntries(js, 'resources', node, at)) resources.set(key, parseResource(raw, key, () => node(['resources', key]), at));
  const auxData = new Map(fixtures.auxData);
  for (const [key, raw] of namedEntries(js, 'auxData', node, at)) auxData.set(key, parseAuxData(raw, key, () => node(['auxData', key]), at));
  applyDefaults(principals, resources, suiteOptions);

  const testsNode = node(['tests']);
  if (!isSeq(testsNode)) throw at(testsNode ?? doc.contents, 'tests must be a list');
  const tests = (js['tests'] as unknown[]).map((item, i): SuiteTest => {
    if (!isPlainObject(item)) throw at(node(['tests', i]) ?? testsNode, `tests[${i}] must be a mapping`);
    const t = item;
    const input = t['input'] ?? {};
    if (!isPlainObject(input)) throw at(node(['tests', i, 'input']), `tests[${i}].input must be a mapping`);
    const list = (key: 'principals' | 'resources' | 'actions', known?: Map<string, unknown>): string[] => {
      const v = input[key];
      if (!Array.isArray(v) || v.length === 0) throw at(node(['tests', i, 'input']) ?? node(['tests', i]), `tests[${i}].input.${key} must be a non-empty list`);
      return v.map((x, j) => {
        const s = String(x);
        if (known && !known.has(s)) throw at(node(['tests', i, 'input', key, j]), `tests[${i}]: unknown ${key.slice(0, -1)} "${s}"`);
        return s;
      });
    };
    const options = isPlainObject(t['options']) ? parseOptions(doc, ['tests', i, 'options'], at) : suiteOptions;
    const test: SuiteTest = {
      name: typeof t['name'] === 'string' ? t['name'] : `tests[${i}]`,
      skip: t['skip'] === true,
      lenientScopeSearch: options.lenientScopeSearch,
      principals: list('principals', principals),
      resources: list('resources', resources),
      actions: list('actions'),
      expected: new Map(),
      expectedOutputs: new Map(),
    };
    if (options.now !== undefined) test.now = options.now;
    if (options.globals !== undefined) test.globals = options.globals;
    if (input['auxData'] !== undefined) {
      const aux = String(input['auxData']);
      if (!auxData.has(aux)) throw at(node(['tests', i, 'input', 'auxData']), `tests[${i}]: unknown auxData "${aux}"`);
      test.auxData = aux;
    }
    const expectedRaw = t['expected'] ?? [];
    if (!Array.isArray(expectedRaw)) throw at(node(['tests', i, 'expected']), `tests[${i}].expected must be a list`);
    expectedRaw.forEach((e: unknown, j) => parseExpectation(e, test, ['tests', i, 'expected', j], node, at));
    return test;
  });
  return { name, description: typeof js['description'] === 'string' ? js['description'] : '', file, principals, resources, auxData, tests };
}

/** One `expected` entry: a principal (or `principals`) × a resource (or `resources`), effects and outputs. */
function parseExpectation(e: unknown, test: SuiteTest, path: Array<string | number>, node: (p: Array<string | number>) => unknown, at: At): void {
  const where = node(path);
  const label = `tests[${path[1]}].expected[${path[3]}]`;
  if (!isPlainObject(e)) throw at(where ?? node(path.slice(0, -1)), `${label} must be a mapping`);
  const names = (one: 'principal' | 'resource', many: 'principals' | 'resources', inInput: string[]): string[] => {
    const list = e[many] !== undefined ? e[many] : e[one] !== undefined ? [e[one]] : undefined;
    if (!Array.isArray(list) || list.length === 0) throw at(where, `${label} needs ${one} (or ${many})`);
    return list.map((x) => {
      const s = String(x);
      if (!inInput.includes(s)) throw at(where, `${label}: ${one} "${s}" is not in the test input`);
      return s;
    });
  };
  const principals = names('principal', 'principals', test.principals);
  const resources = names('resource', 'resources', test.resources);
  const actions: Record<string, Effect> = {};
  for (const [action, effect] of entries(e['actions'])) {
    if (effect !== 'EFFECT_ALLOW' && effect !== 'EFFECT_DENY') {
      throw at(node([...path, 'actions', action]), `effect must be EFFECT_ALLOW or EFFECT_DENY, got ${String(effect)}`);
    }
    if (!test.actions.includes(action)) throw at(node([...path, 'actions']), `action "${action}" is not in the test input`);
    actions[action] = effect;
  }
  const outputs: Record<string, ExpectedOutput[]> = {};
  const outputsRaw = e['outputs'] ?? [];
  if (!Array.isArray(outputsRaw)) throw at(node([...path, 'outputs']), `${label}.outputs must be a list`);
  outputsRaw.forEach((o: unknown, k) => {
    const oWhere = node([...path, 'outputs', k]);
    if (!isPlainObject(o) || typeof o['action'] !== 'string' || !Array.isArray(o['expected'])) {
      throw at(oWhere, `${label}.outputs[${k}] needs action and an expected list`);
    }
    if (!test.actions.includes(o['action'])) throw at(oWhere, `${label}.outputs[${k}]: action "${o['action']}" is not in the test input`);
    const list = (outputs[o['action']] ??= []);
    o['expected'].forEach((x: unknown, m) => {
      if (!isPlainObject(x) || typeof x['src'] !== 'string' || !('val' in x)) throw at(node([...path, 'outputs', k, 'expected', m]) ?? oWhere, `${label}.outputs[${k}].expected[${m}] needs src and val`);
      list.push({ src: x['src'], val: x['val'] });
    });
  });
  for (const p of principals) {
    for (const r of resources) {
      const key = `${p}\u0000${r}`;
      test.expected.set(key, { ...test.expected.get(key), ...actions });
      if (Object.keys(outputs).length > 0) test.expectedOutputs.set(key, { ...test.expectedOutputs.get(key), ...outputs });
    }
  }
}

interface SuiteOptions {
  now?: number;
  globals?: Globals;
  lenientScopeSearch: boolean;
  defaultPolicyVersion?: string;
  defaultScope?: string;
}

function parseOptions(doc: Document, path: Array<string | number>, at: At): SuiteOptions {
  const options: SuiteOptions = { lenientScopeSearch: doc.getIn([...path, 'lenientScopeSearch']) === true };
  const now = parseNow(doc, [...path, 'now'], at);
  if (now !== undefined) options.now = now;
  const globals = parseGlobalsOption(doc, [...path, 'globals'], at);
  if (globals !== undefined) options.globals = globals;
  const version = doc.getIn([...path, 'defaultPolicyVersion']);
  if (typeof version === 'string' && version !== '') options.defaultPolicyVersion = version;
  const scope = doc.getIn([...path, 'defaultScope']);
  if (typeof scope === 'string' && scope !== '') options.defaultScope = scope;
  return options;
}

/** The suite's defaultPolicyVersion / defaultScope for principals and resources that set none. */
function applyDefaults(principals: Map<string, Principal>, resources: Map<string, ResourceRef>, options: SuiteOptions): void {
  for (const map of [principals, resources] as Array<Map<string, Principal | ResourceRef>>) {
    for (const [key, value] of map) {
      if ((options.defaultPolicyVersion && value.policyVersion === undefined) || (options.defaultScope && value.scope === undefined)) {
        map.set(key, {
          ...value,
          ...(value.policyVersion === undefined && options.defaultPolicyVersion ? { policyVersion: options.defaultPolicyVersion } : {}),
          ...(value.scope === undefined && options.defaultScope ? { scope: options.defaultScope } : {}),
        });
      }
    }
  }
}

function parseNow(doc: Document, path: Array<string | number>, at: At): number | undefined {
  const n = doc.getIn(path, true);
  if (n === undefined) return undefined;
  const text = isScalar(n) ? String(n.value) : '';
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw at(n, `options.now must be an RFC 3339 timestamp, got "${text}"`);
  return ms;
}

function parseGlobalsOption(doc: Document, path: Array<string | number>, at: At): Globals | undefined {
  const n = doc.getIn(path, true) as YamlNode | undefined;
  if (n === undefined || n === null) return undefined;
  if (!isMap(n)) throw at(n, 'options.globals must be a mapping of names to values');
  return n.toJSON() as Globals;
}
