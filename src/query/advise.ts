/**
 * From verified candidates to advice: per query the best passing candidate, merged across
 * queries; a chosen index is dropped when other chosen indexes keep nearly all of its gain for
 * every query it serves. Pure.
 */
import { candidateKey, createIndexDdl, indexKeys, type IndexCandidate } from './candidates.js';
import { WRITE_HEAVY_TABLES } from './schema.js';
import type { CandidateEffect, VerifiedCandidate } from './verify.js';
import type { IndexAdvice, RejectedCandidate } from './types.js';

/**
 * A chosen index may give way to another chosen index only if that one keeps this share of the
 * cost reduction for the query. Passing Dexter's 50% bar is not enough: a trigram GIN index
 * passes it for `actor = $1 ORDER BY … LIMIT` yet costs twice what a B-tree does.
 */
export const REPLACEMENT_GAIN_SHARE = 0.9;

/** `a` lists `b`'s columns and more (same table and method): it serves everything `b` does. */
function extendsIndex(a: IndexCandidate, b: IndexCandidate): boolean {
  return a.table === b.table && a.using === b.using && a.opclass === b.opclass && a.columns.length > b.columns.length &&
    b.columns.every((c, i) => a.columns[i] === c);
}

/** Equal cost within rounding: the planner sees no difference for this query's values. */
function sameCost(x: number, y: number): boolean {
  return Math.abs(x - y) <= Math.max(1e-9, 0.005 * Math.max(x, y));
}

export interface AdviceResult {
  indexes: IndexAdvice[];
  /** query id → DDL of accepted indexes helping it */
  advisedByQuery: Map<string, string[]>;
  /** query id → candidates tried for it that did not make it */
  rejectedByQuery: Map<string, RejectedCandidate[]>;
}

/**
 * `origin`: query id → keys of candidates that came from that query's plan (others may still
 * help it, but rejections are only reported where the candidate came from).
 */
