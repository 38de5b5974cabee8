/** Host load figures: the /proc/stat parser (fast-check), the steal share and the warning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostLoad, loadWarning, parseProcStat, stealShare } from '../../src/util/host-load.js';

test('the cpu line of /proc/stat gives total and steal jiffies; anything else gives null', () => {
  assert.deepEqual(parseProcStat('cpu  10 1 5 100 2 0 1 7 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n'), { total: 126, steal: 7 });
  for (const bad of ['', 'cpu0 1 2 3 4 5 6 7 8', 'cpu 1 2 3', 'cpu a b c d e f g h']) assert.equal(parseProcStat(bad), null, bad);
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 1e9 }), { minLength: 8, maxLength: 10 }), (f) => {
      const r = parseProcStat(`cpu  ${f.join(' ')}\nintr 1 2\n`)!;
      assert.equal(r.steal, f[7]);
      assert.equal(r.total, f.slice(0, 8).reduce((a, b) => a + b, 0));
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => void parseProcStat(text)), { numRuns: 2000 });
});

test('steal share over an interval, and the busy-host warning', () => {
  assert.equal(stealShare({ total: 1000, steal: 10 }, { total: 2000, steal: 110 }), 0.1);
  assert.equal(stealShare(null, { total: 1, steal: 0 }), null);
  assert.equal(stealShare({ total: 5, steal: 0 }, { total: 5, steal: 0 }), null);
  assert.equal(loadWarning(1.5, 0.01, 2), null);
  assert.match(loadWarning(7.9, null, 2)!, /^busy host \(load average 7\.9 on 2 cores\)/);
  assert.match(loadWarning(0.5, 0.12, 2)!, /12% of CPU time stolen by the hypervisor/);
  const h = hostLoad(2);
  assert.ok(h.loadAverage1m >= 0 && (h.cpuStealShare === null || (h.cpuStealShare >= 0 && h.cpuStealShare <= 1)));
});
