/**
 * `npm run bench:cache-bound`: how far a decision-cache hit is from what any content-keyed cache
 * must do. Four passes over the same requests, timed in alternating rounds (a change of host load
 * hits all alike), medians per check:
 *   uncached   the engine with its cache off;
 *   hit        the engine with every request cached (bench's cache pass);
 *   floor      reading the values the decisions depend on and comparing them with stored copies
 *              (bench's hit floor);
 *   bound      the floor plus locating each entry by content: actions key, a hash of every value
 *              read, one table read (cache-floor.ts, locateBoundPass).
 * It prints the ratios bench reports (speed-up, hit ÷ floor) beside what a hit at the bound
 * would give. A benchmark, not a test.
 *
 * Usage: node dist/src/bench/cache-bound-bench.js [--scenario abac-cel] [--requests 256] [--rounds 40] [--seed 1]
 */
import { openScenario } from './engine-adapter.js';
import { hitFloorPass, locateBoundPass } from './cache-floor.js';
import { median, scriptArg as arg } from '../load/bench-script.js';

/** each timed block lasts about this long */
const BLOCK_NS = 4e6;

async function main(): Promise<void> {
  const scenario = arg('scenario', 'abac-cel');
  const requests = Number(arg('requests', 256));
  const rounds = Number(arg('rounds', 40));
  const seed = Number(arg('seed', 1));
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
  const passes: Array<[string, () => void]> = [
    ['uncached', () => {
      for (let i = 0; i < reqs.length; i++) uncached.check(reqs[i]!);
    }],
    ['hit', () => {
      for (let i = 0; i < reqs.length; i++) cached.check(reqs[i]!);
    }],
    ['floor', () => void floor.run()],
    ['bound', () => void bound.run()],
  ];
  const calls = passes.map(([, fn]) => {
    const t0 = process.hrtime.bigint();
    fn();
    return Math.max(1, Math.round(BLOCK_NS / Math.max(1, Number(process.hrtime.bigint() - t0))));
  });
  const perCheck: number[][] = passes.map(() => []);
  for (let round = 0; round < rounds + 3; round++) {
    passes.forEach(([, fn], i) => {
      const t0 = process.hrtime.bigint();
      for (let c = 0; c < calls[i]!; c++) fn();
      // the first rounds warm the JIT and are not kept
      if (round >= 3) perCheck[i]!.push(Number(process.hrtime.bigint() - t0) / calls[i]! / reqs.length);
    });
  }
  const [u, h, f, b] = perCheck.map(median) as [number, number, number, number];
  const ns = (x: number): string => `${x.toFixed(0)} ns`;
  console.log(`${scenario}: ${reqs.length} requests, ${floor.entries} resource entries whose decision reads values, ${rounds} alternating rounds, medians per check`);
  console.log(`  uncached ${ns(u)} · hit ${ns(h)} · floor ${ns(f)} · bound ${ns(b)}`);
  console.log(`  speed-up uncached ÷ hit ${(u / h).toFixed(2)}× (at the bound it would be ${(u / b).toFixed(2)}×)`);
  console.log(`  hit ÷ floor ${(h / f).toFixed(2)} · bound ÷ floor ${(b / f).toFixed(2)} · hit ÷ bound ${(h / b).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(`bench:cache-bound: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 70;
});
