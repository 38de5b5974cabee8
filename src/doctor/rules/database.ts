/** High Latency playbook steps 3–4: slow statements (pg_stat_statements), long queries, sequential scans, connections. */
import { formatCount, formatDurationMs } from '../../util/format.js';
import type { CollectedMetrics, Finding } from '../types.js';
import { THRESHOLDS } from './thresholds.js';
import { gauge, pct, windowed } from './evidence.js';

const short = (sql: string, n = 120): string => {
  const one = sql.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

export function statementsAbsent(m: CollectedMetrics): Finding[] {
  const d = m.database;
  if (!d || d.statements !== null) return [];
  return [
    {
      ruleId: 'database.pg-stat-statements-absent',
      playbook: 'high-latency',
      severity: 'info',
      title: `pg_stat_statements is absent: per-statement times are not available (${d.statementsAbsentReason ?? 'not installed'})`,
      evidence: [],
      action:
        d.backend === 'pglite'
          ? 'embedded PGlite has no pg_stat_statements; the sequential-scan and activity checks still ran'
          : "add pg_stat_statements to shared_preload_libraries, restart, and `CREATE EXTENSION pg_stat_statements`; until then the sequential-scan and activity checks are what there is",
    },
  ];
}

export function slowStatements(m: CollectedMetrics): Finding[] {
  const d = m.database;
  if (!d?.statements) return [];
  return d.statements
    .filter((s) => s.meanMs >= THRESHOLDS.dbStatementWarnMs)
    .slice(0, 3)
    .map((s) => ({
      ruleId: 'database.slow-statement',
      playbook: 'high-latency' as const,
      severity: s.meanMs >= THRESHOLDS.dbStatementCriticalMs ? ('critical' as const) : ('warning' as const),
      title: `statement takes ${formatDurationMs(s.meanMs)} on average over ${formatCount(s.calls)} calls: ${short(s.query)}`,
      evidence: [gauge('pg_stat_statements.mean_exec_time', Math.round(s.meanMs * 1000) / 1000, 'ms', THRESHOLDS.dbStatementWarnMs)],
      action: 'EXPLAIN it: `authz-perf explain --database-url URL --queries FILE` names the slow plan node and verifies an index for it',
    }));
}

export function longRunning(m: CollectedMetrics): Finding[] {
  const d = m.database;
  if (!d) return [];
  const slow = d.activity.filter((a) => a.durationMs >= THRESHOLDS.dbActiveMs).slice(0, 3);
  return slow.map((a) => ({
    ruleId: 'database.long-running',
    playbook: 'high-latency' as const,
    severity: 'warning' as const,
    title: `a query has been ${a.state} for ${formatDurationMs(a.durationMs)}${a.waitEvent ? ` (waiting on ${a.waitEvent})` : ''}: ${short(a.query)}`,
    evidence: [gauge('pg_stat_activity now() − query_start', Math.round(a.durationMs), 'ms', THRESHOLDS.dbActiveMs)],
    action: a.waitEvent?.startsWith('Lock')
      ? 'it waits on a lock: find the blocking session with pg_blocking_pids() and shorten the transactions that hold it'
      : 'EXPLAIN it (`authz-perf explain --database-url URL --queries FILE`) and set a statement_timeout for the engine\'s role',
  }));
}

export function sequentialScans(m: CollectedMetrics): Finding[] {
  const d = m.database;
  if (!d) return [];
  return d.tableScans
    .filter((t) => t.seqRowsRead >= THRESHOLDS.dbSeqRows && t.seqScans > t.indexScans)
    .slice(0, 3)
    .map((t) => ({
      ruleId: 'database.seq-scan',
      playbook: 'high-latency' as const,
      severity: 'warning' as const,
      title: `${t.table}: ${formatCount(t.seqScans)} sequential scans read ${formatCount(t.seqRowsRead)} rows in ${formatCount(m.windowS)} s (${formatCount(t.indexScans)} index scans)`,
      evidence: [
        windowed(m, `pg_stat_user_tables.seq_tup_read (${t.table})`, t.seqRowsRead, 'rows', THRESHOLDS.dbSeqRows),
        windowed(m, `pg_stat_user_tables.seq_scan (${t.table})`, t.seqScans, 'scans', t.indexScans),
      ],
      action: `a query filters ${t.table} without an index: \`authz-perf explain --database-url URL --queries FILE\` with that query suggests the index and verifies it`,
    }));
}

export function connectionPool(m: CollectedMetrics): Finding[] {
  const d = m.database;
  const out: Finding[] = [];
  if (d && d.maxConnections > 0) {
    const share = d.connections / d.maxConnections;
    if (share >= THRESHOLDS.dbConnectionsWarn)
      out.push({
        ruleId: 'pool.db-connections',
        playbook: 'high-latency',
        severity: share >= THRESHOLDS.dbConnectionsCritical ? 'critical' : 'warning',
        title: `${formatCount(d.connections)} of ${formatCount(d.maxConnections)} database connections in use (${pct(share, 0)})`,
        evidence: [gauge('pg_stat_activity count ÷ max_connections', Math.round(share * 1000) / 1000, 'ratio', THRESHOLDS.dbConnectionsWarn)],
        action: 'lower each replica\'s pool size or put PgBouncer (transaction pooling) in front: replicas × pool must stay under 80 % of max_connections (`authz-perf size` checks this budget)',
      });
    if (d.waitingOnLocks > 0 || d.idleInTransaction > 0)
      out.push({
        ruleId: 'pool.db-waits',
        playbook: 'high-latency',
        severity: 'warning',
        title: `${formatCount(d.waitingOnLocks)} sessions waiting on locks, ${formatCount(d.idleInTransaction)} idle in transaction`,
        evidence: [gauge('pg_stat_activity wait_event_type = Lock', d.waitingOnLocks, 'sessions', 0), gauge("pg_stat_activity state = 'idle in transaction'", d.idleInTransaction, 'sessions', 0)],
        action: 'sessions idle in a transaction hold their pool connection and locks: set idle_in_transaction_session_timeout and commit sooner',
      });
  }
  const l = m.load;
  if (l && l.connectionsExhausted > 0)
    out.push({
      ruleId: 'pool.client-connections',
      playbook: 'high-latency',
      severity: 'warning',
      title: `${formatCount(l.connectionsExhausted)} requests found all ${formatCount(l.maxConnections)} client connections busy and waited for one`,
      evidence: [windowed(m, 'requests waiting for a free keep-alive connection', l.connectionsExhausted, 'requests', 0, 'load generator')],
      action: 'responses are slower than the arrival rate allows (see the saturation and latency findings); a client pool of in-flight = rate × latency (Little\'s law) connections avoids the wait queue',
    });
  return out;
}
