/** `bench --http --engine cerbos`: the real Cerbos PDP on each scenario's policies and globals as the round trip's target. */
import { loadScenario, type Scenario } from '../scenario/index.js';
import { requireCerbos, startCerbos } from '../targets/cerbos.js';
import { cerbosOptionsFor } from '../targets/scenario-cerbos.js';
import type { BenchRunOptions } from './options.js';

export async function cerbosHttpTarget(
  scenarioArgs: readonly string[],
  o: { cwd: string; env: NodeJS.ProcessEnv; lenient: boolean },
): Promise<NonNullable<BenchRunOptions['httpTarget']>> {
  const binary = await requireCerbos({ env: o.env });
  const byName = new Map<string, Scenario>();
  for (const arg of scenarioArgs) {
    const s = await loadScenario(arg, { cwd: o.cwd });
    byName.set(s.name, s);
  }
  return async ({ name, policyDir }) => {
    const scenario = byName.get(name);
    const cerbos = await startCerbos({ ...(scenario ? cerbosOptionsFor(scenario) : { policyDir }), ...(o.lenient ? { lenientScopeSearch: true } : {}), binary });
    return { origin: cerbos.httpUrl, label: `Cerbos ${cerbos.version}`, close: () => cerbos.stop() };
  };
}
