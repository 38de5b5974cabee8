/**
 * A check response as JSON text, byte for byte what JSON.stringify(response) gives, reusing the
 * text of what the engine shares between responses. A cached decision's result is frozen with
 * everything it holds (engine.ts sharedResult), and its `actions` map, frozen and flat, is shared
 * by the results of every resource the decision covers: each is serialized once. JSON.stringify
 * took about 0.5 µs per result; a reused result costs one WeakMap read, a result of its own around
 * shared actions about 0.25 µs.
 */
import type { CheckResponse, ResourceResult } from './types.js';

const texts = new WeakMap<object, string>();

export function checkResponseJson(response: CheckResponse): string {
  const results = response.results;
  let s = `{"requestId":${JSON.stringify(response.requestId)},"results":[`;
  for (let i = 0; i < results.length; i++) s += i === 0 ? resultJson(results[i]) : `,${resultJson(results[i])}`;
  return `${s}]}`;
}

function resultJson(r: ResourceResult | undefined): string {
  if (typeof r !== 'object' || r === null) return JSON.stringify(r) ?? 'null';
  if (Object.isFrozen(r)) return keptJson(r);
  const actions: unknown = r.actions;
  // only the engine's shared actions are frozen; a toJSON anywhere up the chain changes the text
  if (typeof actions !== 'object' || actions === null || !Object.isFrozen(actions) || typeof (r as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(r);
  // own enumerable keys in order, as JSON.stringify walks them; undefined, functions and symbols are left out
  let s = '';
  for (const k of Object.keys(r)) {
    const v: unknown = (r as unknown as Record<string, unknown>)[k];
    const text = v === actions ? keptJson(actions) : (JSON.stringify(v) as string | undefined);
    if (text !== undefined) s += `${s === '' ? '{' : ','}${KEYS[k] ?? `${JSON.stringify(k)}:`}${text}`;
  }
  return s === '' ? '{}' : `${s}}`;
}

/** The JSON of a frozen object the engine shares (frozen all through, so its text cannot change). */
function keptJson(o: object): string {
  let text = texts.get(o);
  if (text === undefined) {
    text = JSON.stringify(o);
    texts.set(o, text);
  }
  return text;
}

const KEYS: Record<string, string | undefined> = Object.assign(Object.create(null) as Record<string, string>, {
  resource: '"resource":',
  actions: '"actions":',
  meta: '"meta":',
  outputs: '"outputs":',
  validationErrors: '"validationErrors":',
});
