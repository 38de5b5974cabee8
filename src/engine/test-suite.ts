/**
 * Cerbos-style policy test suites (`*_test.yaml`): named principals and resources, and tests that
 * check every principal × resource × action of their input. As in Cerbos, a combination the
 * `expected` list does not mention is expected to be EFFECT_DENY. `options` (suite or test; a
 * test's own options replace the suite's, as in Cerbos): `now` pins the clock behind CEL `now()`,
 * `globals` are the engine globals (numbers in them are doubles, as `cerbos compile` reads them,
 * unlike a server's configuration, where integers are ints).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { InputError } from '../util/errors.js';
import { createEngine } from './engine.js';
import type { PolicySet } from './policy-set.js';
import type { Attributes, Effect, Globals, Principal, ResourceRef } from './types.js';

export interface SuiteTest {
  name: string;
  skip: boolean;
  /** ms since epoch for `now()`, when pinned */
  now?: number;
  globals?: Globals;
  principals: string[];
  resources: string[];
  actions: string[];
  /** `principal\u0000resource` → action → effect */
  expected: Map<string, Record<string, Effect>>;
}

export interface TestSuite {
  name: string;
  description: string;
  file: string;
  principals: Map<string, Principal>;
  resources: Map<string, ResourceRef>;
  tests: SuiteTest[];
}

export interface TestFailure {
  suite: string;
  test: string;
  file: string;
  principal: string;
  resource: string;
  action: string;
  expected: Effect;
  actual: Effect;
}

export interface TestSuiteResults {
  suites: number;
  tests: number;
  skipped: number;
  /** principal × resource × action combinations checked */
  cases: number;
  failures: TestFailure[];
}

const SUITE_FILE = /_test\.(ya?ml|json)$/i;

/** Every `*_test.yaml|yml|json` under `dir` (recursive), sorted by path. */
export async function loadTestSuites(dir: string): Promise<TestSuite[]> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (SUITE_FILE.test(e.name)) files.push(p);
    }
  };
  await walk(dir);
  files.sort();
  const suites: TestSuite[] = [];
  for (const file of files) suites.push(parseTestSuite(await readFile(file, 'utf8'), file));
  return suites;
}

export function parseTestSuite(text: string, file: string): TestSuite {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: unknown, message: string): InputError => {
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
  const suiteNow = parseNow(doc, ['options', 'now'], at);
  const suiteGlobals = parseGlobalsOption(doc, ['options', 'globals'], at);

  for (const key of ['principals', 'resources'] as const) {
    if (js[key] !== undefined && js[key] !== null && !isPlainObject(js[key])) throw at(node([key]), `${key} must be a mapping of names`);
  }
  const principals = new Map<string, Principal>();
  for (const [key, raw] of entries(js['principals'])) {
    const where = node(['principals', key]);
    const id: unknown = isPlainObject(raw) ? raw['id'] : undefined;
    const roles: unknown = isPlainObject(raw) ? raw['roles'] : undefined;
    if (typeof id !== 'string' || !Array.isArray(roles)) throw at(where, `principals.${key} needs id and roles`);
    const attr: unknown = (raw as Record<string, unknown>)['attr'] ?? {};
    if (!isPlainObject(attr)) throw at(where, `principals.${key}.attr must be a mapping`);
    const principal: Principal = { id, roles: roles.map(String), attr: attr as Attributes };
    const p = raw as Record<string, unknown>;
    if (typeof p['scope'] === 'string' && p['scope'] !== '') principal.scope = p['scope'];
    if (typeof p['policyVersion'] === 'string' && p['policyVersion'] !== '') principal.policyVersion = p['policyVersion'];
    principals.set(key, principal);
  }
  const resources = new Map<string, ResourceRef>();
  for (const [key, raw] of entries(js['resources'])) {
    const where = node(['resources', key]);
    const kind: unknown = isPlainObject(raw) ? raw['kind'] : undefined;
    const id: unknown = isPlainObject(raw) ? raw['id'] : undefined;
    if (typeof kind !== 'string' || typeof id !== 'string') throw at(where, `resources.${key} needs kind and id`);
    const r = raw as Record<string, unknown>;
    const attr: unknown = r['attr'] ?? {};
    if (!isPlainObject(attr)) throw at(where, `resources.${key}.attr must be a mapping`);
    const ref: ResourceRef = { kind, id, attr: attr as Attributes };
    const version: unknown = r['policyVersion'];
    if (typeof version === 'string') ref.policyVersion = version;
    if (typeof r['scope'] === 'string' && r['scope'] !== '') ref.scope = r['scope'];
    resources.set(key, ref);
  }

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
    const test: SuiteTest = {
      name: typeof t['name'] === 'string' ? t['name'] : `tests[${i}]`,
      skip: t['skip'] === true,
      principals: list('principals', principals),
      resources: list('resources', resources),
      actions: list('actions'),
      expected: new Map(),
    };
    const own = isPlainObject(t['options']);
    const now = own ? parseNow(doc, ['tests', i, 'options', 'now'], at) : suiteNow;
    if (now !== undefined) test.now = now;
    const globals = own ? parseGlobalsOption(doc, ['tests', i, 'options', 'globals'], at) : suiteGlobals;
    if (globals !== undefined) test.globals = globals;
    const expectedRaw = t['expected'] ?? [];
    if (!Array.isArray(expectedRaw)) throw at(node(['tests', i, 'expected']), `tests[${i}].expected must be a list`);
    expectedRaw.forEach((e: unknown, j) => {
      const where = node(['tests', i, 'expected', j]);
      if (!isPlainObject(e)) throw at(where ?? node(['tests', i, 'expected']), `tests[${i}].expected[${j}] must be a mapping`);
      const p = String(e['principal']);
      const r = String(e['resource']);
      if (!test.principals.includes(p)) throw at(where, `tests[${i}].expected[${j}]: principal "${p}" is not in the test input`);
      if (!test.resources.includes(r)) throw at(where, `tests[${i}].expected[${j}]: resource "${r}" is not in the test input`);
      const actions: Record<string, Effect> = {};
      for (const [action, effect] of entries(e['actions'])) {
        if (effect !== 'EFFECT_ALLOW' && effect !== 'EFFECT_DENY') {
          throw at(node(['tests', i, 'expected', j, 'actions', action]), `effect must be EFFECT_ALLOW or EFFECT_DENY, got ${String(effect)}`);
        }
        if (!test.actions.includes(action)) throw at(node(['tests', i, 'expected', j, 'actions']), `action "${action}" is not in the test input`);
        actions[action] = effect;
      }
      test.expected.set(`${p}\u0000${r}`, actions);
    });
    return test;
  });
  return { name, description: typeof js['description'] === 'string' ? js['description'] : '', file, principals, resources, tests };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entries(value: unknown): Array<[string, unknown]> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}

