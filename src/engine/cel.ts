/**
 * CEL for policies: one shared @marcbachmann/cel-js environment with the Cerbos variables
 * (request, P, R, V, C, variables, constants) and the Cerbos extension functions we support,
 * compile-once helpers that turn library errors into `file:line:column` InputErrors, and an AST walk
 * that finds which variables, constants and principal/resource fields an expression reads.
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { InputError } from '../util/errors.js';
import { registerCerbosLibrary } from './cel-library/index.js';
import { exprPosition, type SourceExpr } from './policy-source.js';

/** The object a compiled expression is evaluated against (built once per principal/resource pair). */
export interface Activation {
  /** `auxData` and `aux_data` are the same object (`{ jwt: claims }`) */
  request: { principal: unknown; resource: unknown; aux_data: Record<string, unknown>; auxData: Record<string, unknown> };
  P: unknown;
  R: unknown;
  V: Record<string, unknown>;
  variables: Record<string, unknown>;
  C: Record<string, unknown>;
  constants: Record<string, unknown>;
  /** the engine's globals (Cerbos `engine.globals`) */
  G: Record<string, unknown>;
  globals: Record<string, unknown>;
  /** `{ effectiveDerivedRoles: string[] }` */
  runtime: Record<string, unknown>;
  /** set on activations the engine reuses: a cel-js context bound to this object (invisible to CEL) */
  [BOUND_CONTEXT]?: BoundContext;
}

export type CelProgram = (activation: Activation) => unknown;

/** Where an activation the engine reuses keeps its bound cel-js context (see bindActivation). */
export const BOUND_CONTEXT: unique symbol = Symbol('celBoundContext');

/** A cel-js evaluator and root context bound to one activation object. */
export interface BoundContext {
  readonly ev: unknown;
  readonly ctx: unknown;
}

type AstEvaluate = (ev: unknown, ast: unknown, ctx: unknown) => unknown;
interface CheckedAst {
  checkedType?: unknown;
  evaluate: AstEvaluate;
}

let captureProgram: ((activation: object) => unknown) | undefined;
let captured: BoundContext | null = null;

/** cel-js's evaluator and a root context for `activation`, taken from one evaluation of a private program. */
function captureContext(activation: object): BoundContext | null {
  if (captureProgram === undefined) {
    const program = celEnvironment().parse('true');
    (program.ast as unknown as CheckedAst).evaluate = (ev, _ast, ctx) => {
      captured = { ev, ctx };
      return true;
    };
    captureProgram = program as unknown as (activation: object) => unknown;
  }
  captured = null;
  captureProgram(activation);
  const got = captured as BoundContext | null;
  captured = null;
  return got;
}

/**
 * Runs a checked program in a bound context: what cel-js's program function does, minus the root
 * context it builds per call (one allocation per evaluation, most of what a condition allocates).
 */
export function runBound(program: CelProgram, bound: BoundContext): unknown {
  const ast = (program as unknown as { ast: CheckedAst }).ast;
  return ast.evaluate(bound.ev, ast, bound.ctx);
}

const SELF_TEST = [
  'P.attr.n + 1.0 == 3.0 && R.id in ["a", "b"]',
  'V.xs.exists(i, i > 1.0) || R.attr.missing == 1',
  'has(R.attr.status) ? R.attr.status.startsWith("pub") : P.id == "p"',
];
let directWorks: boolean | undefined;

/** Whether runBound answers exactly as the program does here (checked once per process). */
function directEvaluationWorks(): boolean {
  if (directWorks !== undefined) return directWorks;
  directWorks = false;
  try {
    const env = celEnvironment();
    const programs = SELF_TEST.map((text) => {
      const p = env.parse(text);
      if (!p.check().valid) throw new Error('self-test expression does not check');
      return p as unknown as CelProgram;
    });
    const inputs = [
      { P: { id: 'p', attr: { n: 2 } }, R: { id: 'a', attr: { status: 'published' } }, V: { xs: [1, 2] } },
      { P: { id: 'q', attr: { n: 1 } }, R: { id: 'c', attr: {} }, V: { xs: [0] } },
    ];
    const outcome = (f: () => unknown): string => {
      try {
        return `ok ${String(f())}`;
      } catch (err) {
        return `error ${err instanceof Error ? err.constructor.name : typeof err}`;
      }
    };
    for (const input of inputs) {
      const act = input as unknown as Activation;
      const bound = captureContext(act);
      if (bound === null) return false;
      for (const p of programs) if (outcome(() => runBound(p, bound)) !== outcome(() => p(act))) return false;
    }
    directWorks = true;
  } catch {
    directWorks = false;
  }
  return directWorks;
}

/**
 * Binds a cel-js root context to an activation the caller reuses for many evaluations (the engine's
 * pooled activations), so runBound can evaluate without building one per call. Null where this
 * cel-js does not evaluate that way (checked once against its own program function): callers then
 * call the program.
 */
export function bindActivation(activation: Activation): BoundContext | null {
  return directEvaluationWorks() ? captureContext(activation) : null;
}

