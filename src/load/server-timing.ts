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
