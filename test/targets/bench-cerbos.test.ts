/** `bench --http --engine cerbos`: the round-trip task measures the real Cerbos PDP, started per scenario and stopped after. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchReport } from '../../src/report/types.js';
import { findCerbos } from '../../src/targets/cerbos.js';
import { runCli } from '../helpers/cli.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

test('bench --engine: cerbos needs --http; unknown engines are usage errors', async () => {
  for (const [args, message] of [
    [['--engine', 'cerbos'], /^authz-perf: --engine cerbos: applies to the --http round trip; add --http\n$/],
    [['--http', '--engine', 'opa'], /^authz-perf: --engine: expected reference or cerbos, got 'opa'\n$/],
  ] as const) {
    const run = await runCli(['bench', '--quick', '--scenario', 'rbac-simple', '--no-report', ...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
  }
});

test('bench --http --engine cerbos: an HTTP round trip to Cerbos with decisions read back', { skip }, async () => {
  const run = await runCli(['bench', '--quick', '--http', '--engine', 'cerbos', '--scenario', 'rbac-simple', '--no-memory', '--json', '--no-report']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as BenchReport;
  const task = report.bench.scenarios[0]!.tasks.find((t) => t.id === 'http-roundtrip');
  assert.ok(task, 'no http-roundtrip task');
  assert.match(task.name, /^HTTP round trip to Cerbos 0\.\d+\.\d+ /);
  assert.ok(task.opsPerSec > 0);
});
