import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatClock, progressLine } from '../../../src/util/progress.js';

class Stream {
  text = '';
  writes = 0;
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    this.writes++;
    return true;
  }
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

test('without a TTY the bar is silent but log lines are printed', () => {
  const stream = new Stream(false);
  const p = createProgress({ stream });
  p.update(0.5, 'half');
  p.log('warm-up done');
  p.done();
  assert.equal(p.live, false);
  assert.equal(stream.text, 'warm-up done\n');
});

test('on a TTY redraws are throttled, the last one always drawn, done clears the line', () => {
  const stream = new Stream(true);
  const c = clock();
  const p = createProgress({ stream, now: c.now, minIntervalMs: 100 });
  p.update(0.1, 'a');
  const afterFirst = stream.writes;
  for (let i = 0; i < 50; i++) {
    c.advance(1);
    p.update(0.1 + i / 100);
  }
  assert.equal(stream.writes, afterFirst, 'no redraw within 100 ms');
  c.advance(100);
  p.update(0.7, 'b');
  assert.equal(stream.writes, afterFirst + 1);
  p.update(1);
  assert.equal(stream.writes, afterFirst + 2, 'completion always draws');
  assert.match(stream.text, /100% /);
  p.done();
  assert.ok(stream.text.endsWith('\r\u001b[2K'));
  p.update(0.5);
  p.done();
  assert.ok(stream.text.endsWith('\r\u001b[2K'), 'nothing after done');
});

test('log prints above the live bar and redraws it', () => {
  const stream = new Stream(true);
  const c = clock();
  const p = createProgress({ stream, now: c.now });
  p.update(0.25, 'task');
  stream.text = '';
  p.log('scenario abac-cel done');
  assert.match(stream.text, /^\r\u001b\[2Kscenario abac-cel done\n\r\u001b\[2K█+░+ {2}25% 0s · task$/);
});

test('the bar line shows percent, elapsed, remaining time and fits the width', () => {
  assert.equal(formatClock(65_000), '1m 05s');
  assert.equal(formatClock(3_700_000), '1h 01m');
  const line = progressLine(0.5, 'loadtest ramp to 5,000 req/s', 10_000, 80);
  assert.match(line, /^█{12}░{12}  50% 10s · ~10s left · loadtest ramp/);
  const narrow = progressLine(0.5, 'a very long label that will not fit in a narrow terminal', 10_000, 60);
  assert.ok([...narrow].length <= 60, narrow);
  assert.ok(narrow.endsWith('…'));
});

test('colour wraps only the bar; showAfterMs delays the first draw', () => {
  const stream = new Stream(true);
  const c = clock();
  const p = createProgress({ stream, now: c.now, color: true, showAfterMs: 2000 });
  p.update(0.3);
  assert.equal(stream.text, '');
  c.advance(2500);
  p.update(0.4);
  assert.match(stream.text, /\u001b\[36m█/);
});
