/** What a scenario asks of a Cerbos PDP started for it. */
import type { Scenario } from '../scenario/types.js';
import type { StartCerbosOptions } from './cerbos.js';

/** The scenario's policy folder, and its globals when its scenario.yaml has a `globals:` map. */
export function cerbosOptionsFor(scenario: Scenario): Pick<StartCerbosOptions, 'policyDir' | 'globals'> {
  return { policyDir: scenario.policyDir, ...(scenario.globals ? { globals: scenario.globals } : {}) };
}
