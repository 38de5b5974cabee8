import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { TEST_CACHE_DIR } from './backends.js';

// embedded PGlite, seeded with the smallest --rows: the name check runs before any query does
const noDb = { DATABASE_URL: '', AUTHZ_PERF_CACHE_DIR: TEST_CACHE_DIR };
const tmp = mkdtempSync(path.join(tmpdir(), 'ap-explain-names-'));

async function explain(files: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['explain', ...files.flatMap((f) => ['--queries', f]), '--rows', '100', '--no-report'], { cwd: tmp, env: noDb });
}

function assertOneLineInputError(run: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout, '', 'no report for a rejected catalog');
  const errors = run.stderr.split('\n').filter((l) => l.startsWith('authz-perf:'));
  assert.equal(errors.length, 1, run.stderr);
  assert.match(errors[0]!, pattern);
  assert.doesNotMatch(run.stderr, /at .*\.js:\d+/);
}

describe('explain: two statements with one query name', { concurrency: true }, () => {
  test('a reused "-- name:" in one file names both statements, file:line each', async () => {
    writeFileSync(path.join(tmp, 'reused.sql'), [
      '-- name: by-actor',
      "SELECT id FROM decisions WHERE actor = 'user_1';",
      '',
      '-- name: by-actor',
      "SELECT id FROM decisions WHERE actor = 'user_2';",
      '',
    ].join('\n'));
    const run = await explain(['reused.sql']);
    assertOneLineInputError(run, /^authz-perf: reused\.sql:5: query name "by-actor" is also used at reused\.sql:2; give each statement its own "-- name:"$/);
  });

  test('two files called q.sql (unnamed statements are named after the file) name both files', async () => {
    for (const dir of ['a', 'b']) {
      mkdirSync(path.join(tmp, dir), { recursive: true });
      writeFileSync(path.join(tmp, dir, 'q.sql'), "SELECT id FROM policies WHERE kind = 'document';\n");
    }
    const run = await explain([path.join('a', 'q.sql'), path.join('b', 'q.sql')]);
    assertOneLineInputError(run, /^authz-perf: b\/q\.sql:1: query name "q#1" is also used at a\/q\.sql:1; give each statement its own "-- name:"$/);
  });
});
