/**
 * The `Server-Timing` response header (W3C Server Timing): `engine;dur=0.41, handler;dur=0.87`.
 * Only the `engine` and `handler` metrics are read; other metrics, parameters and malformed
 * entries are ignored. Durations are milliseconds; a metric without a valid finite, non-negative
 * `dur` counts as absent.
 */
import type { ServerTiming } from './sender.js';

export function parseServerTiming(header: string | readonly string[] | undefined): ServerTiming | null {
  if (header === undefined) return null;
  const text = typeof header === 'string' ? header : header.join(',');
  return parseCanonical(text) ?? parseGeneral(text);
}

const ENGINE = 'engine;dur=';
const HANDLER = ', handler;dur=';

/**
 * The exact form our serve sends (`engine;dur=0.012, handler;dur=0.034`), read without splitting
 * (one per response on the generator's hot path); null for anything else, which the general
 * parser then reads.
 */
function parseCanonical(text: string): ServerTiming | null {
  if (!text.startsWith(ENGINE)) return null;
  const engineEnd = decimalEnd(text, ENGINE.length);
  if (engineEnd < 0 || !text.startsWith(HANDLER, engineEnd)) return null;
  const handlerStart = engineEnd + HANDLER.length;
  const handlerEnd = decimalEnd(text, handlerStart);
  if (handlerEnd !== text.length) return null;
  return { engineMs: Number(text.slice(ENGINE.length, engineEnd)), handlerMs: Number(text.slice(handlerStart, handlerEnd)) };
}

/** End of the decimal `\d+(\.\d+)?` starting at `i`, or -1 when there is none. */
function decimalEnd(text: string, i: number): number {
  const start = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i === start) return -1;
  if (text.charCodeAt(i) !== 0x2e) return i;
  const fraction = ++i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i === fraction ? -1 : i;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function parseGeneral(text: string): ServerTiming | null {
  let engineMs: number | null = null;
  let handlerMs: number | null = null;
  for (const entry of text.split(',')) {
    const parts = entry.split(';');
    const name = parts[0]!.trim().toLowerCase();
    if (name !== 'engine' && name !== 'handler') continue;
    let dur: number | null = null;
    for (let i = 1; i < parts.length; i++) {
      const eq = parts[i]!.indexOf('=');
      if (eq < 0 || parts[i]!.slice(0, eq).trim().toLowerCase() !== 'dur') continue;
      const raw = parts[i]!.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
      if (Number.isFinite(n)) dur = n;
      break;
    }
    if (dur === null) continue;
    // the first occurrence of a metric wins
    if (name === 'engine' && engineMs === null) engineMs = dur;
    else if (name === 'handler' && handlerMs === null) handlerMs = dur;
  }
  return engineMs === null && handlerMs === null ? null : { engineMs, handlerMs };
}
