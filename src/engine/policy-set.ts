/**
 * Policy documents → a compiled, indexed PolicySet. Every CEL condition and variable is compiled
 * exactly once here; rules are indexed by resource kind → version → action so a check never scans.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import type { Principal, ResourceRef } from './types.js';
import { analyzeRefs, compileCel, type Activation, type CelProgram, type ExprRefs } from './cel.js';
import { celSafeAttr } from './safe-attr.js';
import { KeyVariants } from './decision-key.js';
import {
  exprPosition as exprAt,
  parsePolicySource,
  type ConditionNode,
  type DerivedRolesDoc,
  type ExportConstantsDoc,
  type ExportVariablesDoc,
  type ExprLocation,
  type ExpressionKind,
  type PolicyDocument,
  type PolicyExpression,
  type ResourcePolicyDoc,
  type SourceExpr,
  type VariableDef,
} from './policy-source.js';

/** A scope is what `V` and `C` mean for an expression: one policy's (or derived-role set's) variables and constants. */
export interface Scope {
  name: string;
  constants: Record<string, unknown>;
  variables: Map<string, CompiledVariable>;
}

/** A policy expression (where it stands, see PolicyExpression) compiled for evaluation. */
export interface CompiledExpr extends PolicyExpression {
  /** stable id: `<policy>#<path>` */
  id: string;
  /** type inferred at load (`bool`, `dyn`, ...) */
  returnType: string;
  program: CelProgram;
  refs: ExprRefs;
  scope: Scope;
  /** variables this expression reads, transitively, in evaluation order */
  varDeps: CompiledVariable[];
}

export interface CompiledVariable extends CompiledExpr {
  name: string;
  /** Object.prototype has this name (toString, ...): `V[name] !== undefined` does not mean computed */
  inheritedName: boolean;
}

export type CondTree =
  | { op: 'expr'; expr: CompiledExpr }
  | { op: 'all' | 'any' | 'none'; of: CondTree[] };

export const ALLOW = 0;
export const DENY = 1;

export interface CompiledDerivedRole {
  name: string;
  setName: string;
  anyParent: boolean;
  parentRoles: Set<string>;
  condition: CondTree | null;
  scope: Scope;
  /** memo slot in the per-pair state */
  slot: number;
}

export interface CompiledRule {
  name: string;
  policyName: string;
  effect: typeof ALLOW | typeof DENY;
  actions: string[];
  anyRole: boolean;
  roles: Set<string>;
  derivedRoles: CompiledDerivedRole[];
  condition: CondTree | null;
  slot: number;
}

export interface ActionRules {
  deny: CompiledRule[];
  allow: CompiledRule[];
  /** role → the rules that can apply to it (memoized by rulesForRole) */
  byRole: Map<string, RoleRules>;
}

/** A rule that can apply to one role: directly, or when one of `derived` is active. */
export interface RoleCandidate {
  rule: CompiledRule;
  direct: boolean;
  derived: CompiledDerivedRole[];
}

export interface RoleRules {
  deny: RoleCandidate[];
  allow: RoleCandidate[];
}

const MAX_MEMO_ROLES = 1_000;

function candidates(rules: CompiledRule[], role: string): RoleCandidate[] {
  const out: RoleCandidate[] = [];
  for (const rule of rules) {
    const direct = rule.anyRole || rule.roles.has(role);
    const derived = direct ? [] : rule.derivedRoles.filter((d) => d.anyParent || d.parentRoles.has(role));
    if (direct || derived.length > 0) out.push({ rule, direct, derived });
  }
  return out;
}

/** The rules of one action that can apply to `role`, in policy order (memoized per action). */
export function rulesForRole(rules: ActionRules, role: string): RoleRules {
  let r = rules.byRole.get(role);
  if (r !== undefined) return r;
  r = { deny: candidates(rules.deny, role), allow: candidates(rules.allow, role) };
  if (rules.byRole.size < MAX_MEMO_ROLES) rules.byRole.set(role, r);
  return r;
}