function parseNow(doc: Document, path: Array<string | number>, at: (node: unknown, message: string) => InputError): number | undefined {
  const n = doc.getIn(path, true);
  if (n === undefined) return undefined;
  const text = isScalar(n) ? String(n.value) : '';
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw at(n, `options.now must be an RFC 3339 timestamp, got "${text}"`);
  return ms;
}

function parseGlobalsOption(doc: Document, path: Array<string | number>, at: (node: unknown, message: string) => InputError): Globals | undefined {
  const n = doc.getIn(path, true) as YamlNode | undefined;
  if (n === undefined || n === null) return undefined;
  if (!isMap(n)) throw at(n, 'options.globals must be a mapping of names to values');
  return n.toJSON() as Globals;
}

/** Runs every (non-skipped) test against a fresh, uncached engine per test. */
export function runTestSuites(policySet: PolicySet, suites: TestSuite[]): TestSuiteResults {
  const results: TestSuiteResults = { suites: suites.length, tests: 0, skipped: 0, cases: 0, failures: [] };
  for (const suite of suites) {
    for (const test of suite.tests) {
      if (test.skip) {
        results.skipped++;
        continue;
      }
      results.tests++;
      const pinned = test.now;
      const engine = createEngine(policySet, {
        cache: false,
        ...(pinned === undefined ? {} : { now: () => pinned }),
        ...(test.globals === undefined ? {} : { globals: test.globals }),
      });
      const resources = test.resources.map((r) => ({ resource: suite.resources.get(r)!, actions: test.actions }));
      for (const pName of test.principals) {
        const response = engine.check({ requestId: `${suite.name}/${test.name}`, principal: suite.principals.get(pName)!, resources });
        response.results.forEach((result, k) => {
          const rName = test.resources[k]!;
          const expected = test.expected.get(`${pName}\u0000${rName}`) ?? {};
          for (const action of test.actions) {
            results.cases++;
            const want: Effect = expected[action] ?? 'EFFECT_DENY';
            const got: Effect = result.actions[action] ?? 'EFFECT_DENY';
            if (want !== got) {
              results.failures.push({ suite: suite.name, test: test.name, file: suite.file, principal: pName, resource: rName, action, expected: want, actual: got });
            }
          }
        });
      }
    }
  }
  return results;
}