export function selectIndexes(verified: VerifiedCandidate[], origin: Map<string, Set<string>>, rowsByTable: Map<string, number> = new Map()): AdviceResult {
  const byKey = new Map(verified.map((v) => [candidateKey(v.candidate), v]));
  const effect = (v: VerifiedCandidate, q: string) => v.effects.find((e) => e.queryId === q);
  // per query: best passing candidate
  const chosen = new Map<string, Set<string>>(); // candidate key → query ids
  const queryIds = new Set<string>();
  for (const v of verified) for (const e of v.effects) queryIds.add(e.queryId);
  // On a cost tie prefer the index extending the other (e.g. (actor, decided_at) over (actor)):
  // the planner saw no difference for this value, but for a frequent one the longer index also
  // gives the ORDER BY or range. Otherwise the smaller index wins the tie.
  const better = (v: VerifiedCandidate, e: CandidateEffect, bv: VerifiedCandidate, be: CandidateEffect): boolean => {
    if (!sameCost(e.costAfter, be.costAfter)) return e.costAfter < be.costAfter;
    if (extendsIndex(v.candidate, bv.candidate)) return true;
    if (extendsIndex(bv.candidate, v.candidate)) return false;
    return v.candidate.columns.length < bv.candidate.columns.length;
  };
  for (const q of queryIds) {
    let best: { v: VerifiedCandidate; e: CandidateEffect } | null = null;
    for (const v of verified) {
      const e = effect(v, q);
      if (!e?.passes) continue;
      if (!best || better(v, e, best.v, best.e)) best = { v, e };
    }
    if (best) {
      const k = candidateKey(best.v.candidate);
      if (!chosen.has(k)) chosen.set(k, new Set());
      chosen.get(k)!.add(q);
    }
  }
  // Fewer indexes on write-heavy tables: drop a chosen index when every query it serves keeps
  // ≥ REPLACEMENT_GAIN_SHARE of its gain with another chosen index (the cheapest for that query).
  const benefit = (k: string) => [...chosen.get(k)!].reduce((sum, q) => { const e = effect(byKey.get(k)!, q)!; return sum + e.costBefore - e.costAfter; }, 0);
  for (const k of [...chosen.keys()].sort((a, b) => benefit(a) - benefit(b) || byKey.get(a)!.candidate.columns.length - byKey.get(b)!.candidate.columns.length)) {
    const qs = chosen.get(k)!;
    const moves = new Map<string, string>();
    for (const q of qs) {
      const own = effect(byKey.get(k)!, q)!;
      let best: { k2: string; cost: number } | null = null;
      for (const k2 of chosen.keys()) {
        if (k2 === k) continue;
        const e = effect(byKey.get(k2)!, q);
        if (e?.passes && (!best || e.costAfter < best.cost)) best = { k2, cost: e.costAfter };
      }
      if (!best || own.costBefore - best.cost < REPLACEMENT_GAIN_SHARE * (own.costBefore - own.costAfter)) break;
      moves.set(q, best.k2);
    }
    if (moves.size !== qs.size) continue;
    for (const [q, k2] of moves) chosen.get(k2)!.add(q);
    chosen.delete(k);
  }
  const indexes: IndexAdvice[] = [];
  const advisedByQuery = new Map<string, string[]>();
  for (const [k, qs] of chosen) {
    const v = byKey.get(k)!;
    const effects = [...qs].map((q) => effect(v, q)!).filter(Boolean);
    const sum = (f: (e: CandidateEffect) => number | null): number | null => {
      let s = 0;
      for (const e of effects) {
        const x = f(e);
        if (x === null) return null;
        s += x;
      }
      return s;
    };
    const costBefore = sum((e) => e.costBefore) ?? 0;
    const costAfter = sum((e) => e.costAfter) ?? 0;
    const ddl = createIndexDdl(v.candidate, true) + ';';
    indexes.push({
      ddl,
      table: v.candidate.table,
      columns: v.candidate.columns,
      using: v.candidate.using,
      method: v.method,
      queries: effects.map((e) => e.queryId),
      costBeforeUnits: costBefore,
      costAfterUnits: costAfter,
      costReduction: costBefore > 0 ? 1 - costAfter / costBefore : 0,
      timeBeforeMs: sum((e) => e.timeBeforeMs),
      timeAfterMs: sum((e) => e.timeAfterMs),
      estimatedSizeBytes: v.sizeBytes,
      writeOverheadNote: writeNote(v.candidate, v.sizeBytes, rowsByTable.get(v.candidate.table)),
    });
    for (const q of qs) advisedByQuery.set(q, [...(advisedByQuery.get(q) ?? []), ddl]);
  }
  indexes.sort((a, b) => (b.costBeforeUnits - b.costAfterUnits) - (a.costBeforeUnits - a.costAfterUnits));
  const accepted = new Set(chosen.keys());
  const rejectedByQuery = new Map<string, RejectedCandidate[]>();
  for (const [q, keys] of origin) {
    const list: RejectedCandidate[] = [];
    for (const k of keys) {
      if (accepted.has(k)) continue;
      const v = byKey.get(k);
      if (!v) continue;
      const e = effect(v, q);
      const reason = v.error ?? (e ? (e.passes ? `passes (${e.reason}) but another index serves this query better` : e.reason) : 'not evaluated');
      list.push({ table: v.candidate.table, columns: v.candidate.columns.map((c) => (v.candidate.opclass ? `${c} ${v.candidate.opclass}` : c)), reason });
    }
    rejectedByQuery.set(q, list);
  }
  return { indexes, advisedByQuery, rejectedByQuery };
}

function writeNote(c: IndexCandidate, sizeBytes: number | null, rows: number | undefined): string | null {
  if (!WRITE_HEAVY_TABLES.has(c.table)) return null;
  const perRow = sizeBytes !== null && rows ? ` (~${Math.round(sizeBytes / rows)} bytes of index per row)` : '';
  return `${c.table} is written on every check: this index adds work to each INSERT${perRow}`;
}

/** One line per write-heavy table that gets indexes: how many, and the per-row index bytes added. */
export function writeOverheadSummary(indexes: IndexAdvice[], rowsByTable: Map<string, number>): string[] {
  const out: string[] = [];
  const tables = [...new Set(indexes.map((i) => i.table))].filter((t) => WRITE_HEAVY_TABLES.has(t));
  for (const t of tables) {
    const mine = indexes.filter((i) => i.table === t);
    const rows = rowsByTable.get(t);
    const bytes = mine.reduce((s, i) => s + (i.estimatedSizeBytes ?? 0), 0);
    const perRow = rows ? `, ~${Math.round(bytes / rows)} bytes of index per row` : '';
    out.push(`${t} is written on every check: ${mine.length} new index${mine.length > 1 ? 'es' : ''} add${mine.length > 1 ? '' : 's'} ${mine.length} index update${mine.length > 1 ? 's' : ''} to each INSERT${perRow}. Add the ones for your hottest queries first and re-run \`authz-perf bench\`/\`loadtest\` to see the write cost.`);
  }
  return out;
}
