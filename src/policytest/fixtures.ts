/**
 * Shared test fixtures (`testdata/principals|resources|auxdata.{yaml,yml,json}` next to the suites,
 * with top-level `principals`, `resources` and `auxData` maps) and the parsers of one named
 * principal, resource or auxData entry, which suites use for their own definitions too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { InputError } from '../util/errors.js';
import type { AttrValue, Attributes, Principal, ResourceRef } from '../engine/index.js';

export type At = (node: unknown, message: string) => InputError;

export interface Fixtures {
  principals: Map<string, Principal>;
  resources: Map<string, ResourceRef>;
  auxData: Map<string, Record<string, AttrValue>>;
}

export function emptyFixtures(): Fixtures {
  return { principals: new Map(), resources: new Map(), auxData: new Map() };
}

const FILES = { principals: 'principals', resources: 'resources', auxData: 'auxdata' } as const;

/** The fixtures in `<folder>/testdata/` (none when the folder or a file is missing). */
export async function loadFixtures(folder: string): Promise<Fixtures> {
  const fixtures = emptyFixtures();
  for (const key of Object.keys(FILES) as Array<keyof typeof FILES>) {
    for (const ext of ['yaml', 'yml', 'json']) {
      const file = join(folder, 'testdata', `${FILES[key]}.${ext}`);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      const lines = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
      const at: At = (node, message) => {
        const pos = lines.linePos((node as YamlNode | null | undefined)?.range?.[0] ?? 0);
        return new InputError(message, { file, line: Math.max(1, pos.line), column: Math.max(1, pos.col) });
      };
      const first = doc.errors[0];
      if (first) throw at({ range: first.pos }, `invalid YAML: ${first.message.split('\n')[0]}`);
      const js = doc.toJS() as unknown;
      if (!isPlainObject(js)) throw at(doc.contents, `a fixture file must be a mapping with ${key}`);
      const node = (path: Array<string | number>): unknown => doc.getIn(path, true);
      for (const [name, raw] of namedEntries(js, key, node, at)) {
        const where = (): unknown => node([key, name]);
        if (key === 'principals') fixtures.principals.set(name, parsePrincipal(raw, name, where, at));
        else if (key === 'resources') fixtures.resources.set(name, parseResource(raw, name, where, at));
        else fixtures.auxData.set(name, parseAuxData(raw, name, where, at));
      }
    }
  }
  return fixtures;
}

export function parsePrincipal(raw: unknown, key: string, where: () => unknown, at: At): Principal {
  const id: unknown = isPlainObject(raw) ? raw['id'] : undefined;
  const roles: unknown = isPlainObject(raw) ? raw['roles'] : undefined;
  if (typeof id !== 'string' || !Array.isArray(roles)) throw at(where(), `principals.${key} needs id and roles`);
  const p = raw as Record<string, unknown>;
  const attr: unknown = p['attr'] ?? {};
  if (!isPlainObject(attr)) throw at(where(), `principals.${key}.attr must be a mapping`);
  const principal: Principal = { id, roles: roles.map(String), attr: attr as Attributes };
  if (typeof p['scope'] === 'string' && p['scope'] !== '') principal.scope = p['scope'];
  if (typeof p['policyVersion'] === 'string' && p['policyVersion'] !== '') principal.policyVersion = p['policyVersion'];
  return principal;
}

export function parseResource(raw: unknown, key: string, where: () => unknown, at: At): ResourceRef {
  const kind: unknown = isPlainObject(raw) ? raw['kind'] : undefined;
  const id: unknown = isPlainObject(raw) ? raw['id'] : undefined;
  if (typeof kind !== 'string' || typeof id !== 'string') throw at(where(), `resources.${key} needs kind and id`);
  const r = raw as Record<string, unknown>;
  const attr: unknown = r['attr'] ?? {};
  if (!isPlainObject(attr)) throw at(where(), `resources.${key}.attr must be a mapping`);
  const ref: ResourceRef = { kind, id, attr: attr as Attributes };
  if (typeof r['policyVersion'] === 'string' && r['policyVersion'] !== '') ref.policyVersion = r['policyVersion'];
  if (typeof r['scope'] === 'string' && r['scope'] !== '') ref.scope = r['scope'];
  return ref;
}

/** `{ jwt: { claims } }` → the claims (CEL `request.auxData.jwt`). */
export function parseAuxData(raw: unknown, key: string, where: () => unknown, at: At): Record<string, AttrValue> {
  if (!isPlainObject(raw)) throw at(where(), `auxData.${key} must be a mapping`);
  const jwt = raw['jwt'] ?? {};
  if (!isPlainObject(jwt)) throw at(where(), `auxData.${key}.jwt must be a mapping of claims`);
  return jwt as Record<string, AttrValue>;
}

/** Entries of a top-level mapping of named fixtures (`principals`, `resources`, `auxData`). */
export function namedEntries(js: Record<string, unknown>, key: string, node: (p: Array<string | number>) => unknown, at: At): Array<[string, unknown]> {
  const value = js[key];
  if (value !== undefined && value !== null && !isPlainObject(value)) throw at(node([key]), `${key} must be a mapping of names`);
  return entries(value);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function entries(value: unknown): Array<[string, unknown]> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}

