/**
 * Documented constants: used only where nothing was measured, and always labelled as such in the
 * output. The capacity defaults are fixed reference constants (250m CPU per 1,000 RPS, 10,000 RPS
 * per replica, 1 KB per policy; reports label them "reference constants"), so an uncalibrated run reproduces that
 * reference calculation; the memory defaults are a Node.js engine process's typical figures, to be replaced by `--from` a bench/loadtest report or `--measure`.
 */
import type { ReferenceProfileName } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The reference capacity constants that sizing compares its own figures with. */
export const REFERENCE = {
  /** "250m CPU per 1,000 RPS" */
  millicoresPer1000Rps: 250,
  /** "10,000 RPS per replica" */
  rpsPerReplica: 10_000,
  /** "1 KB per cached policy" */
  bytesPerPolicy: 1_000,
} as const;

export interface ReferenceProfile {
  name: ReferenceProfileName;
  /** inclusive lower bound, RPS */
  fromRps: number;
  /** exclusive upper bound, RPS (xlarge: Infinity) */
  toRps: number;
  range: string;
}

/** The reference deployment profiles: small < 5k, medium 5–25k, large 25–100k, xlarge > 100k RPS. */
export const REFERENCE_PROFILES: readonly ReferenceProfile[] = [
  { name: 'small', fromRps: 0, toRps: 5_000, range: '< 5k RPS' },
  { name: 'medium', fromRps: 5_000, toRps: 25_000, range: '5k–25k RPS' },
  { name: 'large', fromRps: 25_000, toRps: 100_001, range: '25k–100k RPS' },
  { name: 'xlarge', fromRps: 100_001, toRps: Number.POSITIVE_INFINITY, range: '> 100k RPS' },
];

export function referenceProfileFor(rps: number): ReferenceProfile {
  return REFERENCE_PROFILES.find((p) => rps >= p.fromRps && rps < p.toRps) ?? REFERENCE_PROFILES[REFERENCE_PROFILES.length - 1]!;
}

export interface DefaultConstant {
  name: string;
  value: number;
  unit: string;
  rationale: string;
}

export const DEFAULTS = {
  /** 1000 m ÷ 250 m per 1,000 RPS */
  perCoreRps: 4_000,
  baseLatencyMs: 0,
  /** Node.js runtime + the engine and a small policy set, idle-to-moderate load */
  baseRssBytes: 64 * MiB,
  bytesPerPolicy: REFERENCE.bytesPerPolicy,
  /** a decision-cache entry: key string, decision object, LRU bookkeeping */
  bytesPerCacheEntry: 512,
  /** an HTTP keep-alive socket: buffers and parser state */
  bytesPerConnection: 32 * KiB,
  /** a node-postgres client on the engine side */
  bytesPerDbConnection: 256 * KiB,
  /** server CPU for HTTP + JSON around one check (bench measures the check alone) */
  httpOverheadNs: 100_000,
  p99TargetMs: 10,
  headroom: 0.7,
  cpuPerReplica: 2,
  haMinReplicas: 3,
  minReplicas: 1,
  policies: 100,
  cacheSize: 10_000,
  cacheHitRate: 0.5,
  /** PostgreSQL's default max_connections */
  dbMaxConnections: 100,
  /** node-postgres' default pool max */
  poolSize: 10,
  /** keep 20% of max_connections for admin, migrations and other clients */
  dbHeadroom: 0.2,
  /** HPA maxReplicas = ceil(replicas at peak × this): room for bursts beyond the planned peak */
  hpaBurstFactor: 1.5,
  /** Kubernetes HPA tolerance: no scaling while |metric/target − 1| ≤ 0.1 */
  hpaTolerance: 0.1,
  /** loadtest steps with more errors than this are not capacity measurements */
  maxCalibrationErrorRate: 0.05,
} as const;

export const WHAT_IF_LEVELS: readonly number[] = [1_000, 5_000, 25_000, 100_000, 1_000_000];

/** The defaults with their reasons, as listed in the report. */
export function defaultConstants(): DefaultConstant[] {
  return [
    { name: 'perCoreRps', value: DEFAULTS.perCoreRps, unit: 'RPS/core', rationale: "reference: 250m CPU per 1,000 RPS (not measured)" },
    { name: 'referenceRpsPerReplica', value: REFERENCE.rpsPerReplica, unit: 'RPS', rationale: 'reference: 10,000 RPS per replica (comparison only)' },
    { name: 'baseRssBytes', value: DEFAULTS.baseRssBytes, unit: 'bytes', rationale: 'Node.js process with the engine loaded (typical, not measured)' },
    { name: 'bytesPerPolicy', value: DEFAULTS.bytesPerPolicy, unit: 'bytes', rationale: 'reference: 1 KB per cached policy' },
    { name: 'bytesPerCacheEntry', value: DEFAULTS.bytesPerCacheEntry, unit: 'bytes', rationale: 'decision-cache entry: key + decision + LRU links (estimate)' },
    { name: 'bytesPerConnection', value: DEFAULTS.bytesPerConnection, unit: 'bytes', rationale: 'HTTP keep-alive socket buffers and parser (estimate)' },
    { name: 'bytesPerDbConnection', value: DEFAULTS.bytesPerDbConnection, unit: 'bytes', rationale: 'node-postgres client, engine side (estimate)' },
    { name: 'httpOverheadNs', value: DEFAULTS.httpOverheadNs, unit: 'ns', rationale: 'server CPU for Node.js http + JSON around one check, added to the bench check time (estimate: ~10k requests per core-second; a loadtest report measures it)' },
    { name: 'p99TargetMs', value: DEFAULTS.p99TargetMs, unit: 'ms', rationale: 'used when neither --p99, the scenario nor the report gives an SLO' },
    { name: 'cacheHitRate', value: DEFAULTS.cacheHitRate, unit: 'ratio', rationale: 'blend of cached/uncached bench checks when neither --cache-hit-rate nor a measured rate is given' },
    { name: 'dbMaxConnections', value: DEFAULTS.dbMaxConnections, unit: 'connections', rationale: "PostgreSQL's default max_connections" },
    { name: 'poolSize', value: DEFAULTS.poolSize, unit: 'connections', rationale: "node-postgres' default pool size" },
    { name: 'hpaBurstFactor', value: DEFAULTS.hpaBurstFactor, unit: '×', rationale: 'HPA maxReplicas above the planned peak, for bursts' },
  ];
}
