import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { connectionError } from '../../src/query/database.js';
import { parseExplainFlags } from '../../src/cli/explain.js';
import { FIXTURE_DIR } from './plans.js';
import { TEST_CACHE_DIR } from './backends.js';

const noDb = { DATABASE_URL: '', AUTHZ_PERF_CACHE_DIR: TEST_CACHE_DIR };
const tmp = mkdtempSync(path.join(tmpdir(), 'ap-explain-'));

// independent runs (own files, own schema): the PGlite and server runs overlap
describe('explain CLI', { concurrency: true }, () => {
  test('--plan analyses saved plans without a database', async () => {
    const run = await runCli(['explain', '--plan', `${FIXTURE_DIR}sort-disk.json`, '--plan', `${FIXTURE_DIR}heap-fetches.json`, '--json', '--no-report'], { env: noDb });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.command, 'explain');
    assert.equal(report.explain.backend.kind, 'none');
    assert.deepEqual(report.explain.queries.map((q: { id: string }) => q.id), ['sort-disk', 'heap-fetches']);
    assert.ok(report.explain.queries[0].findings.some((f: { rule: string }) => f.rule === 'sort-spill'));
    const text = await runCli(['explain', '--plan', `${FIXTURE_DIR}sort-disk.json`, '--no-report'], { env: noDb });
    assert.match(text.stdout, /sort-spill/);
    assert.match(text.stdout, /Sort Space Type: Disk/);
  });

  test('bad input: one clear line each, exit 2, no stack', async () => {
    writeFileSync(path.join(tmp, 'broken.json'), '{"Plan": ');
    writeFileSync(path.join(tmp, 'empty.sql'), '-- only a comment\n');
    const cases: Array<[string[], RegExp]> = [
      [['--plan', path.join(tmp, 'nope.json')], /nope\.json: file not found\n?$/],
      [['--plan', path.join(tmp, 'broken.json')], /broken\.json: not valid JSON/],
      [['--rows', 'lots'], /^authz-perf: --rows: expected an integer between 100 and 10000000, got "lots"/],
      [['--timeout', '5'], /^authz-perf: --timeout: "5" is not a duration/],
      [['--setup'], /--setup needs a server: pass --database-url or set DATABASE_URL/],
      [['--database-url', 'mysql://x@y/z'], /--database-url: unsupported scheme "mysql:"/],
      [['--param', 'x'], /--param fills \$1/],
      // an empty input set fails before the database is opened or seeded
      [['--queries', path.join(tmp, 'empty.sql')], /^authz-perf: .*empty\.sql: no SQL statements found\n$/],
      [['--database-url', 'postgres://postgres@127.0.0.1:1/test'], /^authz-perf: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/test: connection refused/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['explain', ...args, '--no-report'], { env: noDb });
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /at .*\.js:\d+/);
    }
  });

  test('seed size: 20k decisions on PGlite by default, 200k for a server (--setup), --rows overrides both', () => {
    const flags = { queries: [], param: [], plan: [], analyze: true, timeout: '5s', schema: 'authz_perf' };
    const pglite = parseExplainFlags(flags, {});
    assert.deepEqual(pglite.sizes, { decisions: 20_000, auditLogs: 50_000, policies: 200 });
    assert.equal(pglite.defaultSizes, true);
    const server = parseExplainFlags({ ...flags, setup: true }, { DATABASE_URL: 'postgres://u@127.0.0.1/db' });
    assert.deepEqual(server.sizes, { decisions: 200_000, auditLogs: 500_000, policies: 2_000 });
    const rows = parseExplainFlags({ ...flags, rows: '50_000' }, {});
    assert.deepEqual(rows.sizes, { decisions: 50_000, auditLogs: 125_000, policies: 500 });
    assert.equal(rows.defaultSizes, false);
  });

  test('connection failures map to one line naming the cause, password redacted', () => {
    const url = 'postgres://app:secret@db.example:5432/authz';
    assert.equal(connectionError({ code: '28P01', message: 'x' }, url).message, 'cannot connect to postgres://app:***@db.example:5432/authz: password authentication failed for user "app"');
    assert.match(connectionError({ code: '3D000' }, url).message, /database "authz" does not exist$/);
    assert.match(connectionError({ code: 'ENOTFOUND' }, url).message, /host "db\.example" not found$/);
  });

  test('--queries on embedded PGlite: a syntax error is one line with file:line, the other queries are analysed, exit 2', async () => {
    const file = path.join(tmp, 'mine.sql');
    writeFileSync(file, [
      '-- name: by-actor',
      'SELECT id, decided_at FROM decisions WHERE actor = $1 ORDER BY decided_at DESC LIMIT 10;',
      '-- name: broken',
      'SELECT id,',
      'FROM decisions;',
    ].join('\n'));
    const run = await runCli(['explain', '--queries', file, '--param', 'user_3', '--rows', '12000', '--json', '--no-report'], { env: noDb });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /explain: seeding decisions: 12,000 rows/, 'progress on stderr while seeding');
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('authz-perf:'));
    assert.deepEqual(errors, [`authz-perf: ${file}:5:1: broken: syntax error at or near "FROM"`]);
    const report = JSON.parse(run.stdout);
    const byActor = report.explain.queries.find((q: { id: string }) => q.id === 'by-actor');
    assert.equal(byActor.status, 'ok');
    assert.ok(byActor.findings.some((f: { rule: string }) => f.rule === 'seq-scan'));
    assert.ok(byActor.advisedIndexes.length > 0);
    assert.equal(report.explain.seed.rows.decisions, 12_000);
    assert.equal(report.explain.summary.errors, 1);
  });

  const url = process.env.DATABASE_URL;
  test('server: --setup, the bundled catalog, --teardown; the catalog without setup is a clear error', { skip: !url && 'DATABASE_URL not set' }, async () => {
    const schema = `ap_cli_${process.pid}`;
    const missing = await runCli(['explain', '--database-url', url!, '--schema', `${schema}_none`, '--no-report']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs the reference schema "ap_cli_\d+_none" .*run `authz-perf explain --setup` first/);
    const setup = await runCli(['explain', '--database-url', url!, '--schema', schema, '--setup', '--rows', '12000']);
    try {
      assert.equal(setup.code, 0, setup.stderr);
      assert.match(setup.stdout, new RegExp(`created schema ${schema}`));
      const again = await runCli(['explain', '--database-url', url!, '--schema', schema, '--setup', '--rows', '12000']);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /run --teardown first/);
      const run = await runCli(['explain', '--database-url', url!, '--schema', schema, '--json', '--no-report']);
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout);
      assert.equal(report.explain.backend.kind, 'postgres');
      assert.ok(report.explain.indexes.length > 0);
      assert.equal(report.explain.verification, report.explain.backend.hypopg ? 'hypopg' : 'rolled-back-index');
    } finally {
      const down = await runCli(['explain', '--database-url', url!, '--schema', schema, '--teardown']);
      assert.equal(down.code, 0, down.stderr);
    }
    const bad = await runCli(['explain', '--database-url', url!.replace(/\/[^/]*$/, '/ap_no_such_db'), '--no-report']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /database "ap_no_such_db" does not exist/);
  });
});
