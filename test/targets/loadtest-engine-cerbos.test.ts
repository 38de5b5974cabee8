// loadtest --engine cerbos: the real Cerbos PDP started on the scenario's policies (with its
// globals), loaded at a fixed rate, every decision checked against the reference engine, its
// /_cerbos/metrics read for the server view, and the process gone afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { findCerbos } from '../../src/targets/cerbos.js';
import type { LoadtestReport } from '../../src/report/types.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('loadtest --engine cerbos: decisions match the reference engine under load, metrics come from /_cerbos/metrics, no process is left', { skip }, async () => {
  const run = await runCli(['loadtest', '--engine', 'cerbos', '--scenario', 'multi-tenant', '--rps', '100', '--duration', '2s', '--warmup', '0', '--no-slo', '--json', '--no-report']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as LoadtestReport;
  const section = report.loadtest;
  assert.equal(section.config.engine, 'cerbos');
  assert.equal(section.config.bundledTarget, true);
  assert.equal(section.counts.succeeded, section.counts.scheduled);
  assert.ok(section.counts.scheduled >= 150, `${section.counts.scheduled} requests`);
  assert.equal(section.errors.mismatch, 0);
  assert.match(section.server?.metricsUrl ?? '', /\/_cerbos\/metrics$/);
  assert.ok((section.server?.cpuSeconds ?? 0) > 0, JSON.stringify(section.server));
  // Cerbos's own figures: every CheckResources call it answered, engine checks and the Go GC
  assert.equal(section.server?.requests, section.server?.sent?.total, JSON.stringify(section.server));
  assert.ok((section.server?.cerbos?.engineChecks ?? 0) >= section.counts.scheduled, JSON.stringify(section.server?.cerbos));
  assert.ok(section.server?.cerbos?.gcCycles !== null && section.server?.cerbos?.gcCycles !== undefined);
  const pid = Number(/started Cerbos [\d.]+ \(pid (\d+)\)/.exec(run.stderr)?.[1]);
  assert.ok(pid > 0, run.stderr);
  assert.equal(alive(pid), false, `Cerbos ${pid} still running`);
});

test('loadtest --engine: unknown names and flags of the reference engine are usage errors', async () => {
  for (const [args, message] of [
    [['--engine', 'opa'], /^authz-perf: --engine: expected reference or cerbos, got 'opa'/],
    [['--engine', 'cerbos', '--target', 'http://127.0.0.1:9'], /^authz-perf: --engine: cerbos starts the Cerbos PDP itself/],
    [['--engine', 'cerbos', '--no-cache'], /^authz-perf: --cache-size and --no-cache configure the reference engine/],
  ] as const) {
    const run = await runCli(['loadtest', '--rps', '10', '--duration', '1s', '--no-report', ...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
  }
});
