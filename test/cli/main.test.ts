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
  const commands = [...run.stdout.matchAll(/^  ([a-z][a-z-]*)(?: \[|\s{2,})/gm)].map((m) => m[1]).filter((name) => name !== 'help');
  assert.deepEqual(commands, ['serve', 'bench', 'loadtest', 'analyze-cel', 'explain', 'size', 'verify', 'test', 'scenario', 'compare', 'doctor', 'report'], 'every subcommand, in workflow order');
  for (const name of commands) {
    const line = run.stdout.slice(run.stdout.search(new RegExp(`^  ${name}(?: \\[|\\s{2,})`, 'm'))).split('\n')[0]!;
    assert.match(line, /\S\s{2,}\S/, `${name} has a one-line purpose`);
  }
});

test('an unknown subcommand is one clear line and exit 2', async () => {
  const run = await runCli(['benchmark']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^authz-perf: unknown command 'benchmark'\n\(run with --help for usage\)\n$/);
});

test('an unknown flag is one clear line and exit 2', async () => {
  const run = await runCli(['--no-such-flag']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^authz-perf: unknown option '--no-such-flag'/);
  assert.doesNotMatch(run.stderr, /at .*\.js:\d+/);
});
