/**
 * RE2 patterns (what Cerbos's `matches` and `regex.*` take) as JavaScript regular expressions.
 * Translated: `(?P<name>` groups, leading inline flags `(?i)`, `(?s)`, `(?m)`, `\A` and `\z`,
 * POSIX classes inside brackets (`[[:alpha:]]`), one-letter Unicode classes (`\pL`). The result
 * uses the `u` flag, so `.` and classes match code points as RE2 matches runes. Not translated:
 * inline flags after the start or scoped (`(?i:...)`), `(?U)`, `\C`, `\Q...\E`; such patterns
 * fail to compile (an evaluation error). JavaScript-only syntax (lookaround, backreferences) is
 * accepted although RE2 rejects it.
 */
import { fail } from './values.js';

const POSIX: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: '0-9a-zA-Z',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: '\\t ',
  xdigit: '0-9A-Fa-f',
  word: '0-9A-Za-z_',
  punct: '!-\\/:-@\\[-`{-~',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
  ascii: '\\x00-\\x7f',
};

export interface Translated {
  source: string;
  flags: string;
}

export function translateRe2(pattern: string): Translated {
  let flags = '';
  let i = 0;
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    if (lead[1]!.includes('U')) return fail(`error parsing regexp: ungreedy flag (?U) is not supported: ${JSON.stringify(pattern)}`);
    for (const f of lead[1]!) if (!flags.includes(f)) flags += f;
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (next === 'A' && !inClass) out += '(?<![\\s\\S])';
      else if (next === 'z' && !inClass) out += '(?![\\s\\S])';
      else if ((next === 'p' || next === 'P') && /[A-Za-z]/.test(pattern[i + 2] ?? '') ) {
        out += `\\${next}{${pattern[i + 2]}}`;
        i += 3;
        continue;
      } else out += ch + next;
      i += 2;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
      if (posix && POSIX[posix[2]!] !== undefined && posix[1] === '') {
        out += POSIX[posix[2]!];
        i += posix[0].length;
        continue;
      }
      if (ch === ']') inClass = false;
      out += ch;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      i++;
      // a `]` right after `[` or `[^` is a literal in RE2
      if (pattern[i] === '^') out += pattern[i++];
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
      continue;
    }
    out += ch;
    i++;
  }
  return { source: out, flags };
}

const caches = { test: new Map<string, RegExp>(), scan: new Map<string, RegExp>() };
const CACHE_MAX = 512;

/** The pattern compiled (cached); `global` adds the `g` flag for scanning (lastIndex reset). */
export function compileRe2(pattern: string, global = false): RegExp {
  const cache = global ? caches.scan : caches.test;
  const hit = cache.get(pattern);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  const { source, flags } = translateRe2(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, `${flags}${global ? 'g' : ''}u`);
  } catch (err) {
    return fail(`error parsing regexp: ${(err as Error).message}`);
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(pattern, re);
  return re;
}
