/**
 * Child-process entry point (not part of the CLI): `node --expose-gc alloc-probe.js '{"scenario":…}'`.
 * Loads one scenario, measures heap retained by the engine and bytes allocated per uncached and
 * per cached check, and prints one JSON line (ProbeOutput) on stdout.
 */
import { measureAllocation, measureRetained } from './alloc.js';
import { openScenario } from './engine-adapter.js';
import type { ProbeOutput } from './memory.js';

const ROUNDS = 7;
const RETAINED_COPIES = 4;

async function probe(arg: string): Promise<ProbeOutput> {
  const { scenario, seed, requests, globalsFile, lenientScopes } = JSON.parse(arg) as { scenario: string; seed: number; requests: number; globalsFile?: string; lenientScopes?: boolean };
  const sc = await openScenario(scenario, { seed, requests, ...(globalsFile !== undefined ? { globalsFile } : {}), ...(lenientScopes ? { lenientScopes } : {}) });
  const reqs = sc.requests;
  // several copies, so the figure stands out from the heap's own noise
  const { value: engines, retainedBytes } = await measureRetained(async () => {
    const list = [];
    for (let i = 0; i < RETAINED_COPIES; i++) list.push(sc.createEngine(false, await sc.loadAndCompile()));
    return list;
  });
  const uncached = engines[0]!;
  const cached = sc.createEngine(true);
  for (const r of reqs) {
    uncached.check(r);
    cached.check(r);
  }
  // warm up both paths so the JIT has settled before measuring
  for (let i = 0; i < 2000; i++) {
    uncached.check(reqs[i % reqs.length]!);
    cached.check(reqs[i % reqs.length]!);
  }
  const n = Math.max(reqs.length, 1000);
  const unc = await measureAllocation((i) => uncached.check(reqs[i % reqs.length]!), n, ROUNDS);
  const hit = await measureAllocation((i) => cached.check(reqs[i % reqs.length]!), n, ROUNDS);
  return {
    bytesPerCheck: unc.bytesPerCall,
    bytesPerCachedCheck: hit.bytesPerCall,
    retainedEngineBytes: retainedBytes === null ? null : Math.round(retainedBytes / RETAINED_COPIES),
    rounds: { used: unc.roundsUsed + hit.roundsUsed, dropped: unc.roundsDropped + hit.roundsDropped },
  };
}

probe(process.argv[2] ?? '{}').then(
  (out) => process.stdout.write(JSON.stringify(out) + '\n'),
  (err: unknown) => {
    process.stderr.write(`alloc-probe: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
