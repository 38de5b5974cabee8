/** What a scenario asks of a Cerbos PDP started for it. */
import type { AttrValue } from '../engine/types.js';
import type { Scenario } from '../scenario/types.js';
import type { StartCerbosOptions } from './cerbos.js';

/**
 * The scenario's policy folder, and its globals when its scenario.yaml has a `globals:` map (read
 * structurally, so scenarios without the key and formats that predate it both work).
 */
export function cerbosOptionsFor(scenario: Scenario): Pick<StartCerbosOptions, 'policyDir' | 'globals'> {
  const globals = (scenario as Scenario & { globals?: unknown }).globals;
  const isMap = globals !== null && typeof globals === 'object' && !Array.isArray(globals);
  return { policyDir: scenario.policyDir, ...(isMap ? { globals: globals as Record<string, AttrValue> } : {}) };
}
