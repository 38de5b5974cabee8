/**
 * cel-js built-in string methods replaced with cel-go's semantics: indexOf, lastIndexOf,
 * substring and split count code points (cel-js counts UTF-16 units, so text with emoji
 * differs), indexOf/lastIndexOf with a start position past the end answer -1 instead of
 * failing, and matches() takes RE2 patterns (`(?i)`, `[[:alpha:]]`, `\pL`...) also as the global
 * `matches(text, pattern)`. cel-js offers no way to replace an overload, so each method is a macro
 * (see macro-kit.ts) registered on a receiver type cel-js does not use for it; the macro takes
 * every call of that name and arity and checks the receiver itself.
 * upperAscii/lowerAscii (cel-js also changes non-ASCII letters) and trim (cel-js also strips
 * U+FEFF and keeps U+0085) take no argument; they are replaced through replace-overload.ts.
 */
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import { registerMacro, type CelType, type MacroChecker, type MacroScope } from './macro-kit.js';
import { compileRe2 } from './re2.js';
import type { MethodReplacer } from './replace-overload.js';
import { asInt, asString, fail, typeName } from './values.js';

/** Code points of a string (cel-go indexes strings by rune). */
function chars(s: string): string[] {
  return [...s];
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** True when UTF-16 indexes are code-point indexes (no character outside the BMP): the fast path. */
function bmp(...texts: string[]): boolean {
  return texts.every((t) => !SURROGATE.test(t));
}

function startsAt(cs: string[], sub: string[], i: number): boolean {
  if (i + sub.length > cs.length) return false;
  for (let j = 0; j < sub.length; j++) if (cs[i + j] !== sub[j]) return false;
  return true;
}

export function indexOf(s: string, sub: string, pos = 0n): bigint {
  if (pos < 0n) return fail(`index out of range: ${pos}`);
  if (bmp(s, sub)) {
    const len = BigInt(s.length);
    if (sub === '') return pos < len ? pos : len;
    return pos >= len ? -1n : BigInt(s.indexOf(sub, Number(pos)));
  }
  const cs = chars(s);
  const ss = chars(sub);
  if (ss.length === 0) return pos < BigInt(cs.length) ? pos : BigInt(cs.length);
  for (let i = Number(pos); i < cs.length; i++) if (startsAt(cs, ss, i)) return BigInt(i);
  return -1n;
}

export function lastIndexOf(s: string, sub: string, pos?: bigint): bigint {
  if (pos !== undefined && pos < 0n) return fail(`index out of range: ${pos}`);
  if (bmp(s, sub)) {
    const len = BigInt(s.length);
    if (sub === '') return pos === undefined || pos > len ? len : pos;
    if (pos === undefined) return BigInt(s.lastIndexOf(sub));
    return pos >= len ? -1n : BigInt(s.lastIndexOf(sub, Number(pos)));
  }
  const cs = chars(s);
  const ss = chars(sub);
  const len = BigInt(cs.length);
  if (ss.length === 0) return pos === undefined || pos > len ? len : pos;
  if (pos !== undefined && pos >= len) return -1n;
  for (let i = pos === undefined ? cs.length - 1 : Number(pos); i >= 0; i--) if (startsAt(cs, ss, i)) return BigInt(i);
  return -1n;
}

export function substring(s: string, start: bigint, end?: bigint): string {
  const cs = bmp(s) ? s : chars(s);
  const len = BigInt(cs.length);
  if (start < 0n || start > len) return fail(`index out of range: ${start}`);
  if (end !== undefined) {
    if (end < 0n || end > len) return fail(`index out of range: ${end}`);
    if (start > end) return fail(`invalid substring range. start: ${start}, end: ${end}`);
  }
  const part = cs.slice(Number(start), end === undefined ? undefined : Number(end));
  return typeof part === 'string' ? part : part.join('');
}

/** Go's strings.SplitN: an empty separator splits into code points; n < 0 means no limit. */
export function split(s: string, sep: string, n = -1n): string[] {
  if (n === 0n) return [];
  const parts = sep === '' ? chars(s) : s.split(sep);
  if (n < 0n || BigInt(parts.length) <= n) return parts;
  const k = Number(n);
  const head = parts.slice(0, k - 1);
  head.push(sep === '' ? parts.slice(k - 1).join('') : parts.slice(k - 1).join(sep));
  return head;
}

export function matches(s: string, pattern: string): boolean {
  return compileRe2(pattern).test(s);
}

interface OverrideState {
  params: ASTNode[];
}

function isStringish(t: CelType): boolean {
  return t.name === 'string' || t.name === 'dyn';
}

/** A receiver method `name` with the given parameter kinds ('string' | 'int'), as a macro. */
function override(env: Environment, name: string, params: Array<'string' | 'int'>, returns: string, impl: (recv: string, ...args: unknown[]) => unknown): void {
  const astParams = params.map(() => 'ast').join(', ');
  registerMacro<OverrideState>(env, `map.${name}(${astParams}): ${returns}`, ({ args }) => ({ params: args }), {
    typeCheck(checker: MacroChecker, state, scope: MacroScope) {
      const recv = checker.check(state.receiver!, scope);
      const argTypes = state.params.map((p) => checker.check(p, scope));
      const ok = isStringish(recv) && argTypes.every((t, i) => t.name === 'dyn' || t.name === params[i]);
      if (!ok) throw new Error(`found no matching overload for '${name}' applied to '${recv.name}.(${argTypes.map((t) => t.name).join(', ')})'`);
      return checker.getType(returns);
    },
    evaluate(ev, state, scope) {
      const recv = ev.run(state.receiver!, scope);
      if (typeof recv !== 'string') return fail(`no such overload: ${typeName(recv)}.${name}`);
      const values = state.params.map((p, i) => (params[i] === 'int' ? asInt(ev.run(p, scope), name) : asString(ev.run(p, scope), name)));
      return impl(recv, ...values);
    },
  });
}

export function registerStringOverrides(env: Environment, methods: MethodReplacer): void {
  methods.replace('string', 'trim', 'string', trim);
  methods.replace('string', 'lowerAscii', 'string', lowerAscii);
  methods.replace('string', 'upperAscii', 'string', upperAscii);
  override(env, 'indexOf', ['string'], 'int', (s, sub) => indexOf(s, sub as string));
  override(env, 'indexOf', ['string', 'int'], 'int', (s, sub, pos) => indexOf(s, sub as string, pos as bigint));
  override(env, 'lastIndexOf', ['string'], 'int', (s, sub) => lastIndexOf(s, sub as string));
  override(env, 'lastIndexOf', ['string', 'int'], 'int', (s, sub, pos) => lastIndexOf(s, sub as string, pos as bigint));
  override(env, 'substring', ['int'], 'string', (s, start) => substring(s, start as bigint));
  override(env, 'substring', ['int', 'int'], 'string', (s, start, end) => substring(s, start as bigint, end as bigint));
  override(env, 'split', ['string'], 'list<string>', (s, sep) => split(s, sep as string));
  override(env, 'split', ['string', 'int'], 'list<string>', (s, sep, n) => split(s, sep as string, n as bigint));
  override(env, 'matches', ['string'], 'bool', (s, p) => matches(s, p as string));
  env.registerFunction('matches(string, string): bool', (s: unknown, p: unknown) => matches(asString(s, 'matches'), asString(p, 'matches')));
}

/** Go's unicode.IsSpace set (strings.TrimSpace): JavaScript's trim set without U+FEFF, plus U+0085. */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

export function trim(s: string): string {
  return s.replace(TRIM, '');
}

export function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function upperAscii(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}
