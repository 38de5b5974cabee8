import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ancestorOf, commonAncestors, overlaps, parseHierarchy, siblingOf } from '../../src/engine/cel-library/hierarchy.js';
import { formatAddr, goNetContains, parseAddr, parseGoCIDR, parseGoIP, parsePrefix, prefixContains } from '../../src/engine/cel-library/ip-parse.js';
import { inIPAddrRange } from '../../src/engine/cel-library/network.js';
import { CelFunctionError } from '../../src/engine/cel-library/values.js';

const level = fc.stringMatching(/^[a-z0-9_-]{0,4}$/);
const levels = fc.array(level, { minLength: 1, maxLength: 6 });

test('hierarchy: joining levels with the delimiter and parsing gives the levels back', () => {
  fc.assert(
    fc.property(levels, fc.constantFrom('.', ':', '::', '/'), (ls, d) => {
      fc.pre(ls.every((l) => !l.includes(d[0]!)));
      assert.deepEqual(parseHierarchy(ls.join(d), d), ls);
    }),
    { numRuns: 300 },
  );
});

test('hierarchy: any string parses, and the relations agree with each other', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (x, y) => {
      const a = parseHierarchy(x);
      const b = parseHierarchy(y);
      assert.equal(a.join('.'), x);
      if (ancestorOf(a, b)) assert.ok(overlaps(a, b) && !ancestorOf(b, a) && a.length < b.length);
      assert.equal(overlaps(a, b), overlaps(b, a));
      assert.equal(siblingOf(a, b), siblingOf(b, a));
      const common = commonAncestors(a, b);
      assert.ok(common.length < Math.max(a.length, b.length) || a.length !== b.length);
      assert.deepEqual(common, a.slice(0, common.length));
      assert.deepEqual(common, b.slice(0, common.length));
    }),
    { numRuns: 300 },
  );
});

const octet = fc.integer({ min: 0, max: 255 });
const v4 = fc.tuple(octet, octet, octet, octet);
const group = fc.integer({ min: 0, max: 0xffff });
const v6 = fc.array(group, { minLength: 8, maxLength: 8 });

test('IP parser: dotted IPv4 round-trips through its canonical text', () => {
  fc.assert(
    fc.property(v4, (o) => {
      const text = o.join('.');
      const addr = parseAddr(text)!;
      assert.ok(addr);
      assert.deepEqual([...addr.bytes], o);
      assert.equal(formatAddr(addr), text);
    }),
    { numRuns: 300 },
  );
});

test('IP parser: IPv6 in full form parses to its groups, and the canonical text parses to the same bytes', () => {
  fc.assert(
    fc.property(v6, fc.boolean(), (gs, upper) => {
      const full = gs.map((g) => g.toString(16).padStart(4, '0')).join(':');
      const addr = parseAddr(upper ? full.toUpperCase() : full)!;
      assert.ok(addr);
      const canonical = formatAddr(addr);
      assert.deepEqual(parseAddr(canonical)!.bytes, addr.bytes);
      assert.ok(!/::.*::/.test(canonical) && !/(^|:)0[0-9a-f]/.test(canonical), canonical);
    }),
    { numRuns: 300 },
  );
});

test('IP and CIDR parsers: any string is accepted or refused without throwing; inIPAddrRange only raises CEL errors', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 45 }), fc.string({ maxLength: 45 }), (ip, cidr) => {
      parseAddr(ip);
      parsePrefix(cidr);
      parseGoCIDR(cidr);
      try {
        const r = inIPAddrRange(ip, cidr);
        assert.equal(typeof r, 'boolean');
      } catch (err) {
        assert.ok(err instanceof CelFunctionError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});

test('CIDR: an address is in its own /n network, and in the masked network, for every prefix length', () => {
  fc.assert(
    fc.property(v4, fc.integer({ min: 0, max: 32 }), (o, bits) => {
      const text = `${o.join('.')}/${bits}`;
      const p = parsePrefix(text)!;
      assert.ok(p);
      assert.ok(prefixContains(p, parseAddr(o.join('.'))!));
      assert.ok(goNetContains(parseGoCIDR(text)!, parseGoIP(o.join('.'))!));
      // the same network written as IPv4-mapped IPv6 contains the same IPv4 addresses
      assert.ok(goNetContains(parseGoCIDR(`::ffff:${o.join('.')}/${96 + bits}`)!, parseGoIP(o.join('.'))!));
    }),
    { numRuns: 300 },
  );
});

test('RE2 translation: any pattern compiles or raises a CEL error, and plain literals match themselves', async () => {
  const { compileRe2 } = await import('../../src/engine/cel-library/re2.js');
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (pattern) => {
      try {
        compileRe2(pattern);
      } catch (err) {
        assert.ok(err instanceof CelFunctionError, String(err));
      }
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.stringMatching(/^[a-zA-Z0-9 _-]{0,20}$/), (text) => {
      assert.ok(compileRe2(`^${text}$`).test(text));
    }),
    { numRuns: 200 },
  );
});

test('string methods index by code point: swapping BMP letters for astral ones changes no index or split', async () => {
  const { indexOf, lastIndexOf, substring, split } = await import('../../src/engine/cel-library/string-overrides.js');
  const astral: Record<string, string> = { a: '😀', b: '𝔟', c: 'c' };
  const toAstral = (s: string): string => [...s].map((ch) => astral[ch] ?? ch).join('');
  const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 8 });
  const pos = fc.bigInt({ min: 0n, max: 10n });
  const outcome = (fn: () => unknown): unknown => {
    try {
      const v = fn();
      return Array.isArray(v) ? v.map((x: string) => toAstral(x)) : typeof v === 'string' ? toAstral(v) : v;
    } catch (err) {
      return `error ${(err as Error).message}`;
    }
  };
  const same = (fn: (t: (s: string) => string) => unknown): void => {
    const plain = outcome(() => fn((s) => s));
    let wide: unknown;
    try {
      wide = fn(toAstral);
    } catch (err) {
      wide = `error ${(err as Error).message}`;
    }
    assert.deepEqual(wide, plain);
  };
  fc.assert(
    fc.property(text, text, pos, pos, (s, sub, p, q) => {
      same((t) => indexOf(t(s), t(sub), p));
      same((t) => lastIndexOf(t(s), t(sub), p));
      same((t) => lastIndexOf(t(s), t(sub)));
      same((t) => substring(t(s), p < q ? p : q, p < q ? q : p));
      same((t) => split(t(s), t(sub), p - 2n));
    }),
    { numRuns: 500 },
  );
});

test('time-zone offsets: "±hh:mm" reads as minutes east of UTC; any other text is a name, an offset, or a CEL error', async () => {
  const { fixedOffsetMinutes, zonedFields } = await import('../../src/engine/cel-library/time.js');
  fc.assert(
    fc.property(fc.constantFrom('+', '-', ''), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (sign, h, m) => {
      const zone = `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
      const minutes = (sign === '-' ? -1 : 1) * (h * 60 + m);
      assert.equal(fixedOffsetMinutes(zone), minutes);
      const t = new Date(Date.UTC(2024, 1, 29, 12, 0, 0));
      const shifted = new Date(t.getTime() + minutes * 60_000);
      assert.equal(zonedFields(t, zone).hours, shifted.getUTCHours());
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), (zone) => {
      try {
        const r = fixedOffsetMinutes(zone);
        assert.ok(r === undefined || Number.isInteger(r));
      } catch (err) {
        assert.ok(err instanceof CelFunctionError, String(err));
      }
    }),
    { numRuns: 300 },
  );
});
