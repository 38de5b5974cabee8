/**
 * String, encoder and regex functions cel-js lacks, as cel-go's ext.Strings, ext.Encoders and
 * ext.Regex define them (Cerbos registers all three): charAt, replace (with an optional limit),
 * reverse, strings.quote, format, base64.encode/decode, regex.extract/extractAll/replace.
 * indexOf, lastIndexOf, substring, split, join, lowerAscii, upperAscii and trim are cel-js's own.
 * Patterns are RE2, translated to JavaScript regular expressions by re2.ts.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { Optional } from '@marcbachmann/cel-js';
import { formatString } from './format.js';
import { compileRe2 } from './re2.js';
import { asInt, asList, asString, fail, typeName } from './values.js';

export function charAt(s: string, index: bigint): string {
  const chars = [...s];
  if (index < 0n || index > BigInt(chars.length)) return fail(`index out of range: ${index}`);
  return chars[Number(index)] ?? '';
}

/** Replaces the first `limit` occurrences (all when negative); an empty `from` matches between characters. */
export function replace(s: string, from: string, to: string, limit = -1n): string {
  if (limit === 0n) return s;
  if (from === '') {
    const chars = [...s];
    let out = '';
    let n = 0n;
    for (let i = 0; i <= chars.length; i++) {
      if (limit < 0n || n < limit) {
        out += to;
        n++;
      }
      out += chars[i] ?? '';
    }
    return out;
  }
  if (limit < 0n) return s.split(from).join(to);
  let out = '';
  let rest = s;
  for (let n = 0n; n < limit; n++) {
    const i = rest.indexOf(from);
    if (i < 0) break;
    out += rest.slice(0, i) + to;
    rest = rest.slice(i + from.length);
  }
  return out + rest;
}

const QUOTE_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

/**
 * strings.quote: double-quoted, with backslash escapes for `\a \b \f \n \r \t \v \\ "`; every other
 * character is kept as is (cel-go does not escape other control characters), a lone surrogate
 * becomes U+FFFD.
 */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) out += QUOTE_ESCAPES[ch] ?? (ch.length === 1 && ch >= '\uD800' && ch <= '\uDFFF' ? '\uFFFD' : ch);
  return `${out}"`;
}

const BASE64 = /^[A-Za-z0-9+/]*$/;

/** Standard base64, with or without `=` padding (as cel-go accepts); anything else is an error. */
export function base64Decode(s: string): Uint8Array {
  const body = s.replace(/={1,2}$/, '');
  const padded = body.length !== s.length;
  if (!BASE64.test(body) || body.length % 4 === 1 || (padded && s.length % 4 !== 0)) return fail(`illegal base64 data: ${JSON.stringify(s)}`);
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export function base64Encode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags.replace('g', '')).exec('')!.length - 1;
}

function capture(re: RegExp, pattern: string): (m: RegExpExecArray) => string {
  const groups = groupCount(re);
  if (groups > 1) return fail(`regular expression has more than one capturing group: ${JSON.stringify(pattern)}`);
  return (m) => (groups === 1 ? (m[1] ?? '') : m[0]);
}

export function regexExtract(target: string, pattern: string): Optional<string> {
  const re = compileRe2(pattern, true);
  const pick = capture(re, pattern);
  const m = re.exec(target);
  return m ? Optional.of(pick(m)) : Optional.none();
}

export function regexExtractAll(target: string, pattern: string): string[] {
  const re = compileRe2(pattern, true);
  const pick = capture(re, pattern);
  return [...target.matchAll(re)].map(pick);
}

/** Expands an RE2 replacement: `\N` is group N, `\\` a backslash; other escapes are errors. */
function expandReplacement(repl: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const ch = repl[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = repl[++i];
    if (next === '\\') out += '\\';
    else if (next !== undefined && next >= '0' && next <= '9') out += m[Number(next)] ?? '';
    else return fail(`invalid replacement string: ${JSON.stringify(repl)}`);
  }
  return out;
}

export function regexReplace(target: string, pattern: string, repl: string, count = -1n): string {
  const re = compileRe2(pattern, true);
  if (count === 0n) return target;
  let out = '';
  let last = 0;
  let n = 0n;
  for (const m of target.matchAll(re)) {
    if (count >= 0n && n >= count) break;
    out += target.slice(last, m.index) + expandReplacement(repl, m);
    last = m.index + m[0].length;
    n++;
  }
  return out + target.slice(last);
}

class StringsNamespace {}
class Base64Namespace {}
class RegexNamespace {}

export function registerStrings(env: Environment): void {
  env
    .registerFunction('string.charAt(int): string', (s: unknown, i: unknown) => charAt(s as string, asInt(i, 'charAt')))
    .registerFunction('string.replace(string, string): string', (s: unknown, a: unknown, b: unknown) => replace(s as string, a as string, b as string))
    .registerFunction('string.replace(string, string, int): string', (s: unknown, a: unknown, b: unknown, n: unknown) =>
      replace(s as string, a as string, b as string, asInt(n, 'replace')),
    )
    .registerFunction('string.reverse(): string', (s: unknown) => [...(s as string)].reverse().join(''))
    .registerFunction('string.format(list): string', (s: unknown, args: unknown) => formatString(s as string, asList(args, 'format')))
    .registerType('StringsNamespace', StringsNamespace)
    .registerConstant('strings', 'StringsNamespace', new StringsNamespace())
    .registerFunction('StringsNamespace.quote(string): string', (_ns: unknown, s: unknown) => quote(asString(s, 'strings.quote')))
    .registerType('Base64Namespace', Base64Namespace)
    .registerConstant('base64', 'Base64Namespace', new Base64Namespace())
    .registerFunction('Base64Namespace.encode(bytes): string', (_ns: unknown, b: unknown) =>
      b instanceof Uint8Array ? base64Encode(b) : fail(`base64.encode: expected bytes, got ${typeName(b)}`),
    )
    .registerFunction('Base64Namespace.decode(string): bytes', (_ns: unknown, s: unknown) => base64Decode(asString(s, 'base64.decode')))
    .registerType('RegexNamespace', RegexNamespace)
    .registerConstant('regex', 'RegexNamespace', new RegexNamespace())
    .registerFunction('RegexNamespace.extract(string, string): optional<string>', (_ns: unknown, t: unknown, p: unknown) =>
      regexExtract(asString(t, 'regex.extract'), asString(p, 'regex.extract')),
    )
    .registerFunction('RegexNamespace.extractAll(string, string): list<string>', (_ns: unknown, t: unknown, p: unknown) =>
      regexExtractAll(asString(t, 'regex.extractAll'), asString(p, 'regex.extractAll')),
    )
    .registerFunction('RegexNamespace.replace(string, string, string): string', (_ns: unknown, t: unknown, p: unknown, r: unknown) =>
      regexReplace(asString(t, 'regex.replace'), asString(p, 'regex.replace'), asString(r, 'regex.replace')),
    )
    .registerFunction('RegexNamespace.replace(string, string, string, int): string', (_ns: unknown, t: unknown, p: unknown, r: unknown, n: unknown) =>
      regexReplace(asString(t, 'regex.replace'), asString(p, 'regex.replace'), asString(r, 'regex.replace'), asInt(n, 'regex.replace')),
    );
}
