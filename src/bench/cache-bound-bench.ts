/**
 * `npm run bench:cache-bound`: how far a decision-cache hit is from what any content-keyed cache
 * must do. Over the same requests, as bench's cache pass times them (pairs in alternating rounds,
 * paired.ts, so a change of host load hits both sides alike):
 *   uncached ÷ hit    bench's cache speed-up;
 *   hit ÷ floor       bench's hit ÷ floor: reading the values the decisions depend on and
 *                     comparing them with stored copies;
 *   hit ÷ bound       the bound is the floor plus locating each entry by content: the actions'
 *                     key, a hash of every value read, one table read (cache-floor.ts).
 * From these it prints the bound ÷ floor and the speed-up a hit at the bound would give. A
 * benchmark, not a test.
 *
 * Usage: node dist/src/bench/cache-bound-bench.js [--scenario abac-cel] [--requests 256] [--time 2000] [--seed 1]
 */
import { openScenario } from './engine-adapter.js';
import { hitFloorPass, locateBoundPass } from './cache-floor.js';
import { pairedRatio } from './paired.js';
import { scriptArg as arg } from '../load/bench-script.js';

async function main(): Promise<void> {
  const scenario = arg('scenario', 'abac-cel');
  const requests = Number(arg('requests', 256));
  const timeMs = Number(arg('time', 2000));
  const seed = Number(arg('seed', 1));
  for (const [flag, v] of [['requests', requests], ['time', timeMs], ['seed', seed]] as const) {
    if (!Number.isInteger(v) || v < (flag === 'seed' ? 0 : 1)) throw new Error(`--${flag}: expected a whole number${flag === 'seed' ? '' : ' ≥ 1'}, got '${arg(flag, '')}'`);
  }
  const sc = await openScenario(scenario, { seed, requests });
  const reqs = sc.requests;
  const uncached = sc.createEngine(false);
  const cached = sc.createEngine(true);
  for (const r of reqs) cached.check(r);
  const floor = hitFloorPass(sc.policySet, reqs);
  const bound = locateBoundPass(sc.policySet, reqs);
  if (floor.entries === 0) {
    console.log(`${scenario}: no entry's decision reads a value (condition-free throughout): nothing to bound`);
    return;
  }
  if (!bound.run() || !floor.run()) throw new Error('a stored copy did not match its request');
  const hits = (): void => {
    for (let i = 0; i < reqs.length; i++) cached.check(reqs[i]!);
  };
  const options = { timeMs, warmupMs: 250 };
  const speedup = await pairedRatio(() => {
    for (let i = 0; i < reqs.length; i++) uncached.check(reqs[i]!);
  }, hits, options);
  const vsFloor = await pairedRatio(hits, () => void floor.run(), options);
  const vsBound = await pairedRatio(hits, () => void bound.run(), options);
  const ns = (x: number): string => `${(x / reqs.length).toFixed(0)} ns`;
  console.log(`${scenario}: ${reqs.length} requests, ${floor.entries} resource entries whose decision reads values; three pairs, each timed in alternating rounds for ${timeMs} ms; means per check`);
  console.log(`  uncached ${ns(speedup.a.meanNs)} vs hit ${ns(speedup.b.meanNs)}: speed-up ${speedup.ratio.toFixed(2)}×`);
  console.log(`  hit ${ns(vsFloor.a.meanNs)} vs floor ${ns(vsFloor.b.meanNs)}: hit ÷ floor ${vsFloor.ratio.toFixed(2)}`);
  console.log(`  hit ${ns(vsBound.a.meanNs)} vs bound ${ns(vsBound.b.meanNs)}: hit ÷ bound ${vsBound.ratio.toFixed(2)}`);
  console.log(`  so bound ÷ floor ${(vsFloor.ratio / vsBound.ratio).toFixed(2)}, and a hit at the bound would be ${(speedup.ratio * vsBound.ratio).toFixed(2)}× faster than an uncached check`);
}

main().catch((err: unknown) => {
  console.error(`bench:cache-bound: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 70;
});
