/**
 * Limits on one check request, after Cerbos's `server.requestLimits` (50 resources per request,
 * 50 actions per resource) plus two of our own on the JSON text: how deeply it nests and how long
 * one string may be. The JSON limits are checked on the raw bytes before JSON.parse, in one pass
 * that allocates nothing, so a hostile body is refused before it is turned into objects (and
 * before any recursive walk of the attributes could exhaust the stack).
 */

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

/** A request over one of the limits: `field` is where (as in RequestShapeError), `message` names the limit and its flag. */
export class RequestLimitError extends Error {
  override readonly name = 'RequestLimitError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Index of the quote that ends the string starting at `from` (skipping escaped quotes), or -1. */
function closingQuote(bytes: Uint8Array, from: number): number {
  let q = bytes.indexOf(QUOTE, from);
  while (q >= 0) {
    let slashes = 0;
    while (q - 1 - slashes >= from && bytes[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    q = bytes.indexOf(QUOTE, q + 1);
  }
  return -1;
}

/**
 * Throws a RequestLimitError when the JSON text in `bytes` nests deeper than `maxJsonDepth` or
 * holds a string longer than `maxStringBytes`. Malformed JSON is left to JSON.parse: this scan only
 * tracks strings and brackets.
 */
export function checkJsonLimits(bytes: Uint8Array, limits: Pick<RequestLimits, 'maxJsonDepth' | 'maxStringBytes'>): void {
  const maxDepth = limits.maxJsonDepth;
  const maxString = limits.maxStringBytes;
  const n = bytes.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      const start = i + 1;
      let end = closingQuote(bytes, start);
      if (end < 0) end = n;
      if (end - start > maxString) {
        throw new RequestLimitError('body', `a string of ${end - start} bytes at byte ${i} exceeds the limit of ${maxString} bytes (--max-string-bytes)`);
      }
      i = end;
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
  const resources = Object.prototype.hasOwnProperty.call(body, 'resources') ? (body as { resources: unknown }).resources : undefined;
  if (!Array.isArray(resources)) return;
  if (resources.length > limits.maxResources) {
    throw new RequestLimitError('resources', `${resources.length} resources exceed the limit of ${limits.maxResources} per request (--max-resources)`);
  }
  for (let i = 0; i < resources.length; i++) {
    const entry: unknown = resources[i];
    if (typeof entry !== 'object' || entry === null || !Object.prototype.hasOwnProperty.call(entry, 'actions')) continue;
    const count = lengthOf((entry as { actions: unknown }).actions);
    if (count > limits.maxActions) {
      throw new RequestLimitError(`resources[${i}].actions`, `${count} actions exceed the limit of ${limits.maxActions} per resource (--max-actions)`);
    }
  }
}
