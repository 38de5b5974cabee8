import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { VERSION } from '../../src/util/version.js';

test('--version prints the package version', async () => {
  const run = await runCli(['--version']);
  assert.equal(run.code, 0);
  assert.equal(run.stdout.trim(), VERSION);
});

test('--help lists the program and exits 0', async () => {
  const run = await runCli(['--help']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /Usage: authz-perf/);
});

test('an unknown flag is one clear line and exit 2', async () => {
  const run = await runCli(['--no-such-flag']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^authz-perf: unknown option '--no-such-flag'/);
  assert.doesNotMatch(run.stderr, /at .*\.js:\d+/);
});
