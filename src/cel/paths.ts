/**
 * Attribute paths. Cerbos aliases are one path: `R.attr.tags` and `request.resource.attr.tags`
 * are the same for size hints and reporting. The canonical form is the short alias form.
 */
import { UsageError } from '../util/errors.js';

const LONG_TO_SHORT: ReadonlyArray<[string, string]> = [
  ['request.resource', 'R'],
  ['request.principal', 'P'],
  ['variables', 'V'],
  ['constants', 'C'],
];

/** `request.resource.attr.x` → `R.attr.x`; other paths unchanged. */
export function canonicalPath(path: string): string {
  for (const [long, short] of LONG_TO_SHORT) {
    if (path === long) return short;
    if (path.startsWith(long) && path.charCodeAt(long.length) === 46 /* . */) return short + path.slice(long.length);
  }
  return path;
}

const HINT_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.(@items|@keys|@values|[A-Za-z_][A-Za-z0-9_-]*))*$/;

/**
 * Parses `--size-hint PATH=N` values (repeatable) into canonical path → size. `@items` addresses the
 * elements of a list (as in cel-go's SizeEstimate paths): `R.attr.groups.@items.members=50`.
 */
export function parseSizeHints(specs: readonly string[]): Map<string, number> {
  const hints = new Map<string, number>();
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const path = eq > 0 ? spec.slice(0, eq).trim() : '';
    const raw = eq > 0 ? spec.slice(eq + 1).trim() : '';
    if (!path || !HINT_PATH.test(path) || !/^\d+$/.test(raw)) {
      throw new UsageError(
        `--size-hint: expected PATH=N with an attribute path and a non-negative integer (e.g. R.attr.tags=100), got "${spec}"`,
      );
    }
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--size-hint: size ${raw} is too large (max ${Number.MAX_SAFE_INTEGER})`);
    hints.set(canonicalPath(path.replace(/\.@(keys|values)$/, '.@items').replace(/\.@(keys|values)\./g, '.@items.')), n);
  }
  return hints;
}