/** The principal/resource fields a policy's decisions depend on: the decision cache key reads only these. */
export interface KeyPlan {
  principalId: boolean;
  principalAttrs: string[];
  principalWholeAttr: boolean;
  resourceId: boolean;
  resourceAttrs: string[];
  resourceWholeAttr: boolean;
  /** no condition at all can be evaluated: the decision follows from roles and actions alone */
  conditionFree: boolean;
}

export interface CompiledResourcePolicy {
  name: string;
  file: string;
  resource: string;
  version: string;
  scope: Scope;
  rules: CompiledRule[];
  derivedRoleSets: string[];
  keyPlan: KeyPlan;
  /** decision-cache keys, narrowed per (roles, actions) */
  keys: KeyVariants;
  /** exact action → rules, precomputed for every literal action named in the policy */
  byAction: Map<string, ActionRules>;
  /** rules whose action patterns contain wildcards (matched lazily for other actions, then memoized) */
  wildcardRules: Array<{ rule: CompiledRule; patterns: RegExp[] }>;
}

export interface PolicySetStats {
  files: number;
  resourcePolicies: number;
  derivedRoleSets: number;
  derivedRoles: number;
  rules: number;
  conditions: number;
  variables: number;
}

export interface PolicySet {
  /** folder the set was loaded from ('' for in-memory sources) */
  dir: string;
  files: string[];
  documents: PolicyDocument[];
  resourcePolicies: CompiledResourcePolicy[];
  /** kind → version → policy */
  byKind: Map<string, Map<string, CompiledResourcePolicy>>;
  /** every compiled expression: conditions, derived-role conditions, variables */
  expressions: CompiledExpr[];
  /** number of memo slots (rule conditions + derived roles) a check needs */
  slotCount: number;
  stats: PolicySetStats;
  /** policies that were loaded but that this engine does not evaluate (say so to the user) */
  notEvaluated: NotEvaluatedPolicy[];
}

/** A principal policy or a scoped resource policy: parsed, never consulted by a check. */
export interface NotEvaluatedPolicy {
  /** Cerbos' policy id form, e.g. `principal.alice.vdefault` or `resource.document.vdefault/acme` */
  policy: string;
  file: string;
  line: number;
  reason: string;
}

/** One line per policy the engine skips, for the CLI to print or a report to list. */
export function describeNotEvaluated(p: NotEvaluatedPolicy): string {
  return `${p.file}:${p.line}: ${p.policy} is not evaluated: ${p.reason}`;
}

const MAX_MEMO_ACTIONS = 10_000;

/** Matches a Cerbos action pattern: `*` matches all; otherwise `*` matches within one `:`-segment. */
export function actionPattern(pattern: string): RegExp {
  if (pattern === '*') return /^/;
  const body = pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^:]*');
  return new RegExp(`^${body}$`);
}

/** Rules for one action (memoized per policy). */
export function rulesForAction(policy: CompiledResourcePolicy, action: string): ActionRules {
  let rules = policy.byAction.get(action);
  if (rules !== undefined) return rules;
  rules = { deny: [], allow: [], byRole: new Map() };
  for (const { rule, patterns } of policy.wildcardRules) {
    if (patterns.some((p) => p.test(action))) (rule.effect === DENY ? rules.deny : rules.allow).push(rule);
  }
  if (policy.byAction.size < MAX_MEMO_ACTIONS) policy.byAction.set(action, rules);
  return rules;
}

export interface PolicySourceFile {
  file: string;
  text: string;
}

/** Reads every .yaml/.yml/.json under `dir` (recursively; `testdata` folders and dot-files skipped). */
export async function readPolicyFiles(dir: string): Promise<PolicySourceFile[]> {
  const out: PolicySourceFile[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? 'policy folder not found' : `cannot read policy folder (${code ?? 'error'})`, { file: d });
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'testdata') await walk(full);
      } else if (/\.(ya?ml|json)$/i.test(e.name)) {
        out.push({ file: full, text: await readFile(full, 'utf8') });
      }
    }
  };
  await walk(dir);
  return out;
}

/** Loads, parses and compiles a policy folder. Any policy or CEL error is an InputError with file:line:column. */
export async function loadPolicySet(dir: string): Promise<PolicySet> {
  const files = await readPolicyFiles(dir);
  const set = compilePolicySources(files, dir);
  if (set.resourcePolicies.length === 0) throw new InputError('no resource policies found', { file: dir });
  return set;
}

