/**
 * Cerbos's CEL extension library on a cel-js environment: one entry point that registers every
 * family. What cel-js cannot express exactly is said in each module's header.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { registerComprehensions } from './comprehensions.js';
import { registerHierarchy } from './hierarchy.js';
import { registerLists } from './lists.js';
import { registerMath } from './math.js';
import { registerNetwork } from './network.js';
import { methodReplacer } from './replace-overload.js';
import { registerStringOverrides } from './string-overrides.js';
import { registerStrings } from './strings.js';
import { registerTime, type CelClock } from './time.js';

export type { CelClock };

export function registerCerbosLibrary(env: Environment, clock: CelClock): Environment {
  const methods = methodReplacer(env);
  registerTime(env, clock, methods);
  registerHierarchy(env);
  registerNetwork(env);
  registerLists(env);
  registerStrings(env);
  registerStringOverrides(env, methods);
  registerMath(env);
  registerComprehensions(env);
  return env;
}