/**
 * The clock `now()` reads. The engine points it at its own (injectable) clock before evaluating;
 * checks are synchronous, so engines with different clocks in one process do not interfere.
 * `reads` counts calls, so the engine knows whether a decision depended on the time.
 */
export const celClock: { now: () => number; reads: number } = { now: Date.now, reads: 0 };

const ROOT_VARIABLES = ['request', 'P', 'R', 'V', 'C', 'variables', 'constants', 'G', 'globals', 'runtime'] as const;

function createEnvironment(): Environment {
  // optional types (`.?field`, `optional.of`) are on, as in Cerbos; regex.extract returns one
  const env = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true });
  for (const name of ROOT_VARIABLES) env.registerVariable(name, 'map');
  return registerCerbosLibrary(env, celClock);
}

let sharedEnv: Environment | undefined;
/** The one environment every policy expression is compiled in (created on first use). */
export function celEnvironment(): Environment {
  sharedEnv ??= createEnvironment();
  return sharedEnv;
}

export interface CompiledCel {
  program: CelProgram;
  ast: ASTNode;
  /** type inferred by the checker, e.g. `bool`, `dyn` */
  type: string;
}

interface CelLibraryError {
  summary?: string;
  message: string;
  range?: { start: number; end: number };
  node?: { start?: number; pos?: number };
}

function errorOffset(err: CelLibraryError): number {
  return err.range?.start ?? err.node?.start ?? err.node?.pos ?? 0;
}

function toInputError(source: SourceExpr, err: CelLibraryError, prefix: string): InputError {
  const { line, column } = exprPosition(source, errorOffset(err));
  const summary = (err.summary ?? err.message).split('\n')[0] ?? 'invalid expression';
  return new InputError(`${prefix}${summary}`, { file: source.location.file, line, column });
}

/**
 * Most levels of nesting an expression may have. Parsers, checkers and evaluators walk the tree
 * recursively, so a chain of 10,000 `!` or a 20,000-term `||` would overflow the call stack;
 * Node's default stack holds about 1,500 of these levels, and real policies use a few dozen.
 */
export const CEL_MAX_NESTING = 500;

/**
 * Where `text` first nests deeper than CEL_MAX_NESTING, or null. One linear scan of the tokens:
 * a level is an open bracket, or a prefix (`!`, `-`), binary or `?` operator at the same bracket
 * level since its last comma (a chain of n operators is a tree n deep). Strings and `//` comments
 * are skipped. Mixed precedence (`a || b && c`) is over-counted, never under-counted.
 */
export function celNestingError(text: string): { offset: number; message: string } | null {
  // every level takes at least one character
  if (text.length <= CEL_MAX_NESTING) return null;
  const chained: number[] = [0];
  let levels = 0;
  let afterOperand = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const close = text.startsWith(c + c + c, i) ? c + c + c : c;
      let j = i + close.length;
      while (j < text.length && !text.startsWith(close, j)) j += text[j] === '\\' ? 2 : 1;
      i = j + close.length - 1;
      afterOperand = true;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (c === '(' || c === '[' || c === '{') {
      chained.push(0);
      if (++levels > CEL_MAX_NESTING) return tooDeep(i);
      afterOperand = false;
    } else if (c === ')' || c === ']' || c === '}') {
      if (chained.length > 1) levels -= 1 + chained.pop()!;
      afterOperand = true;
    } else if (c === ',') {
      levels -= chained[chained.length - 1]!;
      chained[chained.length - 1] = 0;
      afterOperand = false;
    } else if (isOperatorChar(text.charCodeAt(i)) || (c === 'i' && isInKeyword(text, i))) {
      const at = i;
      // two-character operators (`||`, `&&`, `==`, `!=`, `<=`, `>=`, `in`) count once
      if (afterOperand && (c === '|' || c === '&' || c === 'i' || text[i + 1] === '=')) i++;
      chained[chained.length - 1]!++;
      if (++levels > CEL_MAX_NESTING) return tooDeep(at);
      afterOperand = false;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      afterOperand = true;
    }
  }
  return null;
}

function tooDeep(offset: number): { offset: number; message: string } {
  return { offset, message: `expression nested more than ${CEL_MAX_NESTING} levels deep (each bracket, prefix operator and chained binary operator is a level)` };
}

/** `|&=!<>+-*%/?`: the characters operators start with */
function isOperatorChar(code: number): boolean {
  return OPERATOR_CODES[code] === 1;
}

const OPERATOR_CODES = new Uint8Array(128);
for (const ch of '|&=!<>+-*/%?') OPERATOR_CODES[ch.charCodeAt(0)] = 1;

function isInKeyword(text: string, i: number): boolean {
  return text[i + 1] === 'n' && !/[\w.]/.test(text[i - 1] ?? ' ') && !/\w/.test(text[i + 2] ?? ' ');
}