/** Parses and compiles in-memory sources (file names only label locations). */
export function compilePolicySources(files: PolicySourceFile[], dir = ''): PolicySet {
  const docs = files.map((f) => parsePolicySource(f.text, f.file));
  return new Compiler(docs, files.map((f) => f.file), dir).build();
}

function errorAt(location: ExprLocation, message: string): InputError {
  return new InputError(message, { file: location.file, line: location.line, column: location.column });
}

class Compiler {
  private readonly expressions: CompiledExpr[] = [];
  private readonly exportVariables = new Map<string, ExportVariablesDoc>();
  private readonly exportConstants = new Map<string, ExportConstantsDoc>();
  private readonly derivedSets = new Map<string, { doc: DerivedRolesDoc; roles: Map<string, CompiledDerivedRole>; scope: Scope }>();
  private slot = 0;

  constructor(
    private readonly docs: PolicyDocument[],
    private readonly files: string[],
    private readonly dir: string,
  ) {}

  build(): PolicySet {
    for (const doc of this.docs) {
      if (doc.kind === 'exportVariables') this.unique(this.exportVariables, doc.name, doc, 'exportVariables');
      if (doc.kind === 'exportConstants') this.unique(this.exportConstants, doc.name, doc, 'exportConstants');
    }
    for (const doc of this.docs) if (doc.kind === 'derivedRoles') this.derivedRoleSet(doc);
    const resourcePolicies: CompiledResourcePolicy[] = [];
    const byKind = new Map<string, Map<string, CompiledResourcePolicy>>();
    const notEvaluated: NotEvaluatedPolicy[] = [];
    for (const doc of this.docs) {
      if (doc.kind === 'principalPolicy') {
        notEvaluated.push({ policy: doc.name, file: doc.file, line: doc.location.line, reason: 'this engine evaluates resource policies and derived roles, not principal policies' });
      }
      if (doc.kind !== 'resourcePolicy') continue;
      if (doc.scope !== '') {
        notEvaluated.push({ policy: doc.name, file: doc.file, line: doc.location.line, reason: `scoped policies (scope "${doc.scope}") are not evaluated by this engine` });
        continue;
      }
      const policy = this.resourcePolicy(doc);
      let versions = byKind.get(policy.resource);
      if (!versions) byKind.set(policy.resource, (versions = new Map()));
      const existing = versions.get(policy.version);
      if (existing) {
        throw errorAt(doc.location, `duplicate resource policy for ${policy.resource} version ${policy.version} (also in ${existing.file})`);
      }
      versions.set(policy.version, policy);
      resourcePolicies.push(policy);
    }
    let derivedRoles = 0;
    for (const s of this.derivedSets.values()) derivedRoles += s.roles.size;
    return {
      dir: this.dir,
      files: this.files,
      documents: this.docs,
      resourcePolicies,
      byKind,
      expressions: this.expressions,
      slotCount: this.slot,
      notEvaluated,
      stats: {
        files: this.files.length,
        resourcePolicies: resourcePolicies.length,
        derivedRoleSets: this.derivedSets.size,
        derivedRoles,
        rules: resourcePolicies.reduce((n, p) => n + p.rules.length, 0),
        conditions: this.expressions.filter((e) => e.kind !== 'variable').length,
        variables: this.expressions.filter((e) => e.kind === 'variable').length,
      },
    };
  }

  private unique<T extends { name: string; location: ExprLocation; file: string }>(map: Map<string, T>, name: string, doc: T, what: string): void {
    const prev = map.get(name);
    if (prev) throw errorAt(doc.location, `duplicate ${what} "${name}" (also in ${prev.file})`);
    map.set(name, doc);
  }

