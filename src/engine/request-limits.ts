/**
 * Limits on one check request, after Cerbos's `server.requestLimits` (50 resources per request,
 * 50 actions per resource) plus two of our own on the JSON text: how deeply it nests and how long
 * one string may be. The JSON limits are checked on the raw bytes before JSON.parse, in one pass
 * that allocates nothing, so a hostile body is refused before it is turned into objects (and
 * before any recursive walk of the attributes could exhaust the stack).
 */
import { RequestShapeError } from './request.js';

export interface RequestLimits {
  /** resources per request (Cerbos default 50) */
  maxResources: number;
  /** actions per resource entry (Cerbos default 50) */
  maxActions: number;
  /** nesting of objects and arrays, counted from the body itself (depth 1) */
  maxJsonDepth: number;
  /** bytes of one JSON string (key or value) as written in the body, escapes included */
  maxStringBytes: number;
}

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({
  maxResources: 50,
  maxActions: 50,
  maxJsonDepth: 32,
  maxStringBytes: 64 * 1024,
});

/** A request over one of the limits: `field` is where, `message` names the limit and its flag. */
export class RequestLimitError extends RequestShapeError {
  override readonly name = 'RequestLimitError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** More than `max` opening brackets in `bytes` (counted natively, ignoring strings: an upper bound of the depth). */
function moreBracketsThan(bytes: Uint8Array, max: number): boolean {
  let count = 0;
  for (let i = bytes.indexOf(OPEN_BRACE); i >= 0; i = bytes.indexOf(OPEN_BRACE, i + 1)) if (++count > max) return true;
  for (let i = bytes.indexOf(OPEN_BRACKET); i >= 0; i = bytes.indexOf(OPEN_BRACKET, i + 1)) if (++count > max) return true;
  return false;
}

/**
 * Throws a RequestLimitError when the JSON text in `bytes` nests deeper than `maxJsonDepth` or
 * holds a string longer than `maxStringBytes`. Malformed JSON is left to JSON.parse: this scan only
 * tracks strings and brackets. A body too short to hold such a string and with too few brackets
 * to nest that deep (most requests) is passed after a native count of its brackets.
 */
export function checkJsonLimits(bytes: Uint8Array, limits: Pick<RequestLimits, 'maxJsonDepth' | 'maxStringBytes'>): void {
  const maxDepth = limits.maxJsonDepth;
  const maxString = limits.maxStringBytes;
  const n = bytes.length;
  if (n <= maxString && !moreBracketsThan(bytes, maxDepth)) return;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      const start = i + 1;
      for (i = start; i < n; i++) {
        const c = bytes[i]!;
        if (c === QUOTE) break;
        if (c === BACKSLASH) i++;
      }
      const length = Math.min(i, n) - start;
      if (length > maxString) {
        throw new RequestLimitError('body', `a string of ${length} bytes at byte ${start - 1} exceeds the limit of ${maxString} bytes (--max-string-bytes)`);
      }
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) throw new RequestLimitError('body', `JSON nested deeper than the limit of ${maxDepth} levels at byte ${i} (--max-json-depth)`);
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/**
 * Throws a RequestLimitError when the parsed body lists more resources, or a resource more
 * actions, than allowed. Only counts list lengths (no validation: a malformed body is left to
 * toCheckRequest), so it runs before the body is validated entry by entry.
 */
export function checkCountLimits(body: unknown, limits: Pick<RequestLimits, 'maxResources' | 'maxActions'>): void {
  if (typeof body !== 'object' || body === null) return;
  // a parsed JSON body: its objects inherit only from Object.prototype, which has no such fields
  const resources: unknown = (body as { resources?: unknown }).resources;
  if (!Array.isArray(resources)) return;
  if (resources.length > limits.maxResources) {
    throw new RequestLimitError('resources', `${resources.length} resources exceed the limit of ${limits.maxResources} per request (--max-resources)`);
  }
  for (let i = 0; i < resources.length; i++) {
    const entry: unknown = resources[i];
    if (typeof entry !== 'object' || entry === null) continue;
    const count = lengthOf((entry as { actions?: unknown }).actions);
    if (count > limits.maxActions) {
      throw new RequestLimitError(`resources[${i}].actions`, `${count} actions exceed the limit of ${limits.maxActions} per resource (--max-actions)`);
    }
  }
}