/** Parses and type-checks once; syntax errors and unknown functions/variables are InputErrors. */
export function compileCel(source: SourceExpr): CompiledCel {
  const nesting = celNestingError(source.text);
  if (nesting) throw toInputError(source, { message: nesting.message, range: { start: nesting.offset, end: nesting.offset } }, 'CEL syntax error: ');
  const env = celEnvironment();
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(source.text);
  } catch (err) {
    throw toInputError(source, err as CelLibraryError, 'CEL syntax error: ');
  }
  const checked = parsed.check();
  if (!checked.valid) throw toInputError(source, (checked.error ?? { message: 'type check failed' }) as CelLibraryError, 'CEL error: ');
  return { program: parsed as unknown as CelProgram, ast: parsed.ast, type: checked.type ?? 'dyn' };
}

/** How an expression reads the principal or the resource. */
export interface FieldUse {
  id: boolean;
  /** top-level attribute names read as `X.attr.name` / `X.attr["name"]` */
  attrs: Set<string>;
  /** read in a way we cannot narrow (whole object, whole attr map, computed key) */
  whole: boolean;
}

export interface ExprRefs {
  variables: Array<{ name: string; offset: number }>;
  constants: Array<{ name: string; offset: number }>;
  principal: FieldUse;
  resource: FieldUse;
  /** reads `runtime` (effectiveDerivedRoles) */
  runtime: boolean;
  /** reads `request.auxData` / `request.aux_data`, or `request` as a whole */
  auxData: boolean;
}

function fieldUse(): FieldUse {
  return { id: false, attrs: new Set(), whole: false };
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'args' in x;
}

function fieldName(node: ASTNode): string | undefined {
  if (node.op === '.' || node.op === '.?') return node.args[1];
  if ((node.op === '[]' || node.op === '[?]') && node.args[1].op === 'value' && typeof node.args[1].args === 'string') return node.args[1].args;
  return undefined;
}

/** Which object a node denotes when it is `P`, `R`, `request.principal` or `request.resource`. */
function rootOf(node: ASTNode): 'principal' | 'resource' | 'variables' | 'constants' | undefined {
  if (node.op === 'id') {
    switch (node.args) {
      case 'P':
        return 'principal';
      case 'R':
        return 'resource';
      case 'V':
      case 'variables':
        return 'variables';
      case 'C':
      case 'constants':
        return 'constants';
      default:
        return undefined;
    }
  }
  if ((node.op === '.' || node.op === '[]') && node.args[0].op === 'id' && node.args[0].args === 'request') {
    const f = fieldName(node);
    if (f === 'principal') return 'principal';
    if (f === 'resource') return 'resource';
  }
  return undefined;
}

/** Walks an expression's AST once and lists what it reads. */
export function analyzeRefs(ast: ASTNode): ExprRefs {
  const refs: ExprRefs = { variables: [], constants: [], principal: fieldUse(), resource: fieldUse(), runtime: false, auxData: false };
  const walk = (node: ASTNode, parent: ASTNode | undefined, grand: ASTNode | undefined): void => {
    const root = rootOf(node);
    if (node.op === 'id' && node.args === 'runtime') refs.runtime = true;
    if (node.op === 'id' && node.args === 'request') {
      const field = parent && firstArg(parent) === node ? fieldName(parent) : undefined;
      if (field !== 'principal' && field !== 'resource') {
        // request.auxData, or the whole request (which holds principal, resource and aux data)
        refs.auxData = true;
        if (field === undefined) refs.principal.whole = refs.resource.whole = true;
      }
    }
    if (root === undefined) {
      const children: ASTNode[] = [];
      collectChildren(node.args, children);
      for (const child of children) walk(child, node, parent);
      return;
    }
    const field = parent && firstArg(parent) === node ? fieldName(parent) : undefined;
    if (root === 'variables' || root === 'constants') {
      const list = root === 'variables' ? refs.variables : refs.constants;
      if (field !== undefined) list.push({ name: field, offset: parent!.start });
      else if (root === 'variables') list.push({ name: '*', offset: node.start });
      return;
    }
    const use = root === 'principal' ? refs.principal : refs.resource;
    if (field === 'id') use.id = true;
    else if (field === 'roles' || field === 'kind') {
      // roles are always part of the decision key; kind selects the policy
    } else if (field === 'attr') {
      const attr = grand && firstArg(grand) === parent ? fieldName(grand) : undefined;
      if (attr !== undefined) use.attrs.add(attr);
      else use.whole = true;
    } else use.whole = true;
    // siblings (e.g. the index in `R.attr[x]`) are walked by the ancestors' loops
  };
  walk(ast, undefined, undefined);
  return refs;
}

function firstArg(node: ASTNode): unknown {
  return Array.isArray(node.args) ? (node.args as unknown[])[0] : undefined;
}

function collectChildren(args: unknown, out: ASTNode[]): void {
  if (isNode(args)) {
    out.push(args);
    return;
  }
  if (!Array.isArray(args)) return;
  for (const a of args) {
    if (isNode(a)) out.push(a);
    else if (Array.isArray(a)) collectChildren(a, out);
  }
}