  private scope(
    name: string,
    location: ExprLocation,
    variables: { import: string[]; local: VariableDef[] },
    constants: { import: string[]; local: Record<string, unknown> },
  ): Scope {
    const consts: Record<string, unknown> = {};
    for (const imp of constants.import) {
      const doc = this.exportConstants.get(imp);
      if (!doc) throw errorAt(location, `${name}: imported constants "${imp}" not found`);
      Object.assign(consts, doc.definitions);
    }
    Object.assign(consts, constants.local);
    const scope: Scope = { name, constants: consts, variables: new Map() };
    const defs: Array<{ def: VariableDef; policyName: string; path: string }> = [];
    for (const imp of variables.import) {
      const doc = this.exportVariables.get(imp);
      if (!doc) throw errorAt(location, `${name}: imported variables "${imp}" not found`);
      for (const def of doc.definitions) defs.push({ def, policyName: doc.name, path: `definitions.${def.name}` });
    }
    for (const def of variables.local) defs.push({ def, policyName: name, path: `variables.local.${def.name}` });
    for (const { def, policyName, path: p } of defs) {
      const compiled = this.compile(def.expr, 'variable', policyName, def.name, p, scope) as CompiledVariable;
      compiled.name = def.name;
      compiled.inheritedName = def.name in Object.prototype;
      scope.variables.set(def.name, compiled);
    }
    // resolve dependencies (after all variables of the scope exist) and reject cycles
    const resolved = new Map<string, CompiledVariable[]>();
    const resolving = new Set<string>();
    const depsOf = (v: CompiledVariable): CompiledVariable[] => {
      const done = resolved.get(v.name);
      if (done) return done;
      if (resolving.has(v.name)) throw errorAt(v.location, `variable "${v.name}" depends on itself`);
      resolving.add(v.name);
      const order: CompiledVariable[] = [];
      for (const ref of this.variableRefs(v, scope)) {
        for (const d of depsOf(ref)) if (!order.includes(d)) order.push(d);
        if (!order.includes(ref)) order.push(ref);
      }
      resolving.delete(v.name);
      resolved.set(v.name, order);
      v.varDeps = order;
      return order;
    };
    for (const v of scope.variables.values()) depsOf(v);
    for (const v of scope.variables.values()) this.checkConstants(v, scope);
    return scope;
  }

  /** Variables an expression names directly (all of them for a whole-`V` use). */
  private variableRefs(expr: CompiledExpr, scope: Scope): CompiledVariable[] {
    const out: CompiledVariable[] = [];
    for (const ref of expr.refs.variables) {
      if (ref.name === '*') {
        for (const v of scope.variables.values()) if (v !== expr && !out.includes(v)) out.push(v);
        continue;
      }
      const v = scope.variables.get(ref.name);
      if (!v) {
        const src: SourceExpr = { text: expr.text, location: expr.location };
        const at = exprAt(src, ref.offset);
        throw new InputError(`unknown variable "${ref.name}" in ${scope.name}`, { file: expr.location.file, line: at.line, column: at.column });
      }
      if (!out.includes(v)) out.push(v);
    }
    return out;
  }

  private checkConstants(expr: CompiledExpr, scope: Scope): void {
    for (const ref of expr.refs.constants) {
      if (!Object.prototype.hasOwnProperty.call(scope.constants, ref.name)) {
        const at = exprAt({ text: expr.text, location: expr.location }, ref.offset);
        throw new InputError(`unknown constant "${ref.name}" in ${scope.name}`, { file: expr.location.file, line: at.line, column: at.column });
      }
    }
  }

  private compile(source: SourceExpr, kind: ExpressionKind, policyName: string, ownerName: string, p: string, scope: Scope): CompiledExpr {
    const { program, ast, type } = compileCel(source);
    if (kind !== 'variable' && type !== 'bool' && type !== 'dyn') {
      throw errorAt(source.location, `condition must be a bool expression, this one is ${type}`);
    }
    const expr: CompiledExpr = {
      id: `${policyName}#${p}`,
      kind,
      text: source.text,
      location: source.location,
      policyName,
      ownerName,
      path: p,
      returnType: type,
      program,
      refs: analyzeRefs(ast),
      scope,
      varDeps: [],
    };
    this.expressions.push(expr);
    return expr;
  }

  private condition(node: ConditionNode, kind: ExpressionKind, policyName: string, ownerName: string, p: string, scope: Scope): CondTree {
    if (node.op === 'expr') {
      const expr = this.compile(node.expr, kind, policyName, ownerName, `${p}.expr`, scope);
      expr.varDeps = this.depsFor(expr, scope);
      this.checkConstants(expr, scope);
      return { op: 'expr', expr };
    }
    return { op: node.op, of: node.of.map((child, i) => this.condition(child, kind, policyName, ownerName, `${p}.${node.op}.of[${i}]`, scope)) };
  }

