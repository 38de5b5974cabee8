/** Collected-metrics fixtures for the rule unit tests: a healthy engine, and overrides per fault. */
import type { CelExpressionStat, CollectedMetrics, DatabaseFigures } from '../../src/doctor/types.js';

export function healthy(over: Partial<CollectedMetrics> = {}): CollectedMetrics {
  return {
    flavour: 'authz-perf',
    windowS: 60,
    scrapes: 11,
    hostCores: 4,
    engineCores: 1,
    slo: { p99Ms: 50, errorRate: 0.001, source: 'test' },
    requests: { count: 60_000, rps: 1000, errors: 0, errorRate: 0 },
    latency: { source: 'test histogram', p50Ms: 0.4, p99Ms: 4, meanMs: 0.6, count: 60_000 },
    serverCpu: 0.3,
    cache: { hits: 150_000, misses: 10_000, hitRate: 0.9375, entries: 4000, maxEntries: 10_000, ttlS: 60 },
    cel: { evaluations: 40_000, seconds: 2, shareOfCheckTime: 0.2, perExpression: null, perExpressionSource: null },
    memory: {
      rssBytes: 120 * 2 ** 20,
      heapUsedBytes: 40 * 2 ** 20,
      heapTotalBytes: 60 * 2 ** 20,
      heapLimitBytes: 4096 * 2 ** 20,
      externalBytes: 3 * 2 ** 20,
      oldGenUsedBytes: 35 * 2 ** 20,
      oldGenLimitBytes: null,
      gcTimeShare: 0.01,
      gcByKind: [{ kind: 'minor', count: 200, seconds: 0.4, p99Ms: 10 }],
      gcCpuShare: null,
      gogcPercent: null,
    },
    eventLoop: { p99Ms: 11, maxMs: 15, meanMs: 10.2, medianP99Ms: 10.5 },
    load: null,
    database: null,
    lostTarget: null,
    ...over,
  };
}

export function expressionStat(over: Partial<CelExpressionStat> = {}): CelExpressionStat {
  return {
    id: 'resource.dataset.vdefault#rules[3].condition.match.expr',
    location: 'scenarios/heavy-cel/policies/dataset.yaml:70:13',
    policy: 'resource.dataset.vdefault',
    owner: 'secret-needs-secret-clearance',
    kind: 'condition',
    expression: 'R.attr.columns.exists(c, c.classification == "secret")',
    evaluations: 1000,
    errors: 0,
    errorSample: null,
    nsPerEval: 26_000,
    share: 0.46,
    staticCostMax: null,
    staticUnbounded: true,
    growsWith: ['R.attr.columns'],
    suggestion: null,
    ...over,
  };
}

export function database(over: Partial<DatabaseFigures> = {}): DatabaseFigures {
  return {
    backend: 'postgres',
    serverVersion: '15.4',
    statements: [],
    statementsAbsentReason: null,
    activity: [],
    connections: 10,
    maxConnections: 100,
    waitingOnLocks: 0,
    idleInTransaction: 0,
    tableScans: [],
    ...over,
  };
}
