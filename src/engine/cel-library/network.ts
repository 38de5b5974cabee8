/**
 * Network functions: Cerbos's `string.inIPAddrRange(cidr)` (Go net.ParseIP/ParseCIDR/Contains
 * semantics, IPv4-mapped addresses count as IPv4) and cel-go's network library, which Cerbos
 * 0.55 registers: `ip()`, `cidr()`, `isIP()`, `isCIDR()`, `ip.isCanonical()`, the `net.IP`
 * methods (family, isUnspecified, isLoopback, isLinkLocalMulticast, isLinkLocalUnicast,
 * isGlobalUnicast) and the `net.CIDR` methods (containsIP, containsCIDR, ip, masked,
 * prefixLength), `string()` of both and `==`. ip()/cidr() reject zones and IPv4-mapped IPv6.
 * Cerbos reports an invalid literal (`ip("x")`) when the policy compiles; here it is an
 * evaluation error, so the condition is false.
 */
import type { Environment } from '@marcbachmann/cel-js';
import {
  formatAddr,
  formatPrefix,
  goNetContains,
  is4In6,
  maskedPrefix,
  parseAddr,
  parseGoCIDR,
  parseGoIP,
  parsePrefix,
  prefixContains,
  type Addr,
  type Prefix,
} from './ip-parse.js';
import { asString, fail } from './values.js';

/** A `net.IP` value. */
export class CelIP {
  constructor(readonly addr: Addr) {}
  equals(other: unknown): boolean {
    return other instanceof CelIP && formatAddr(this.addr) === formatAddr(other.addr);
  }
  toString(): string {
    return formatAddr(this.addr);
  }
}

/** A `net.CIDR` value (host bits kept, as written). */
export class CelCIDR {
  constructor(readonly prefix: Prefix) {}
  equals(other: unknown): boolean {
    return other instanceof CelCIDR && formatPrefix(this.prefix) === formatPrefix(other.prefix);
  }
  toString(): string {
    return formatPrefix(this.prefix);
  }
}

function strictAddr(s: string): Addr | undefined {
  const addr = parseAddr(s);
  if (!addr || addr.zone !== '' || is4In6(addr.bytes)) return undefined;
  return addr;
}

function ipOf(s: string): CelIP {
  const addr = parseAddr(s);
  if (!addr) return fail(`IP Address "${s}" parse error during conversion from string`);
  if (addr.zone !== '') return fail(`IP address "${s}" with zone value is not allowed`);
  if (is4In6(addr.bytes)) return fail(`IPv4-mapped IPv6 address "${s}" is not allowed`);
  return new CelIP(addr);
}

function cidrOf(s: string): CelCIDR {
  const prefix = parsePrefix(s);
  if (!prefix || is4In6(prefix.addr.bytes)) return fail(`network address "${s}" parse error during conversion from string`);
  return new CelCIDR(prefix);
}

function asIP(v: unknown, fn: string): CelIP {
  if (v instanceof CelIP) return v;
  return typeof v === 'string' ? ipOf(v) : fail(`${fn}: expected net.IP`);
}

function asCIDR(v: unknown, fn: string): CelCIDR {
  if (v instanceof CelCIDR) return v;
  return typeof v === 'string' ? cidrOf(v) : fail(`${fn}: expected net.CIDR`);
}

/** Cerbos's inIPAddrRange: true when the address lies in the network. */
export function inIPAddrRange(ip: string, cidr: string): boolean {
  const addr = parseGoIP(ip);
  if (!addr) return fail(`invalid IP address: ${ip}`);
  const net = parseGoCIDR(cidr);
  if (!net) return fail(`invalid CIDR address: ${cidr}`);
  return goNetContains(net, addr);
}

function v4(addr: Addr): boolean {
  return addr.bytes.length === 4;
}

function isLoopback(a: Addr): boolean {
  return v4(a) ? a.bytes[0] === 127 : a.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}

function isUnspecified(a: Addr): boolean {
  return a.bytes.every((b) => b === 0);
}

function isMulticast(a: Addr): boolean {
  return v4(a) ? (a.bytes[0]! & 0xf0) === 0xe0 : a.bytes[0] === 0xff;
}