  private depsFor(expr: CompiledExpr, scope: Scope): CompiledVariable[] {
    const order: CompiledVariable[] = [];
    for (const v of this.variableRefs(expr, scope)) {
      for (const d of v.varDeps) if (!order.includes(d)) order.push(d);
      if (!order.includes(v)) order.push(v);
    }
    return order;
  }

  private derivedRoleSet(doc: DerivedRolesDoc): void {
    if (this.derivedSets.has(doc.name)) {
      throw errorAt(doc.location, `duplicate derivedRoles "${doc.name}" (also in ${this.derivedSets.get(doc.name)!.doc.file})`);
    }
    const scope = this.scope(doc.name, doc.location, doc.variables, doc.constants);
    const roles = new Map<string, CompiledDerivedRole>();
    doc.definitions.forEach((def, i) => {
      if (roles.has(def.name)) throw errorAt(def.location, `duplicate derived role "${def.name}" in ${doc.name}`);
      roles.set(def.name, {
        name: def.name,
        setName: doc.name,
        anyParent: def.parentRoles.includes('*'),
        parentRoles: new Set(def.parentRoles),
        condition: def.condition ? this.condition(def.condition, 'derivedRole', doc.name, def.name, `definitions[${i}].condition.match`, scope) : null,
        scope,
        slot: this.slot++,
      });
    });
    this.derivedSets.set(doc.name, { doc, roles, scope });
  }

  private resourcePolicy(doc: ResourcePolicyDoc): CompiledResourcePolicy {
    const scope = this.scope(doc.name, doc.location, doc.variables, doc.constants);
    const imported = doc.importDerivedRoles.map((name) => {
      const set = this.derivedSets.get(name);
      if (!set) throw errorAt(doc.location, `${doc.name}: imported derivedRoles "${name}" not found`);
      return set;
    });
    const rules = doc.rules.map((r): CompiledRule => {
      const derivedRoles = r.derivedRoles.map((name) => {
        for (const set of imported) {
          const role = set.roles.get(name);
          if (role) return role;
        }
        throw errorAt(r.location, `rule "${r.name}": derived role "${name}" is not defined in the imported derivedRoles (${doc.importDerivedRoles.join(', ') || 'none imported'})`);
      });
      return {
        name: r.name,
        policyName: doc.name,
        effect: r.effect === 'EFFECT_DENY' ? DENY : ALLOW,
        actions: r.actions,
        anyRole: r.roles.includes('*'),
        roles: new Set(r.roles),
        derivedRoles,
        condition: r.condition ? this.condition(r.condition, 'condition', doc.name, r.name, `rules[${r.index}].condition.match`, scope) : null,
        slot: this.slot++,
      };
    });
    const byAction = new Map<string, ActionRules>();
    const wildcardRules: CompiledResourcePolicy['wildcardRules'] = [];
    for (const rule of rules) {
      const patterns = rule.actions.filter((a) => a.includes('*'));
      if (patterns.length) wildcardRules.push({ rule, patterns: patterns.map(actionPattern) });
    }
    const keyPlan = keyPlanFor(rules);
    const policy: CompiledResourcePolicy = {
      name: doc.name,
      file: doc.file,
      resource: doc.resource,
      version: doc.version,
      scope,
      rules,
      derivedRoleSets: doc.importDerivedRoles,
      keyPlan,
      keys: new KeyVariants(doc.name, keyPlan, (roles, actions) => keyPlanForRequest(policy, roles, actions)),
      byAction,
      wildcardRules,
    };
    // literal actions: rules in policy order, wildcard rules included where they match
    const literal = new Set(rules.flatMap((r) => r.actions.filter((a) => !a.includes('*'))));
    for (const action of literal) {
      const entry: ActionRules = { deny: [], allow: [], byRole: new Map() };
      for (const rule of rules) {
        const matches = rule.actions.some((a) => (a.includes('*') ? actionPattern(a).test(action) : a === action));
        if (matches) (rule.effect === DENY ? entry.deny : entry.allow).push(rule);
      }
      byAction.set(action, entry);
    }
    return policy;
  }
}


