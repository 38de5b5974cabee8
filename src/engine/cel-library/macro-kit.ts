/**
 * Typed handles on cel-js 8's custom-macro hooks (README "Custom macros"): a function overload
 * with `ast` parameters is expanded at parse time into an object whose `typeCheck` and `evaluate`
 * run inside the library's own checker and evaluator. cel-js looks a macro up by name, receiver
 * presence and argument count only, so one registration covers every receiver type.
 */
import type { ASTNode, Environment } from '@marcbachmann/cel-js';

/** A type as cel-js's checker reports it. */
export interface CelType {
  kind: string;
  name: string;
  keyType?: CelType;
  valueType?: CelType;
}

/** A checker/evaluator scope; `forkWithVariable` adds one comprehension variable. */
export interface MacroScope {
  forkWithVariable(name: string, type: CelType): MacroScope;
  reuse(parent: MacroScope): MacroScope;
  setIterValue(value: unknown, ev: MacroEvaluator): MacroScope;
}

export interface MacroChecker {
  check(node: ASTNode, scope: MacroScope): CelType;
  getType(name: string): CelType;
}

export interface MacroEvaluator {
  run(node: ASTNode, scope: MacroScope): unknown;
}

export interface MacroCall {
  ast: ASTNode;
  args: ASTNode[];
  receiver: ASTNode | null;
}

export interface MacroHooks<State> {
  /** returns the expression's type; may store scopes on `state` for `evaluate` */
  typeCheck(checker: MacroChecker, state: State & MacroCall, scope: MacroScope): CelType;
  evaluate(ev: MacroEvaluator, state: State & MacroCall, scope: MacroScope): unknown;
}

/** Registers a macro; `init` builds the per-call state from the parsed call. */
export function registerMacro<State extends object>(
  env: Environment,
  signature: string,
  init: (call: MacroCall) => State,
  hooks: MacroHooks<State>,
): void {
  env.registerFunction(signature, (call: MacroCall) => ({
    ...init(call),
    ast: call.ast,
    args: call.args,
    receiver: call.receiver,
    typeCheck: hooks.typeCheck,
    evaluate: hooks.evaluate,
    async: false,
  }));
}

/** The identifier a macro argument names (`x` in `list.sortBy(x, ...)`), or a parse error. */
export function identifierArg(node: ASTNode | undefined, what: string): string {
  if (node !== undefined && node.op === 'id' && typeof node.args === 'string') return node.args;
  throw new Error(`${what} must be a simple identifier`);
}
