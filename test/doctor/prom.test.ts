/** Prometheus exposition reading: labels, counter increases, histogram deltas and quantiles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { histogramBucketBound, histogramDelta, histogramQuantile, increase, parseLabels, parseScrape, total } from '../../src/doctor/prom.js';

const text = (n: number, buckets: number[], sum: number): string =>
  [
    '# TYPE h histogram',
    ...buckets.map((c, i) => `h_bucket{route="/x",le="${[0.001, 0.01, 0.1][i] ?? '+Inf'}"} ${c}`),
    `h_sum{route="/x"} ${sum}`,
    `h_count{route="/x"} ${buckets[buckets.length - 1]}`,
    `c_total{code="200"} ${n}`,
    `c_total{code="500"} 1`,
  ].join('\n');

test('labels with escapes, sums by filter, counter increase (and a reset)', () => {
  assert.deepEqual(parseLabels('{a="1",b="x \\"q\\" y",c="p\\\\q"}'), { a: '1', b: 'x "q" y', c: 'p\\q' });
  const a = parseScrape(text(10, [1, 2, 3, 3], 0.01), 0);
  const b = parseScrape(text(25, [1, 12, 20, 21], 0.5), 1000);
  assert.equal(total(b, 'c_total'), 26);
  assert.equal(total(b, 'c_total', (l) => l.code === '500'), 1);
  assert.equal(increase(a, b, 'c_total', (l) => l.code === '200'), 15);
  assert.equal(increase(b, a, 'c_total', (l) => l.code === '200'), 10, 'a counter that went down was reset: its new value is the increase');
  assert.equal(total(a, 'missing'), null);
});

test('histogram delta and quantile interpolate like histogram_quantile', () => {
  const a = parseScrape(text(0, [1, 2, 3, 3], 0.01), 0);
  const b = parseScrape(text(0, [1, 12, 20, 21], 0.5), 1000);
  const h = histogramDelta(a, b, 'h')!;
  assert.deepEqual(h.buckets.map((x) => x.count), [0, 10, 17, 18]);
  assert.equal(h.count, 18);
  // rank 9 of 18 lies in (0.001, 0.01]: 0.001 + 0.009 × 9/10
  assert.ok(Math.abs(histogramQuantile(h, 0.5)! - 0.0091) < 1e-12);
  assert.equal(histogramQuantile(h, 1), 0.1, 'in the +Inf bucket: the highest finite bound');
  assert.equal(histogramBucketBound(h, 0.5), 0.01);
  assert.equal(histogramQuantile({ buckets: [{ le: 1, count: 0 }], sum: 0, count: 0 }, 0.99), null);
});

test('property: quantiles are monotonic in q and stay within the bucket bounds', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (increments, q1, q2) => {
      let cum = 0;
      const buckets = increments.map((inc, i) => ({ le: i === increments.length - 1 ? Infinity : 2 ** i, count: (cum += inc) }));
      const h = { buckets, sum: 0, count: cum };
      const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
      const a = histogramQuantile(h, lo);
      const b = histogramQuantile(h, hi);
      if (cum === 0) return a === null && b === null;
      const finite = buckets.filter((x) => x.le !== Infinity).map((x) => x.le);
      const top = finite.length ? Math.max(...finite) : 0;
      return a! <= b! + 1e-9 && a! >= 0 && b! <= top;
    }),
  );
});

test('property: parseLabels reads back any label values it is given (escaped as in the exposition format)', () => {
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  fc.assert(
    fc.property(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 5 }), (labels) => {
      const text = `{${Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
      assert.deepEqual(parseLabels(text), { ...labels });
    }),
  );
});
