/** Noisy bench figures: a task above 5% rme is re-run up to 3 times and its quietest run kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { repeatNoisy } from '../../src/bench/suite.js';
import type { BenchTaskResult } from '../../src/bench/types.js';
import type { TaskDef } from '../../src/bench/runner.js';

function result(id: string, rmePercent: number, meanNs = 100): BenchTaskResult {
  return { id, name: id, opsPerSec: 1e9 / meanNs, meanNs, p50Ns: meanNs, p75Ns: meanNs, p99Ns: meanNs, p999Ns: meanNs, minNs: meanNs, maxNs: meanNs, rmePercent, samples: 100 };
}

test('quiet tasks run once; noisy ones repeat until quiet or 3 repeats, keeping the quietest', async () => {
  const defs: TaskDef[] = ['a', 'b', 'c'].map((id) => ({ id, name: id, fn: () => undefined }));
  const next: Record<string, number[]> = { b: [12, 4], c: [40, 9, 30] };
  const calls: string[] = [];
  const out = await repeatNoisy([result('a', 2), result('b', 20), result('c', 50)], defs, async (d) => {
    calls.push(d.id);
    return { results: [result(d.id, next[d.id]!.shift()!)] };
  });
  assert.deepEqual(calls, ['b', 'b', 'c', 'c', 'c']);
  assert.deepEqual(out.map((t) => [t.id, t.rmePercent, t.repeats ?? 0]), [['a', 2, 0], ['b', 4, 2], ['c', 9, 3]]);
});