/** Union of the principal/resource fields read by every expression a policy can evaluate. */
function keyPlanFor(rules: CompiledRule[]): KeyPlan {
  const trees: Array<CondTree | null> = [];
  for (const r of rules) {
    trees.push(r.condition);
    for (const d of r.derivedRoles) trees.push(d.condition);
  }
  return keyPlanOf(trees);
}

/**
 * The fields a check of `actions` by a principal with `roles` can read: only the conditions of
 * rules for those actions that can apply to one of those roles (directly or through a derived
 * role whose parent roles include it). Decisions depend on nothing else, so the cache key needs
 * nothing else.
 */
export function keyPlanForRequest(policy: CompiledResourcePolicy, roles: readonly string[], actions: readonly string[]): KeyPlan {
  const trees: Array<CondTree | null> = [];
  const hasRole = (set: Set<string>): boolean => roles.some((r) => set.has(r));
  for (const action of actions) {
    const rules = rulesForAction(policy, action);
    for (const rule of [...rules.deny, ...rules.allow]) {
      const direct = rule.anyRole || hasRole(rule.roles);
      const derived = rule.derivedRoles.filter((d) => d.anyParent || hasRole(d.parentRoles));
      if (!direct && derived.length === 0) continue;
      trees.push(rule.condition);
      for (const d of derived) trees.push(d.condition);
    }
  }
  return keyPlanOf(trees);
}

function keyPlanOf(trees: Array<CondTree | null>): KeyPlan {
  const seen = new Set<CompiledExpr>();
  const exprs: CompiledExpr[] = [];
  const addTree = (t: CondTree | null): void => {
    if (t === null) return;
    if (t.op === 'expr') {
      for (const e of [t.expr, ...t.expr.varDeps]) {
        if (!seen.has(e)) {
          seen.add(e);
          exprs.push(e);
        }
      }
    } else t.of.forEach(addTree);
  };
  trees.forEach(addTree);
  const pAttrs = new Set<string>();
  const rAttrs = new Set<string>();
  const plan: KeyPlan = {
    principalId: false,
    principalAttrs: [],
    principalWholeAttr: false,
    resourceId: false,
    resourceAttrs: [],
    resourceWholeAttr: false,
    conditionFree: trees.every((t) => t === null),
  };
  for (const e of exprs) {
    const { principal, resource } = e.refs;
    plan.principalId ||= principal.id || principal.whole;
    plan.principalWholeAttr ||= principal.whole;
    plan.resourceId ||= resource.id || resource.whole;
    plan.resourceWholeAttr ||= resource.whole;
    for (const a of principal.attrs) pAttrs.add(a);
    for (const a of resource.attrs) rAttrs.add(a);
  }
  plan.principalAttrs = [...pAttrs].sort();
  plan.resourceAttrs = [...rAttrs].sort();
  return plan;
}

const EMPTY_ATTR: Record<string, never> = Object.freeze({}) as Record<string, never>;
const NO_AUX: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** The CEL view of a principal (no copying of attributes). */
export function principalValue(p: Principal): { id: string; roles: string[]; attr: unknown; policyVersion: string; scope: string } {
  return { id: p.id, roles: p.roles, attr: p.attr === undefined ? EMPTY_ATTR : celSafeAttr(p.attr), policyVersion: 'default', scope: '' };
}

export function resourceValue(r: ResourceRef): { kind: string; id: string; attr: unknown; policyVersion: string; scope: string } {
  return { kind: r.kind, id: r.id, attr: r.attr === undefined ? EMPTY_ATTR : celSafeAttr(r.attr), policyVersion: r.policyVersion ?? 'default', scope: '' };
}

/** A fresh activation for one principal/resource in one scope; `V` starts empty and fills lazily. */
export function newActivation(scope: Scope, principal: unknown, resource: unknown): Activation {
  const vars: Record<string, unknown> = {};
  return {
    request: { principal, resource, aux_data: NO_AUX },
    P: principal,
    R: resource,
    V: vars,
    variables: vars,
    C: scope.constants,
    constants: scope.constants,
  };
}
