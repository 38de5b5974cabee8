/**
 * cel-go's two-variable comprehensions (ext.TwoVarComprehensions), which Cerbos registers:
 * `all`, `exists`, `existsOne`/`exists_one` with (key|index, value, predicate), and
 * `transformList`, `transformMap`, `transformMapEntry` with an optional filter. On a list the
 * first variable is the index (int), on a map the key. Error handling follows cel-go: `all` and
 * `exists` absorb an element's error when another element decides the result, the others fail.
 * Plus `list.sortBy(x, keyExpr)` (cel-go ext.Lists), a stable sort by a computed key.
 */
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import { identifierArg, registerMacro, type CelType, type MacroChecker, type MacroEvaluator, type MacroScope } from './macro-kit.js';
import { celCompare, fail, mapEntries, typeName } from './values.js';

interface TwoVarState {
  keyVar: string;
  valueVar: string;
  filter: ASTNode | undefined;
  body: ASTNode;
  keyScope?: MacroScope;
  valueScope?: MacroScope;
}

/** The (key or index, value) pairs of a list or map, or a CEL error. */
function pairsOf(range: unknown, fn: string): Array<[unknown, unknown]> {
  if (Array.isArray(range)) return range.map((v, i) => [BigInt(i), v]);
  if (typeName(range) === 'map') return mapEntries(range as Record<string, unknown>);
  return fail(`${fn}: expression of type ${typeName(range)} cannot be the range of a comprehension`);
}

function init(withFilter: boolean) {
  return ({ args }: { args: ASTNode[] }): TwoVarState => ({
    keyVar: identifierArg(args[0], 'the first comprehension variable'),
    valueVar: identifierArg(args[1], 'the second comprehension variable'),
    filter: withFilter ? args[2] : undefined,
    body: withFilter ? args[3]! : args[2]!,
  });
}

/** Declares the two variables for the body: (int, element) on a list, (key, value) on a map. */
function checkScopes(checker: MacroChecker, state: TwoVarState & { receiver: ASTNode | null }, scope: MacroScope): MacroScope {
  const range: CelType = checker.check(state.receiver!, scope);
  const dyn = checker.getType('dyn');
  let keyType = dyn;
  let valueType = dyn;
  if (range.kind === 'list') {
    keyType = checker.getType('int');
    valueType = range.valueType ?? dyn;
  } else if (range.kind === 'map') {
    keyType = range.keyType ?? dyn;
    valueType = range.valueType ?? dyn;
  }
  state.keyScope = scope.forkWithVariable(state.keyVar, keyType);
  state.valueScope = state.keyScope.forkWithVariable(state.valueVar, valueType);
  if (state.filter) checker.check(state.filter, state.valueScope);
  return state.valueScope;
}

/** Binds both variables for one element and returns the scope the body runs in. */
function bind(ev: MacroEvaluator, state: TwoVarState, outer: MacroScope, key: unknown, value: unknown): MacroScope {
  state.keyScope!.reuse(outer).setIterValue(key, ev);
  return state.valueScope!.setIterValue(value, ev);
}

function runBool(ev: MacroEvaluator, node: ASTNode, scope: MacroScope, fn: string): boolean {
  const v = ev.run(node, scope);
  if (typeof v !== 'boolean') return fail(`${fn}: predicate must return bool, got ${typeName(v)}`);
  return v;
}

function quantifier(env: Environment, name: string, mode: 'all' | 'exists' | 'one'): void {
  registerMacro(env, `list.${name}(ast, ast, ast): bool`, init(false), {
    typeCheck(checker, state, scope) {
      checker.check(state.body, checkScopes(checker, state, scope));
      return checker.getType('bool');
    },
    evaluate(ev, state, scope) {
      const pairs = pairsOf(ev.run(state.receiver!, scope), name);
      let error: unknown;
      let count = 0;
      for (const [k, v] of pairs) {
        const inner = bind(ev, state, scope, k, v);
        if (mode === 'one') {
          if (runBool(ev, state.body, inner, name)) count++;
          continue;
        }
        let result: boolean;
        try {
          result = runBool(ev, state.body, inner, name);
        } catch (err) {
          error ??= err;
          continue;
        }
        if (mode === 'all' && !result) return false;
        if (mode === 'exists' && result) return true;
      }
      if (mode === 'one') return count === 1;
      if (error !== undefined) throw error;
      return mode === 'all';
    },
  });
}

function transform(env: Environment, name: string, withFilter: boolean, kind: 'list' | 'map' | 'entry'): void {
  const argTypes = withFilter ? 'ast, ast, ast, ast' : 'ast, ast, ast';
  registerMacro(env, `list.${name}(${argTypes}): ${kind === 'list' ? 'list' : 'map'}`, init(withFilter), {
    typeCheck(checker, state, scope) {
      checker.check(state.body, checkScopes(checker, state, scope));
      return checker.getType(kind === 'list' ? 'list' : 'map');
    },
    evaluate(ev, state, scope) {
      const pairs = pairsOf(ev.run(state.receiver!, scope), name);
      const list: unknown[] = [];
      const map: Record<string, unknown> = {};
      for (const [k, v] of pairs) {
        const inner = bind(ev, state, scope, k, v);
        if (state.filter && !runBool(ev, state.filter, inner, name)) continue;
        const out = ev.run(state.body, inner);
        if (kind === 'list') list.push(out);
        else if (kind === 'map') map[String(k)] = out;
        else {
          if (typeof out !== 'object' || out === null || Array.isArray(out)) fail(`${name}: the entry expression must be a map, got ${typeName(out)}`);
          for (const [ek, evalue] of mapEntries(out as Record<string, unknown>)) {
            const key = String(ek);
            if (Object.prototype.hasOwnProperty.call(map, key)) fail(`insert failed: key ${key} already exists`);
            map[key] = evalue;
          }
        }
      }
      return kind === 'list' ? list : map;
    },
  });
}

interface SortByState {
  itemVar: string;
  key: ASTNode;
  itemScope?: MacroScope;
}

function registerSortBy(env: Environment): void {
  registerMacro<SortByState>(
    env,
    'list.sortBy(ast, ast): list',
    ({ args }) => ({ itemVar: identifierArg(args[0], 'sortBy(var, key)'), key: args[1]! }),
    {
      typeCheck(checker, state, scope) {
        const range = checker.check(state.receiver!, scope);
        state.itemScope = scope.forkWithVariable(state.itemVar, range.kind === 'list' && range.valueType ? range.valueType : checker.getType('dyn'));
        checker.check(state.key, state.itemScope);
        return range.kind === 'list' ? range : checker.getType('list');
      },
      evaluate(ev, state, scope) {
        const list = ev.run(state.receiver!, scope);
        if (!Array.isArray(list)) return fail(`sortBy: expected a list, got ${typeName(list)}`);
        const keyed = list.map((item, index) => ({ item, index, key: ev.run(state.key, state.itemScope!.reuse(scope).setIterValue(item, ev)) }));
        keyed.sort((a, b) => celCompare(a.key, b.key, 'sortBy') || a.index - b.index);
        return keyed.map((k) => k.item);
      },
    },
  );
}

export function registerComprehensions(env: Environment): void {
  quantifier(env, 'all', 'all');
  quantifier(env, 'exists', 'exists');
  quantifier(env, 'existsOne', 'one');
  quantifier(env, 'exists_one', 'one');
  for (const withFilter of [false, true]) {
    transform(env, 'transformList', withFilter, 'list');
    transform(env, 'transformMap', withFilter, 'map');
    transform(env, 'transformMapEntry', withFilter, 'entry');
  }
  registerSortBy(env);
}
