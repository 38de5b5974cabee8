import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { BenchReport } from '../../src/report/types.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const FIXTURE = 'test/fixtures/bench-scenario';
/** tiny, so a whole run takes about a second: the tests check behaviour, never speed */
const TINY = ['--scenario', FIXTURE, '--quick', '--time', '5', '--iterations', '8', '--warmup', 'off', '--requests', '32'];

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'authz-perf-bench-'));
}

async function benchJson(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; report: BenchReport; stderr: string }> {
  const run = await runCli(['bench', ...TINY, '--no-report', '--json', ...args], { cwd: ROOT, env });
  assert.ok(run.stdout.trim().startsWith('{'), `no JSON on stdout (exit ${run.code}): ${run.stderr}`);
  return { code: run.code, report: JSON.parse(run.stdout) as BenchReport, stderr: run.stderr };
}

test('--json: per scenario the contract tasks with their statistics, overhead ratio, stage breakdown, memory; progress on stderr', async () => {
  const { code, report, stderr } = await benchJson(['--no-memory']);
  assert.equal(code, 0, stderr);
  assert.equal(report.command, 'bench');
  assert.equal(report.bench.settings.timeMs, 5);
  assert.equal(report.bench.scenarios.length, 1);
  const s = report.bench.scenarios[0]!;
  assert.equal(s.scenario, 'bench-fixture');
  const ids = s.tasks.map((t) => t.id);
  for (const id of ['check-uncached', 'check-cached', 'load-compile', 'cel-analysis']) assert.ok(ids.includes(id), `missing ${id}: ${ids.join(', ')}`);
  // analyze-cel's throughput over the scenario's own policy expressions, per expression
  const analysis = s.tasks.find((t) => t.id === 'cel-analysis')!;
  assert.equal(analysis.unit, 'expression');
  assert.ok(analysis.opsPerSec > 0 && analysis.samples > 0, JSON.stringify(analysis));
  // one task per distinct expression the requests evaluated: 3 conditions + the is_owner variable
  const cel = ids.filter((id) => id.startsWith('cel:')).sort();
  assert.deepEqual(cel, [
    'cel:resource.note.vdefault#rules[1].condition.match.any.of[0].expr',
    'cel:resource.note.vdefault#rules[1].condition.match.any.of[1].expr',
    'cel:resource.note.vdefault#rules[2].condition.match.all.of[0].expr',
    'cel:resource.note.vdefault#rules[2].condition.match.all.of[1].expr',
    'cel:resource.note.vdefault#variables.local.is_owner',
  ]);
  for (const t of s.tasks) {
    assert.ok(t.samples >= 8, `${t.id}: ${t.samples} samples`);
    assert.ok(t.opsPerSec > 0 && Math.abs(t.opsPerSec - 1e9 / t.meanNs) < 1e-6 * t.opsPerSec, t.id);
    assert.ok(t.minNs <= t.p50Ns && t.p50Ns <= t.p75Ns && t.p75Ns <= t.p99Ns && t.p99Ns <= t.p999Ns && t.p999Ns <= t.maxNs, t.id);
    assert.ok(Number.isFinite(t.rmePercent) && t.rmePercent >= 0, t.id);
  }
  const o = s.overheadRatio!;
  assert.ok(o.ratio > 0 && o.checkMeanNs > 0 && o.celSumMeanNs > 0);
  assert.ok(Math.abs(o.ratio - o.checkMeanNs / o.celSumMeanNs) < 1e-9 * o.ratio);
  assert.equal(o.goal, 1.5);
  assert.ok(o.evaluationsPerCheck > 0);
  const c = s.cacheSpeedup!;
  assert.ok(c.uncachedMeanNs > 0 && c.cachedMeanNs > 0);
  assert.ok(Math.abs(c.ratio - c.uncachedMeanNs / c.cachedMeanNs) < 1e-9 * c.ratio);
  assert.equal(c.goal, 8);
  assert.ok(c.floorMeanNs! > 0 && c.hitFloorRatio! > 0, 'the hit floor is measured');
  assert.equal(c.hitFloorGoal, 2);
  const b = s.stageBreakdown!;
  assert.deepEqual(b.stages.map((r) => r.stage), ['parse', 'cacheLookup', 'policyLookup', 'celEval', 'serialise']);
  assert.equal(b.sampledChecks, 1000);
  // every stage runs in the stage pass (the cache is on but emptied before each check)
  for (const r of b.stages) assert.ok(r.meanNs > 0, `stage ${r.stage} measured nothing`);
  assert.equal(s.memory.bytesPerCheck, null);
  assert.match(s.memory.method, /--no-memory/);
  assert.equal(typeof s.memory.heapDeltaBytes, 'number');
  assert.match(stderr, /^bench: bench-fixture: check, cache off …$/m);
  assert.match(stderr, /^bench: bench-fixture: stage pass/m);
});

