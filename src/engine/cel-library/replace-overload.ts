/**
 * Replacing cel-js built-in methods that take no argument (cel-js 8 offers no API for it, and a
 * macro needs an argument to hang on). Uses two cel-js internals, checked here so a cel-js
 * upgrade that changes them fails when the environment is created, not silently:
 * - a macro handler receives the parser, whose `registry` is the environment's registry;
 * - `registry.functionCandidates(receiver?, name, arity).declarations` is the overload list a
 *   call is resolved from. The replacement is registered under a helper name with the same
 *   receiver and return type, and its declaration takes the built-in's place in that list (in
 *   this environment's registry only; other environments keep cel-js's functions).
 */
import type { Environment } from '@marcbachmann/cel-js';

interface Declaration {
  receiverType: { name: string } | null;
  argTypes: unknown[];
}

interface Registry {
  functionCandidates(receiver: boolean, name: string, arity: number): { declarations: Declaration[] };
}

const PROBE = 'cerbosLibraryRegistryProbe';

function registryOf(env: Environment): Registry {
  let registry: Registry | undefined;
  env.registerFunction(`${PROBE}(ast): bool`, ({ parser }: { parser: { registry?: Registry } }) => {
    registry = parser.registry;
    return { typeCheck: (checker: { getType(n: string): unknown }) => checker.getType('bool'), evaluate: () => false, async: false };
  });
  env.parse(`${PROBE}(x)`);
  if (!registry || typeof registry.functionCandidates !== 'function') throw new Error('cel-js internals changed: cannot reach the function registry');
  return registry;
}

export interface MethodReplacer {
  /** replaces `receiver.name(): returns` with `handler(receiverValue)` */
  replace(receiver: string, name: string, returns: string, handler: (value: never) => unknown): void;
}

export function methodReplacer(env: Environment): MethodReplacer {
  const registry = registryOf(env);
  return {
    replace(receiver, name, returns, handler) {
      const helper = `cerbosLibrary_${name}`;
      env.registerFunction(`${receiver}.${helper}(): ${returns}`, handler);
      const [replacement] = registry.functionCandidates(true, helper, 0).declarations;
      const target = registry.functionCandidates(true, name, 0).declarations;
      const i = target.findIndex((d) => d.receiverType?.name === receiver && d.argTypes.length === 0);
      if (!replacement || i < 0) throw new Error(`cel-js internals changed: cannot replace ${receiver}.${name}()`);
      target[i] = replacement;
    },
  };
}