function isLinkLocalUnicast(a: Addr): boolean {
  return v4(a) ? a.bytes[0] === 169 && a.bytes[1] === 254 : a.bytes[0] === 0xfe && (a.bytes[1]! & 0xc0) === 0x80;
}

function isLinkLocalMulticast(a: Addr): boolean {
  return v4(a) ? a.bytes[0] === 224 && a.bytes[1] === 0 && a.bytes[2] === 0 : a.bytes[0] === 0xff && (a.bytes[1]! & 0x0f) === 0x02;
}

function isGlobalUnicast(a: Addr): boolean {
  if (v4(a) && a.bytes.every((b) => b === 255)) return false;
  return !isUnspecified(a) && !isLoopback(a) && !isMulticast(a) && !isLinkLocalUnicast(a);
}

class IpNamespace {}

export function registerNetwork(env: Environment): void {
  env
    .registerType('net.IP', CelIP)
    .registerType('net.CIDR', CelCIDR)
    .registerType('IpNamespace', IpNamespace)
    .registerConstant('ip', 'IpNamespace', new IpNamespace())
    .registerFunction('string.inIPAddrRange(string): bool', (ip: unknown, cidr: unknown) => inIPAddrRange(ip as string, cidr as string))
    .registerFunction('ip(string): net.IP', (s: unknown) => ipOf(asString(s, 'ip')))
    .registerFunction('cidr(string): net.CIDR', (s: unknown) => cidrOf(asString(s, 'cidr')))
    .registerFunction('isIP(string): bool', (s: unknown) => strictAddr(asString(s, 'isIP')) !== undefined)
    .registerFunction('isCIDR(string): bool', (s: unknown) => {
      const p = parsePrefix(asString(s, 'isCIDR'));
      return p !== undefined && !is4In6(p.addr.bytes);
    })
    .registerFunction('IpNamespace.isCanonical(string): bool', (_ns: unknown, s: unknown) => {
      const text = asString(s, 'ip.isCanonical');
      const addr = parseAddr(text);
      if (!addr) return fail(`IP Address "${text}" parse error during conversion from string`);
      return formatAddr(addr) === text;
    })
    .registerFunction('string(net.IP): string', (ip: unknown) => String(ip))
    .registerFunction('string(net.CIDR): string', (c: unknown) => String(c))
    .registerFunction('net.IP.family(): int', (ip: unknown) => (v4((ip as CelIP).addr) ? 4n : 6n))
    .registerFunction('net.IP.isUnspecified(): bool', (ip: unknown) => isUnspecified((ip as CelIP).addr))
    .registerFunction('net.IP.isLoopback(): bool', (ip: unknown) => isLoopback((ip as CelIP).addr))
    .registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: unknown) => isLinkLocalMulticast((ip as CelIP).addr))
    .registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: unknown) => isLinkLocalUnicast((ip as CelIP).addr))
    .registerFunction('net.IP.isGlobalUnicast(): bool', (ip: unknown) => isGlobalUnicast((ip as CelIP).addr))
    .registerFunction('net.CIDR.containsIP(dyn): bool', (c: unknown, ip: unknown) => prefixContains((c as CelCIDR).prefix, asIP(ip, 'containsIP').addr))
    .registerFunction('net.CIDR.containsCIDR(dyn): bool', (c: unknown, other: unknown) => {
      const outer = (c as CelCIDR).prefix;
      const inner = asCIDR(other, 'containsCIDR').prefix;
      return outer.bits <= inner.bits && prefixContains(outer, inner.addr);
    })
    .registerFunction('net.CIDR.ip(): net.IP', (c: unknown) => new CelIP((c as CelCIDR).prefix.addr))
    .registerFunction('net.CIDR.masked(): net.CIDR', (c: unknown) => new CelCIDR(maskedPrefix((c as CelCIDR).prefix)))
    .registerFunction('net.CIDR.prefixLength(): int', (c: unknown) => BigInt((c as CelCIDR).prefix.bits))
    .registerOperator('net.IP == net.IP', (a: unknown, b: unknown) => (a as CelIP).equals(b))
    .registerOperator('net.CIDR == net.CIDR', (a: unknown, b: unknown) => (a as CelCIDR).equals(b));
}