test('default output: terminal table, report files (JSON, Markdown, HTML) in --out, bytes per check from the child process', async () => {
  const out = tempDir();
  try {
    const run = await runCli(['bench', ...TINY, '--memory', '--out', out], { cwd: ROOT });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /bench-fixture/);
    assert.match(run.stdout, /check, cache off/);
    assert.match(run.stdout, /engine overhead/);
    const files = readdirSync(out).sort();
    assert.equal(files.length, 3, files.join(', '));
    assert.deepEqual(files.map((f) => path.extname(f)), ['.html', '.json', '.md']);
    const report = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(path.join(out, files[1]!), 'utf8'))) as BenchReport;
    const m = report.bench.scenarios[0]!.memory;
    assert.ok(m.retainedEngineBytes !== null && m.retainedEngineBytes > 0, m.method);
    if (m.bytesPerCheck === null) assert.match(m.method, /dropped|failed/);
    else assert.ok(m.bytesPerCheck > 0 && m.bytesPerCachedCheck !== null, `${m.method}: ${m.bytesPerCheck} bytes per check, ${m.bytesPerCachedCheck} per cached check`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('baselines: a saved run compared with a later run passes; an artificially slowed task is a regression and exits 1', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'baseline.json');
  try {
    const saved = await benchJson(['--no-memory', '--save-baseline', file]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.ok(existsSync(file));
    assert.equal(saved.report.bench.savedBaseline, file);

    // a generous threshold: two tiny runs on a busy machine differ, but none by 10×
    const same = await benchJson(['--no-memory', '--baseline', file, '--max-regression', '900%']);
    assert.equal(same.code, 0, same.stderr);
    const cmp = same.report.bench.baseline!;
    assert.equal(cmp.regressions, 0);
    assert.equal(cmp.maxRegressionPercent, 900);
    assert.ok(cmp.tasks.length >= 8 && cmp.tasks.every((t) => t.verdict === 'unchanged' || t.verdict === 'improvement'), JSON.stringify(cmp.tasks.map((t) => t.verdict)));

    // the test hook busy-waits 50 ms inside every uncached check (far beyond any scheduling noise)
    const slow = await benchJson(['--no-memory', '--baseline', file], { AUTHZ_PERF_BENCH_SLOW_TASK: 'check-uncached:50000000' });
    assert.equal(slow.code, 1);
    // (other tasks of two 5 ms runs on a busy machine may differ for real too: only the hooked one is certain)
    const hooked = slow.report.bench.baseline!.tasks.find((t) => t.taskId === 'check-uncached')!;
    assert.equal(hooked.verdict, 'regression', hooked.reason);
    assert.ok(hooked.changePercent! > 10 && hooked.currentMeanNs! >= 5e7);
    assert.ok(slow.report.bench.baseline!.regressions >= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad flags and inputs: one line naming the flag or file, exit 2, before anything is measured', async () => {
  const dir = tempDir();
  const notBench = path.join(dir, 'other.json');
  const broken = path.join(dir, 'broken.json');
  writeFileSync(notBench, JSON.stringify({ command: 'loadtest' }));
  writeFileSync(broken, '{\n  "command": "bench",\n  oops\n}\n');
  // a bench report that `report` refuses (schemaVersion 0) is refused as a baseline too
  const versionZero = path.join(dir, 'version0.json');
  writeFileSync(versionZero, JSON.stringify({ ...JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/bench-report.json'), 'utf8')), schemaVersion: 0 }));
  const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
    [['--time', 'soon'], /^authz-perf: --time: expected milliseconds/],
    [['--time', '0'], /^authz-perf: --time: /],
    [['--iterations', '0'], /^authz-perf: --iterations: expected an integer between 1 and 10000000, got "0"$/m],
    [['--warmup', '-5'], /^authz-perf: --warmup: /],
    [['--requests', 'many'], /^authz-perf: --requests: /],
    [['--seed', '-1'], /^authz-perf: --seed: /],
    [['--scenario', 'no-such-scenario'], /^authz-perf: --scenario: unknown scenario 'no-such-scenario' \(bundled: .*abac-cel/],
    [['--scenario', './no/such/dir'], /^authz-perf: --scenario: .*no such scenario folder/],
    [['--max-regression', 'ten'], /^authz-perf: --max-regression: expected a percentage/],
    [['--baseline', path.join(dir, 'missing.json')], /^authz-perf: .*missing\.json: cannot read baseline: ENOENT/],
    [['--baseline', notBench], /^authz-perf: .*other\.json: not a bench report/],
    [['--baseline', broken], /^authz-perf: .*broken\.json:3:3: not valid JSON/],
    [['--baseline', versionZero], /^authz-perf: .*version0\.json(:\d+:\d+)?: report .*version0\.json has an unknown schemaVersion 0/],
    [[], /^authz-perf: AUTHZ_PERF_BENCH_SLOW_TASK: expected TASK_ID:NANOSECONDS/, { AUTHZ_PERF_BENCH_SLOW_TASK: 'slow' }],
    [['--bogus'], /^authz-perf: unknown option '--bogus'/],
  ];
  try {
    for (const [args, message, env] of cases) {
      const run = await runCli(['bench', '--no-report', '--no-memory', ...args], { cwd: ROOT, env: env ?? {} });
      assert.equal(run.code, 2, `${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.doesNotMatch(run.stderr, /^bench: /m, `${args.join(' ')} measured before failing`);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace without --debug');
      assert.equal(run.stdout, '');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--list prints the bundled scenarios', async () => {
  const run = await runCli(['bench', '--list'], { cwd: ROOT });
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^abac-cel {2}\S/m);
});

test('Ctrl-C stops the run: exit 130 and the report of what was measured, marked interrupted', async () => {
  const before = process.listenerCount('SIGINT');
  // Signal as soon as the command listens (while it loads the scenario, before a 60 s task would
  // start). process.emit runs the listeners only: no real signal is sent.
  const onListener = (event: string | symbol): void => {
    if (event !== 'SIGINT') return;
    process.off('newListener', onListener);
    setImmediate(() => process.emit('SIGINT'));
  };
  process.on('newListener', onListener);
  const run = await runCli(['bench', '--scenario', FIXTURE, '--time', '60000', '--warmup', 'off', '--requests', '16', '--no-memory', '--no-report', '--json'], { cwd: ROOT });
  assert.equal(run.code, 130, run.stderr);
  const report = JSON.parse(run.stdout) as BenchReport;
  assert.equal(report.interrupted, true);
  assert.equal(process.listenerCount('SIGINT'), before);
});

test('--http adds the keep-alive round trip to `serve` on loopback (cache off), and the server is closed afterwards', async () => {
  const { code, report, stderr } = await benchJson(['--http', '--http-rounds', '1']);
  assert.equal(code, 0, stderr);
  const s = report.bench.scenarios[0]!;
  assert.equal(report.bench.settings.httpRounds, 1);
  assert.equal(s.httpBaseline?.ratios.length, 1, 'one round of serve vs bare');
  assert.equal(s.httpBaseline?.cacheOnOff?.ratios.length, 1, 'one round of cache on vs off');
  const rt = s.tasks.find((t) => t.id === 'http-roundtrip');
  assert.ok(rt, `no http-roundtrip task; warnings: ${s.warnings.join('; ')}`);
  assert.ok(rt.samples >= 8 && rt.opsPerSec > 0);
  assert.equal(report.bench.settings.http, true);
  // --quick skips the memory child unless --memory is given
  assert.equal(s.memory.bytesPerCheck, null);
  assert.match(s.memory.method, /--quick without --memory/);
});
