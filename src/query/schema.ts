/**
 * The reference store of an authorization engine: policies, decisions (the decision log) and
 * audit_logs. Only primary keys are indexed, so the advisor has real work to do. Seeding is one
 * INSERT … SELECT generate_series per table with a hash of the row number as the random source:
 * the same row counts give the same data on every backend.
 */

export interface SeedSizes {
  policies: number;
  decisions: number;
  auditLogs: number;
}

/** `--rows N` sets the decision count; the other tables keep the default proportions. */
export function seedSizesForRows(decisions: number): SeedSizes {
  return {
    decisions,
    auditLogs: Math.round(decisions * 2.5),
    policies: Math.max(50, Math.min(2_000, Math.round(decisions / 100))),
  };
}

/** `--setup` on a server: large enough that bad plans show in time as well as in cost. */
export const DEFAULT_SEED_SIZES: SeedSizes = seedSizesForRows(200_000);

/**
 * Embedded PGlite (seeded on every run): the smallest size that still shows the whole catalog —
 * critical seq scans on both big tables, the LIKE misestimate (10k decisions loses it), OFFSET
 * pagination and the same six verified indexes as 200k — in ~a tenth of the seeding time.
 */
export const DEFAULT_PGLITE_SEED_SIZES: SeedSizes = seedSizesForRows(20_000);

export const REFERENCE_TABLES = ['policies', 'decisions', 'audit_logs'] as const;

/** Tables the engine writes on every request: indexes there cost write throughput. */
export const WRITE_HEAVY_TABLES: ReadonlySet<string> = new Set(['decisions', 'audit_logs']);

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function createSchemaSql(schema: string): string {
  const s = quoteIdent(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.policies (
  id            bigint PRIMARY KEY,
  name          text NOT NULL,
  resource_kind text NOT NULL,
  version       text NOT NULL,
  scope         text NOT NULL,
  active        boolean NOT NULL,
  definition    jsonb NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.decisions (
  id            bigint PRIMARY KEY,
  request_id    text NOT NULL,
  actor         text NOT NULL,
  actor_roles   text[] NOT NULL,
  resource_kind text NOT NULL,
  resource_id   text NOT NULL,
  action        text NOT NULL,
  effect        text NOT NULL,
  policy_id     bigint NOT NULL,
  latency_us    integer NOT NULL,
  decided_at    timestamptz NOT NULL,
  context       jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.audit_logs (
  id            bigint PRIMARY KEY,
  principal     text NOT NULL,
  event_type    text NOT NULL,
  resource_kind text NOT NULL,
  resource_id   text NOT NULL,
  occurred_at   timestamptz NOT NULL,
  source_ip     text NOT NULL,
  payload       jsonb NOT NULL
);
`;
}

const KINDS = "(ARRAY['document','invoice','project','account','report','ticket','repo','album','order','user','team','secret'])";
const ACTIONS = "(ARRAY['view','view','view','view','edit','edit','create','delete','approve','share'])";
const EVENTS = "(ARRAY['check','check','check','check','check','check','policy.update','policy.create','login','logout','token.refresh','admin.access'])";
/** Epoch of the seeded data (fixed, so the catalog's time windows always hit data). */
export const SEED_EPOCH = '2026-01-01T00:00:00Z';

/** One round of a 31-bit integer mix, spelled out: `((x # (x >> 15)) * 1597334677) % 2^31`. */
const mix = (x: string) => `(((${x}) # ((${x}) >> 15)) * 1597334677) % 2147483648`;

/**
 * Deterministic pseudo-random in [0,1) from (row number, salt): two rounds of the mix, as plain
 * arithmetic: a SQL function is not inlined when its argument is used twice, and calling it
 * per row made seeding 2.3× slower on PGlite. Same values as the former `ap_rand(i, salt)`.
 */
export function randSql(col: string, salt: number): string {
  return `(${mix(mix(`(${col}::bigint * 1103515245 + ${salt * 2654435 + 12345}) % 2147483648`))})::double precision / 2147483648.0`;
}

/**
 * One statement per table. Skew like real logs: actors, resources and principals follow a
 * power law (a few very active, a long tail); time is spread over 90 days; ~12% denies.
 */
export function seedSql(schema: string, sizes: SeedSizes): Array<{ table: string; rows: number; sql: string }> {
  const s = quoteIdent(schema);
  const r = (salt: number, col = 'g') => randSql(col, salt);
  return [
    {
      table: 'policies',
      rows: sizes.policies,
      sql: `INSERT INTO ${s}.policies
SELECT g, 'policy_' || g, ${KINDS}[1 + (g % 12)], 'v' || (1 + floor(${r(1)} * 4))::int,
  CASE WHEN ${r(2)} < 0.7 THEN '' ELSE 'tenant_' || (1 + floor(${r(3)} * 20))::int END,
  ${r(4)} < 0.25,
  jsonb_build_object('rules', 1 + floor(${r(5)} * 8)::int, 'derivedRoles', ${r(6)} < 0.3),
  timestamptz '${SEED_EPOCH}' + (${r(7)} * 90) * interval '1 day'
FROM generate_series(1, ${sizes.policies}) AS g`,
    },
    {
      table: 'decisions',
      rows: sizes.decisions,
      sql: `INSERT INTO ${s}.decisions
SELECT g, md5(g::text), 'user_' || floor(power(${r(11)}, 3) * 5000)::int,
  CASE WHEN ${r(12)} < 0.1 THEN ARRAY['admin'] ELSE ARRAY['user'] END,
  ${KINDS}[1 + floor(power(${r(13)}, 2) * 12)::int],
  'res_' || floor(power(${r(14)}, 2) * 20000)::int,
  ${ACTIONS}[1 + floor(${r(15)} * 10)::int],
  CASE WHEN ${r(16)} < 0.12 THEN 'EFFECT_DENY' ELSE 'EFFECT_ALLOW' END,
  1 + floor(${r(17)} * ${sizes.policies})::int,
  (50 + power(${r(18)}, 4) * 20000)::int,
  timestamptz '${SEED_EPOCH}' + (g::double precision / ${sizes.decisions} * 90) * interval '1 day',
  jsonb_build_object('ip', '10.0.' || (g % 256) || '.' || (g % 200), 'cached', ${r(19)} < 0.6)
FROM generate_series(1, ${sizes.decisions}) AS g`,
    },
    {
      table: 'audit_logs',
      rows: sizes.auditLogs,
      sql: `INSERT INTO ${s}.audit_logs
SELECT g, 'user_' || floor(power(${r(21)}, 3) * 5000)::int,
  ${EVENTS}[1 + floor(${r(22)} * 12)::int],
  ${KINDS}[1 + floor(power(${r(23)}, 2) * 12)::int],
  'res_' || floor(power(${r(24)}, 2) * 20000)::int,
  timestamptz '${SEED_EPOCH}' + (g::double precision / ${sizes.auditLogs} * 90) * interval '1 day',
  '10.' || (g % 250) || '.' || (g % 240) || '.' || (g % 230),
  jsonb_build_object('seq', g, 'ok', ${r(25)} < 0.95)
FROM generate_series(1, ${sizes.auditLogs}) AS g`,
    },
  ];
}

export function analyzeSql(schema: string): string {
  const s = quoteIdent(schema);
  return REFERENCE_TABLES.map((t) => `ANALYZE ${s}.${t};`).join('\n');
}

export function dropSchemaSql(schema: string): string {
  return `DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE;`;
}
