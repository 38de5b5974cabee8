/**
 * The database rules on a real slow query: an unindexed table scanned again and again during the
 * window, on embedded PGlite always and on the PostgreSQL server of DATABASE_URL when set. Neither
 * has pg_stat_statements here, and the finding says so. Each run uses its own schema and drops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { runDoctor } from '../../src/doctor/run.js';
import { openServer } from '../../src/query/database.js';
import { backends } from '../query/backends.js';
import { doctorOptions, inProcessServe, realDeps } from './helpers.js';

const ROWS = 40_000;
const SCANS = 6;

for (const backend of backends()) {
  test(`${backend.name}: a slow unindexed query → database finding, and the line that pg_stat_statements is absent`, async () => {
    const db = await backend.open();
    const schema = `doctor_${process.pid}_${randomBytes(3).toString('hex')}`;
    const engine = await inProcessServe('rbac-simple');
    // on a server the slow queries come from another session, as the engine's would
    const other = backend.name === 'postgres' ? await openServer(process.env.DATABASE_URL!) : db;
    try {
      await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.decisions_copy AS SELECT g AS id, 'user_' || (g % 997) AS actor, md5(g::text) AS payload FROM generate_series(1, ${ROWS}) g;`);
      const doctor = runDoctor(doctorOptions(engine, { windowS: 3, intervalS: 1, database: db }), realDeps);
      // let the baseline be read first
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < SCANS; i++) await other.query(`SELECT count(*) FROM ${schema}.decisions_copy WHERE actor = $1`, [`user_${i}`]);
      // PostgreSQL publishes an idle session's table counters only every 10 s, and at once when
      // the session ends: end it, so a 3 s window sees them
      if (other !== db) await other.close();
      // a third session stays busy past the window's end (the scanning one must go idle: a backend
      // publishes its table statistics when idle, at most once a second)
      const third = backend.name === 'postgres' ? await openServer(process.env.DATABASE_URL!) : null;
      const sleeper = third?.query('SELECT pg_sleep(4)').finally(() => third.close());
      const { section } = await doctor;
      await sleeper;
      const d = section.metrics.database!;
      assert.equal(d.backend, backend.name);
      const absent = section.findings.find((f) => f.ruleId === 'database.pg-stat-statements-absent');
      assert.ok(absent, 'the report says pg_stat_statements is absent');
      assert.match(absent.title, /pg_stat_statements is absent/);
      const scan = section.findings.find((f) => f.ruleId === 'database.seq-scan' && f.title.startsWith(`${schema}.decisions_copy`));
      assert.ok(scan, `no seq-scan finding; table scans: ${JSON.stringify(d.tableScans)}`);
      assert.ok(scan.evidence[0]!.value >= ROWS * (SCANS - 1), 'rows read by the scans are the evidence');
      assert.match(scan.action, /authz-perf explain/);
      if (backend.name === 'postgres') {
        const running = section.findings.find((f) => f.ruleId === 'database.long-running');
        assert.ok(running, `no long-running finding; activity: ${JSON.stringify(d.activity)}`);
        assert.match(running.title, /pg_sleep/);
        assert.ok(d.maxConnections > 0 && d.connections > 0);
      }
    } finally {
      await engine.stop();
      await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      if (other !== db) await other.close().catch(() => undefined);
      await db.close();
    }
  });
}
