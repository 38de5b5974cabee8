/**
 * IP address and CIDR parsing as Go does it, which is what Cerbos's functions see:
 * - `parseAddr`: Go's netip.ParseAddr. IPv4 is four decimal fields 0-255 without leading zeros;
 *   IPv6 is up to eight hex groups of 1-4 digits, one `::`, an optional dotted IPv4 tail and an
 *   optional `%zone`.
 * - `parsePrefix`: netip.ParsePrefix (`addr/bits`, bits decimal without leading zeros, no zone).
 * - `parseGoCIDR` + `goNetContains`: net.ParseCIDR and (*net.IPNet).Contains, which treat
 *   IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) as IPv4; `inIPAddrRange` is defined by them.
 */

export interface Addr {
  /** 4 bytes for IPv4, 16 for IPv6 (including IPv4-mapped IPv6) */
  bytes: Uint8Array;
  zone: string;
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let head = s;
  let tailV4: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    if (!tailV4) return undefined;
    head = s.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps its "::"; "1::2:1.2.3.4" leaves a trailing ":" to drop
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsNeeded = tailV4 ? 6 : 8;
  const doubleAt = head.indexOf('::');
  if (doubleAt !== head.lastIndexOf('::')) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const vals: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      vals.push(parseInt(g, 16));
    }
    return vals;
  };
  let groups: number[];
  if (doubleAt >= 0) {
    const left = parseGroups(head.slice(0, doubleAt));
    const right = parseGroups(head.slice(doubleAt + 2));
    if (!left || !right || left.length + right.length >= groupsNeeded) return undefined;
    groups = [...left, ...new Array<number>(groupsNeeded - left.length - right.length).fill(0), ...right];
  } else {
    const all = parseGroups(head);
    if (!all || all.length !== groupsNeeded) return undefined;
    groups = all;
  }
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (tailV4) out.set(tailV4, 12);
  return out;
}

/** netip.ParseAddr, or undefined. */
export function parseAddr(s: string): Addr | undefined {
  if (s.includes(':')) {
    const pct = s.indexOf('%');
    const zone = pct >= 0 ? s.slice(pct + 1) : '';
    if (pct >= 0 && zone === '') return undefined;
    const bytes = parseV6(pct >= 0 ? s.slice(0, pct) : s);
    return bytes ? { bytes, zone } : undefined;
  }
  const bytes = parseV4(s);
  return bytes ? { bytes, zone: '' } : undefined;
}

export function is4In6(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The canonical text (netip.Addr.String): dotted IPv4, RFC 5952 IPv6. */
export function formatAddr(addr: Addr): string {
  const b = addr.bytes;
  const zone = addr.zone ? `%${addr.zone}` : '';
  if (b.length === 4) return b.join('.');
  if (is4In6(b)) return `::ffff:${b.subarray(12).join('.')}${zone}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // longest run (at least two) of zero groups, the first one on a tie
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups) + zone;
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}${zone}`;
}

export interface Prefix {
  addr: Addr;
  bits: number;
}

/** netip.ParsePrefix, or undefined. */
export function parsePrefix(s: string): Prefix | undefined {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddr(s.slice(0, slash));
  if (!addr || addr.zone !== '') return undefined;
  const bitsText = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > addr.bytes.length * 8) return undefined;
  return { addr, bits };
}

function maskBytes(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** netip.Prefix.Masked: host bits cleared. */
export function maskedPrefix(p: Prefix): Prefix {
  return { addr: { bytes: maskBytes(p.addr.bytes, p.bits), zone: '' }, bits: p.bits };
}

/** netip.Prefix.Contains: same family, prefix bits equal; an address with a zone never matches. */
export function prefixContains(p: Prefix, addr: Addr): boolean {
  if (addr.zone !== '' || addr.bytes.length !== p.addr.bytes.length) return false;
  const a = maskBytes(addr.bytes, p.bits);
  const n = maskBytes(p.addr.bytes, p.bits);
  return a.every((x, i) => x === n[i]);
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr(p.addr)}/${p.bits}`;
}

/** Go's net.ParseIP: netip.ParseAddr without a zone. */
export function parseGoIP(s: string): Uint8Array | undefined {
  const addr = parseAddr(s);
  return addr && addr.zone === '' ? addr.bytes : undefined;
}

/** net.IPNet after net.ParseCIDR: the masked network number and the mask, 4 or 16 bytes each. */
export interface GoNet {
  ip: Uint8Array;
  mask: Uint8Array;
}

/** net.ParseCIDR: the prefix length may have leading zeros (Go's dtoi), no zone. */
export function parseGoCIDR(s: string): GoNet | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseGoIP(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!ip || !/^[0-9]+$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > ip.length * 8) return undefined;
  const mask = maskBytes(new Uint8Array(ip.length).fill(0xff), bits);
  return { ip: maskBytes(ip, bits), mask };
}

/** The 4-byte form of an IPv4 or IPv4-mapped address (Go's IP.To4), else undefined. */
function to4(ip: Uint8Array): Uint8Array | undefined {
  if (ip.length === 4) return ip;
  return is4In6(ip) ? ip.subarray(12) : undefined;
}

/** (*net.IPNet).Contains with Go's IPv4-mapped normalisation on both sides. */
export function goNetContains(net: GoNet, ip: Uint8Array): boolean {
  const nn = to4(net.ip) ?? net.ip;
  let m = net.mask;
  if (m.length === 16 && nn.length === 4) m = m.subarray(12);
  if (m.length === 4 && nn.length !== 4) return false;
  const x = to4(ip) ?? ip;
  if (x.length !== nn.length) return false;
  for (let i = 0; i < x.length; i++) if ((x[i]! & m[i]!) !== nn[i]) return false;
  return true;
}
