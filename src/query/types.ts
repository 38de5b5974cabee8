/**
 * The `explain` report section: per query a compact plan tree, findings by severity and index
 * advice; a summary of the indexes that passed verification.
 */

export type Severity = 'critical' | 'warning' | 'info';

export type RuleId =
  | 'seq-scan'
  | 'rows-removed-by-filter'
  | 'misestimate'
  | 'sort-spill'
  | 'hash-batches'
  | 'lossy-bitmap'
  | 'heap-fetches'
  | 'workers-not-launched'
  | 'non-sargable'
  | 'offset-pagination'
  | 'select-star'
  | 'hotspot';

/** One node of the plan, flattened in depth-first order. */
export interface PlanNodeSummary {
  /** depth-first index, 0 = root */
  id: number;
  depth: number;
  nodeType: string;
  /** e.g. `Seq Scan on decisions`, `Index Scan using decisions_pkey on decisions` */
  label: string;
  relation: string | null;
  estRows: number;
  /** per loop, as PostgreSQL reports it; null without ANALYZE or when never executed */
  actualRows: number | null;
  loops: number | null;
  totalCostUnits: number;
  /** this node and its children, loops multiplied (wall clock for parallel parts) */
  inclusiveTimeMs: number | null;
  /** children subtracted */
  exclusiveTimeMs: number | null;
  /** exclusive time / total execution time, 0..1 */
  timeShare: number | null;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** the plan node the finding is about (PlanNodeSummary.id), null for query-level findings */
  nodeId: number | null;
  nodeLabel: string | null;
  /** that node's share of total execution time, 0..1 */
  timeShare: number | null;
  message: string;
  /** the plan figures that triggered the rule */
  evidence: string;
  advice: string;
}

export type VerificationMethod = 'hypopg' | 'rolled-back-index';

export interface IndexAdvice {
  /** `CREATE INDEX CONCURRENTLY …` to run on the real database */
  ddl: string;
  table: string;
  /** columns or expressions, in index order */
  columns: string[];
  using: 'btree' | 'gin';
  method: VerificationMethod;
  /** ids of the queries whose plan cost dropped by ≥ 50% with this index */
  queries: string[];
  /** summed plan cost of those queries before and after */
  costBeforeUnits: number;
  costAfterUnits: number;
  /** 0..1 */
  costReduction: number;
  /** summed measured execution time (rolled-back-index with ANALYZE only; null otherwise) */
  timeBeforeMs: number | null;
  timeAfterMs: number | null;
  /** hypopg_relation_size or pg_relation_size of the real index */
  estimatedSizeBytes: number | null;
  /** set for write-heavy tables (decisions, audit_logs) */
  writeOverheadNote: string | null;
}

export interface RejectedCandidate {
  table: string;
  columns: string[];
  reason: string;
}

export type QueryKind = 'select' | 'insert' | 'update' | 'delete' | 'other';

export interface QueryAnalysis {
  id: string;
  /** `file:line` of the statement, or the plan file */
  source: string;
  sql: string | null;
  kind: QueryKind;
  status: 'ok' | 'error' | 'timeout';
  /** one line: what went wrong (status error/timeout) */
  error: string | null;
  /** whether the plan carries actual times (EXPLAIN ANALYZE) */
  analyzed: boolean;
  planningTimeMs: number | null;
  executionTimeMs: number | null;
  totalCostUnits: number | null;
  plan: PlanNodeSummary[];
  findings: Finding[];
  /** DDL of accepted indexes that help this query */
  advisedIndexes: string[];
  rejectedCandidates: RejectedCandidate[];
}

export interface SeedInfo {
  schema: string;
  rows: { policies: number; decisions: number; auditLogs: number };
  durationMs: number;
}

export interface ExplainSection {
  backend: {
    kind: 'postgres' | 'pglite' | 'none';
    /** e.g. 150020; null for --plan */
    serverVersionNum: number | null;
    hypopg: boolean;
  };
  /** which verification was used for index advice (null when no candidate was verified) */
  verification: VerificationMethod | null;
  input: { kind: 'catalog' | 'queries' | 'plan'; files: string[] };
  /** null on a user database (no seeding) */
  seed: SeedInfo | null;
  analyze: boolean;
  statementTimeoutMs: number;
  queries: QueryAnalysis[];
  indexes: IndexAdvice[];
  /** per write-heavy table that gets indexes: the write cost they add */
  writeOverhead: string[];
  summary: {
    queries: number;
    errors: number;
    critical: number;
    warning: number;
    info: number;
    totalExecutionTimeMs: number | null;
  };
}
