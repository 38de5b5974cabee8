import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareWithBaseline, parseBaseline, type BaselineFile } from '../../src/bench/baseline.js';
import { parsePercent } from '../../src/cli/flags.js';
import type { BenchTaskResult } from '../../src/bench/types.js';
import { InputError, UsageError } from '../../src/util/errors.js';

const parseMaxRegression = (text: string): number => parsePercent('--max-regression', text, 1000);

function task(id: string, meanNs: number, rmePercent: number): BenchTaskResult {
  return { id, name: id, opsPerSec: 1e9 / meanNs, meanNs, p50Ns: meanNs, p75Ns: meanNs, p99Ns: meanNs * 2, p999Ns: meanNs * 3, minNs: meanNs / 2, maxNs: meanNs * 4, rmePercent, samples: 1000 };
}

function baseline(tasks: BenchTaskResult[], scenario = 'abac-cel'): BaselineFile {
  return { command: 'bench', startedAt: '2026-11-23T09:00:00.000Z', environment: { gitSha: 'abc' }, bench: { scenarios: [{ scenario, tasks } as never] } };
}

test('a run compared with itself has no regression and no improvement', () => {
  const tasks = [task('check-uncached', 5000, 1.2), task('check-cached', 120, 3)];
  const cmp = compareWithBaseline({ scenarios: [{ scenario: 'abac-cel', tasks } as never] }, baseline(tasks), 10, 'b.json');
  assert.equal(cmp.regressions, 0);
  assert.equal(cmp.improvements, 0);
  assert.equal(cmp.unchanged, 2);
  assert.ok(cmp.tasks.every((t) => t.changePercent === 0));
});

test('a slowdown above the threshold and beyond the combined margin of error is a regression', () => {
  const cmp = compareWithBaseline({ scenarios: [{ scenario: 'abac-cel', tasks: [task('check-uncached', 6000, 1)] } as never] }, baseline([task('check-uncached', 5000, 1)]), 10, 'b.json');
  assert.equal(cmp.regressions, 1);
  const t = cmp.tasks[0]!;
  assert.equal(t.verdict, 'regression');
  assert.equal(t.changePercent, 20);
  assert.equal(t.combinedMoeNs, 60 + 50);
});

test('a slowdown above the threshold but inside the combined margin of error is not a regression', () => {
  // 20% slower, but each mean is only known to ±15%: the intervals overlap
  const cmp = compareWithBaseline({ scenarios: [{ scenario: 'abac-cel', tasks: [task('check-uncached', 6000, 15)] } as never] }, baseline([task('check-uncached', 5000, 15)]), 10, 'b.json');
  assert.equal(cmp.regressions, 0);
  assert.equal(cmp.tasks[0]!.verdict, 'unchanged');
  assert.match(cmp.tasks[0]!.reason, /margin of error/);
});

test('a significant slowdown below the threshold is not a regression', () => {
  const cmp = compareWithBaseline({ scenarios: [{ scenario: 'abac-cel', tasks: [task('check-uncached', 5250, 0.1)] } as never] }, baseline([task('check-uncached', 5000, 0.1)]), 10, 'b.json');
  assert.equal(cmp.tasks[0]!.verdict, 'unchanged');
});

test('a significant speed-up beyond the threshold is an improvement', () => {
  const cmp = compareWithBaseline({ scenarios: [{ scenario: 'abac-cel', tasks: [task('check-uncached', 2500, 1)] } as never] }, baseline([task('check-uncached', 5000, 1)]), 10, 'b.json');
  assert.equal(cmp.improvements, 1);
  assert.equal(cmp.tasks[0]!.changePercent, -50);
});

test('tasks only in one run are listed as new or missing; unselected scenarios are ignored', () => {
  const base: BaselineFile = {
    command: 'bench',
    startedAt: 'x',
    bench: { scenarios: [{ scenario: 'abac-cel', tasks: [task('a', 10, 1), task('gone', 10, 1)] }, { scenario: 'rbac-simple', tasks: [task('a', 10, 1)] }] as never },
  };
  const cmp = compareWithBaseline({ scenarios: [{ scenario: 'abac-cel', tasks: [task('a', 10, 1), task('fresh', 10, 1)] } as never] }, base, 10, 'b.json');
  const verdicts = Object.fromEntries(cmp.tasks.map((t) => [`${t.scenario}/${t.taskId}`, t.verdict]));
  assert.deepEqual(verdicts, { 'abac-cel/a': 'unchanged', 'abac-cel/fresh': 'new', 'abac-cel/gone': 'missing' });
});

test('parseMaxRegression accepts N and N% and rejects everything else with a UsageError', () => {
  assert.equal(parseMaxRegression('10%'), 10);
  assert.equal(parseMaxRegression('2.5'), 2.5);
  for (const bad of ['', 'ten', '-5%', '10%%', '1e3', '5000%']) assert.throws(() => parseMaxRegression(bad), UsageError);
  fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), (n) => parseMaxRegression(`${n}%`) === n && parseMaxRegression(String(n)) === n));
  fc.assert(
    fc.property(fc.string(), (s) => {
      try {
        const v = parseMaxRegression(s);
        return Number.isFinite(v) && v >= 0 && v <= 1000;
      } catch (err) {
        return err instanceof UsageError && /--max-regression/.test(err.message);
      }
    }),
  );
});

test('parseBaseline names the file, line and column of bad JSON and rejects non-bench reports', () => {
  try {
    parseBaseline('{\n  "command": "bench",\n  oops\n}', 'base.json');
    assert.fail('expected an InputError');
  } catch (err) {
    assert.ok(err instanceof InputError);
    assert.equal(err.location.file, 'base.json');
    assert.equal(err.location.line, 3);
  }
  assert.throws(() => parseBaseline('{"command":"loadtest"}', 'x.json'), /not a bench report/);
  assert.throws(() => parseBaseline('{"command":"bench","startedAt":"x","bench":{"scenarios":[{"scenario":"a","tasks":[{"id":"t"}]}]}}', 'x.json'), /meanNs/);
  const ok = parseBaseline(JSON.stringify(baseline([task('a', 1, 1)])), 'x.json');
  assert.equal(ok.bench.scenarios[0]!.tasks[0]!.id, 'a');
});
