/** What a scenario asks of a Cerbos PDP started for it. */
import type { Scenario } from '../scenario/types.js';
import type { StartCerbosOptions } from './cerbos.js';

/** The scenario's policy folder, its globals and its scope search, as its scenario.yaml sets them. */
export function cerbosOptionsFor(scenario: Scenario): Pick<StartCerbosOptions, 'policyDir' | 'globals' | 'lenientScopeSearch'> {
  return {
    policyDir: scenario.policyDir,
    ...(scenario.globals ? { globals: scenario.globals } : {}),
    ...(scenario.lenientScopeSearch ? { lenientScopeSearch: true } : {}),
  };
}
