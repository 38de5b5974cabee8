/**
 * Policy documents → a compiled, indexed PolicySet. Every CEL condition and variable is compiled
 * exactly once here; policies are indexed by kind (or principal) → version → scope and rules by
 * action, and buildChain assembles what decides one kind of request, so a check never scans.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import type { Principal, ResourceRef } from './types.js';
import { analyzeRefs, compileCel, type Activation, type CelProgram, type ExprRefs } from './cel.js';
import { celSafeAttr } from './safe-attr.js';
import { KeyVariants, type KeyPlan } from './decision-key.js';
import {
  exprPosition as exprAt,
  parsePolicyDocuments,
  type ConditionNode,
  type DerivedRolesDoc,
  type ExportConstantsDoc,
  type ExportVariablesDoc,
  type ExprLocation,
  type ExpressionKind,
  type OutputDef,
  type PolicyDocument,
  type PolicyExpression,
  type PrincipalPolicyDoc,
  type ResourcePolicyDoc,
  type RolePolicyDoc,
  type SourceExpr,
  type VariableDef,
  type PolicySchemas,
} from './policy-source.js';

export type { KeyPlan } from './decision-key.js';

/** A scope is what `V` and `C` mean for an expression: one policy's (or derived-role set's) variables and constants. */
export interface Scope {
  name: string;
  constants: Record<string, unknown>;
  variables: Map<string, CompiledVariable>;
  /** derived roles the owning policy imports: `runtime.effectiveDerivedRoles` is computed over these */
  derivedRoles: CompiledDerivedRole[];
  /** some expression of this scope reads `runtime` */
  readsRuntime: boolean;
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

/** A rule's output expression: evaluated when the rule runs, its value returned in the result's outputs. */
export interface CompiledOutput {
  when: OutputDef['when'];
  expr: CompiledExpr;
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
  outputs: CompiledOutput[];
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

export interface CompiledResourcePolicy {
  name: string;
  file: string;
  /** JSON schemas for principal and resource attributes (validated when enforcement is on; see schemas.ts) */
  schemas?: PolicySchemas;
  resource: string;
  version: string;
  /** the policy's scope string ('' = root) */
  policyScope: string;
  /** parental consent is required for its ALLOWs (SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS) */
  consent: boolean;
  /** roles its rules name, directly or as parent roles of the derived roles they name */
  namedRoles: Set<string>;
  /** a rule names every role (`*`, directly or through a derived role) */
  namesAnyRole: boolean;
  scope: Scope;
  rules: CompiledRule[];
  derivedRoleSets: string[];
  /** exact action → rules, precomputed for every literal action named in the policy */
  byAction: Map<string, ActionRules>;
  /** rules whose action patterns contain wildcards (matched lazily for other actions, then memoized) */
  wildcardRules: Array<{ rule: CompiledRule; patterns: RegExp[] }>;
}

/** One action rule of a principal policy. */
export interface CompiledPrincipalRule {
  name: string;
  resource: RegExp;
  action: RegExp;
  effect: typeof ALLOW | typeof DENY;
  condition: CondTree | null;
  slot: number;
  outputs: CompiledOutput[];
}

export interface CompiledPrincipalPolicy {
  name: string;
  file: string;
  principal: string;
  version: string;
  policyScope: string;
  consent: boolean;
  scope: Scope;
  rules: CompiledPrincipalRule[];
}

export interface CompiledRoleRule {
  resource: RegExp;
  actions: RegExp[];
  condition: CondTree | null;
  slot: number;
}

/** A custom role: the actions it allows per resource kind; what it allows is decided for `parentRoles`. */
export interface CompiledRolePolicy {
  name: string;
  file: string;
  role: string;
  parentRoles: string[];
  policyScope: string;
  scope: Scope;
  rules: CompiledRoleRule[];
}

/** A role policy at one scope of a chain, and what it does to this resource there (see buildChain). */
export interface RoleAt {
  policy: CompiledRolePolicy;
  /** one of its rules names this kind */
  covers: boolean;
  /** an action it does not list is denied to the role at this scope */
  gates: boolean;
}

/**
 * Everything that decides one resource entry for one kind of request: the principal policies
 * (most specific scope first), the resource policies down the scope chain (most specific first)
 * and the role policies at the resource's scope. Built once per (kind, versions, scopes,
 * principal with policies) and kept; the decision cache keys its entries per chain.
 */
export interface Chain {
  name: string;
  kind: string;
  principalLevels: CompiledPrincipalPolicy[];
  resourceLevels: CompiledResourcePolicy[];
  /** per resource level (same index): role → its role policy at that level's scope, when any */
  roleLevels: Array<Map<string, RoleAt> | undefined>;
  /** resources of a non-default version: a custom role decides as itself and its parent roles (role → that group) */
  inheritedRoles: Map<string, string[]>;
  /** one resource policy and nothing else can decide: the engine takes its short path */
  simple: boolean;
  /** some rule that can decide has an output: checks evaluate every candidate rule in policy order */
  hasOutputs: boolean;

  /** decision-cache keys, narrowed per (roles, actions) */
  keys: KeyVariants;
  /** some condition reads request.auxData: decisions are not cached */
  readsAuxData: boolean;
}

export interface PolicySetStats {
  files: number;
  resourcePolicies: number;
  principalPolicies: number;
  rolePolicies: number;
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
  principalPolicies: CompiledPrincipalPolicy[];
  rolePolicies: CompiledRolePolicy[];
  /** `kind\0version` → scope → policy */
  resourceIndex: Map<string, Map<string, CompiledResourcePolicy>>;
  /** `principal\0version` → scope → policy */
  principalIndex: Map<string, Map<string, CompiledPrincipalPolicy>>;
  /** scope → role → policy */
  roleIndex: Map<string, Map<string, CompiledRolePolicy>>;
  /** ids that have a principal policy (of any version or scope) */
  principalIds: Set<string>;
  /** scopes that exist for resources: any resource or role policy's (Cerbos resolves scopes across kinds) */
  resourceScopes: Set<string>;
  /** scopes that exist for principals: any principal policy's */
  principalScopes: Set<string>;
  /** resolve a requested scope to the scope of an existing policy: strict (exact) unless lenient */
  lenientScopeSearch: boolean;
  /** every compiled expression: conditions, derived-role conditions, variables */
  expressions: CompiledExpr[];
  /** number of memo slots (rule conditions + derived roles) a check needs */
  slotCount: number;
  stats: PolicySetStats;
  /** files Cerbos would refuse though this engine loads them (e.g. multi-document YAML) */
  warnings: string[];
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

/**
 * Reads the policy files under `dir` as Cerbos's disk store does: every .yaml/.yml/.json,
 * recursively, except the `_schemas` folder at the top (JSON schemas), `testdata` folders, test
 * suites (`*_test.yaml|yml|json`) and hidden files and folders.
 */
export async function readPolicyFiles(dir: string): Promise<PolicySourceFile[]> {
  const out: PolicySourceFile[] = [];
  for (const file of await policyTreeFiles(dir)) out.push({ file, text: await readFile(file, 'utf8') });
  return out;
}

/**
 * The paths `readPolicyFiles` reads under `dir`, sorted by name within each folder, plus the
 * files `alsoInclude` accepts by name in the folders it walks (analyze-cel's `.cel` files).
 */
export async function policyTreeFiles(dir: string, alsoInclude: (name: string) => boolean = () => false): Promise<string[]> {
  const out: string[] = [];
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
        if (e.name !== 'testdata' && !(d === dir && e.name === '_schemas')) await walk(full);
      } else if ((/\.(ya?ml|json)$/i.test(e.name) && !/_test\.(ya?ml|json)$/i.test(e.name)) || alsoInclude(e.name)) {
        out.push(full);
      }
    }
  };
  await walk(dir);
  return out;
}

export interface PolicySetOptions {
  /** Cerbos's `engine.lenientScopeSearch`: a requested scope without policies falls back to its nearest ancestor */
  lenientScopeSearch?: boolean;
}

/** Loads, parses and compiles a policy folder. Any policy or CEL error is an InputError with file:line:column. */
export async function loadPolicySet(dir: string, options: PolicySetOptions = {}): Promise<PolicySet> {
  const files = await readPolicyFiles(dir);
  const set = compilePolicySources(files, dir, options);
  if (set.resourcePolicies.length === 0 && set.principalPolicies.length === 0) throw new InputError('no resource or principal policies found', { file: dir });
  return set;
}

/** Parses and compiles in-memory sources (file names only label locations). */
export function compilePolicySources(files: PolicySourceFile[], dir = '', options: PolicySetOptions = {}): PolicySet {
  const docs: PolicyDocument[] = [];
  const warnings: string[] = [];
  for (const f of files) {
    const parsed = parsePolicyDocuments(f.text, f.file);
    if (parsed.length > 1) warnings.push(`${f.file}: ${parsed.length} YAML documents in one file; Cerbos's disk store refuses such a file ("more than one YAML document detected")`);
    for (const d of parsed) docs.push(d);
  }
  const set = new Compiler(docs, files.map((f) => f.file), dir, options.lenientScopeSearch === true).build();
  set.warnings.push(...warnings);
  return set;
}

/** Files `policy` under `key` → its scope; a second policy for the same key and scope is an error. */
function addByScope<T extends { name: string; file: string; policyScope: string }>(
  index: Map<string, Map<string, T>>,
  key: string,
  policy: T,
  location: ExprLocation,
  what: string,
): void {
  let scopes = index.get(key);
  if (!scopes) index.set(key, (scopes = new Map()));
  const existing = scopes.get(policy.policyScope);
  if (existing) throw errorAt(location, `duplicate ${what} policy ${policy.name} (also in ${existing.file})`);
  scopes.set(policy.policyScope, policy);
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
    private readonly lenient: boolean,
  ) {}

  build(): PolicySet {
    for (const doc of this.docs) {
      if (doc.kind === 'exportVariables') this.unique(this.exportVariables, doc.name, doc, 'exportVariables');
      if (doc.kind === 'exportConstants') this.unique(this.exportConstants, doc.name, doc, 'exportConstants');
    }
    for (const doc of this.docs) if (doc.kind === 'derivedRoles') this.derivedRoleSet(doc);
    const resourcePolicies: CompiledResourcePolicy[] = [];
    const principalPolicies: CompiledPrincipalPolicy[] = [];
    const rolePolicies: CompiledRolePolicy[] = [];
    const resourceIndex = new Map<string, Map<string, CompiledResourcePolicy>>();
    const principalIndex = new Map<string, Map<string, CompiledPrincipalPolicy>>();
    const roleIndex = new Map<string, Map<string, CompiledRolePolicy>>();
    const scopeModes = new Map<string, { consent: boolean; name: string; location: ExprLocation }>();
    const checkMode = (scope: string, consent: boolean, name: string, location: ExprLocation): void => {
      if (scope === '') return;
      const prev = scopeModes.get(scope);
      if (prev === undefined) scopeModes.set(scope, { consent, name, location });
      else if (prev.consent !== consent) {
        throw errorAt(location, `${name}: scopePermissions differ from ${prev.name} in the same scope "${scope}" (Cerbos requires one setting per scope)`);
      }
    };
    for (const doc of this.docs) {
      if (doc.kind === 'resourcePolicy') {
        const policy = this.resourcePolicy(doc);
        addByScope(resourceIndex, `${policy.resource}\0${policy.version}`, policy, doc.location, 'resource');
        resourcePolicies.push(policy);
        checkMode(policy.policyScope, policy.consent, policy.name, doc.location);
      } else if (doc.kind === 'principalPolicy') {
        const policy = this.principalPolicy(doc);
        addByScope(principalIndex, `${policy.principal}\0${policy.version}`, policy, doc.location, 'principal');
        principalPolicies.push(policy);
        checkMode(policy.policyScope, policy.consent, policy.name, doc.location);
      } else if (doc.kind === 'rolePolicy') {
        const policy = this.rolePolicy(doc);
        let roles = roleIndex.get(policy.policyScope);
        if (!roles) roleIndex.set(policy.policyScope, (roles = new Map()));
        const existing = roles.get(policy.role);
        if (existing) throw errorAt(doc.location, `duplicate role policy ${policy.name} (also in ${existing.file})`);
        roles.set(policy.role, policy);
        rolePolicies.push(policy);
      }
    }
    // Cerbos 0.55 also refuses a scope holding a role policy and two or more policies that require
    // parental consent (measured: one such policy beside a role policy loads)
    for (const role of rolePolicies) {
      const consenting = [...resourcePolicies, ...principalPolicies].filter((p) => p.consent && p.policyScope === role.policyScope);
      if (role.policyScope !== '' && consenting.length >= 2) {
        const doc = this.docs.find((d) => d.kind === 'rolePolicy' && d.name === role.name) as RolePolicyDoc;
        throw errorAt(doc.location, `${role.name}: conflicting scopePermissions in scope "${role.policyScope}" (a role policy beside ${consenting.map((p) => p.name).join(', ')}, which require parental consent)`);
      }
    }
    // Cerbos refuses a scoped policy whose ancestor scopes have no policy ("missing scopes")
    const requireAncestors = <T extends { name: string; file: string; policyScope: string }>(index: Map<string, Map<string, T>>, docsOf: (p: T) => ExprLocation): void => {
      for (const scopes of index.values()) {
        for (const policy of scopes.values()) {
          for (const ancestor of ancestorScopes(policy.policyScope)) {
            if (!scopes.has(ancestor)) {
              throw errorAt(docsOf(policy), `${policy.name}: no policy for its parent scope "${ancestor}" (every ancestor scope of a scoped policy needs one)`);
            }
          }
        }
      }
    };
    const locations = new Map<string, ExprLocation>();
    for (const doc of this.docs) if (doc.kind === 'resourcePolicy' || doc.kind === 'principalPolicy') locations.set(doc.name, doc.location);
    const locate = (p: { name: string }): ExprLocation => locations.get(p.name)!;
    requireAncestors(resourceIndex, locate);
    requireAncestors(principalIndex, locate);
    let derivedRoles = 0;
    for (const s of this.derivedSets.values()) derivedRoles += s.roles.size;
    const conditions = this.expressions.filter((e) => e.kind === 'condition' || e.kind === 'derivedRole').length;
    const variables = this.expressions.filter((e) => e.kind === 'variable').length;
    return {
      dir: this.dir,
      files: this.files,
      documents: this.docs,
      resourcePolicies,
      principalPolicies,
      rolePolicies,
      resourceIndex,
      principalIndex,
      roleIndex,
      principalIds: new Set(principalPolicies.map((p) => p.principal)),
      resourceScopes: new Set([...resourcePolicies.map((p) => p.policyScope), ...rolePolicies.map((p) => p.policyScope)]),
      principalScopes: new Set(principalPolicies.map((p) => p.policyScope)),
      lenientScopeSearch: this.lenient,
      expressions: this.expressions,
      slotCount: this.slot,
      warnings: [],
      stats: {
        files: this.files.length,
        resourcePolicies: resourcePolicies.length,
        principalPolicies: principalPolicies.length,
        rolePolicies: rolePolicies.length,
        derivedRoleSets: this.derivedSets.size,
        derivedRoles,
        rules:
          resourcePolicies.reduce((n, p) => n + p.rules.length, 0) +
          principalPolicies.reduce((n, p) => n + p.rules.length, 0) +
          rolePolicies.reduce((n, p) => n + p.rules.length, 0),
        conditions,
        variables,
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
    const scope: Scope = { name, constants: consts, variables: new Map(), derivedRoles: [], readsRuntime: false };
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
    if ((kind === 'condition' || kind === 'derivedRole') && type !== 'bool' && type !== 'dyn') {
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
    if (expr.refs.runtime) scope.readsRuntime = true;
    this.expressions.push(expr);
    return expr;
  }

  /** Output expressions, compiled here (so an invalid one stops the load, as in Cerbos). */
  private outputs(defs: OutputDef[], policyName: string, ownerName: string, p: string, scope: Scope): CompiledOutput[] {
    return defs.map((o) => {
      const expr = this.compile(o.expr, 'output', policyName, ownerName, `${p}.when.${o.when}`, scope);
      expr.varDeps = this.depsFor(expr, scope);
      this.checkConstants(expr, scope);
      return { when: o.when, expr };
    });
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
    // runtime.effectiveDerivedRoles covers the derived roles the policy's rules name (as in Cerbos)
    const named = new Set(doc.rules.flatMap((r) => r.derivedRoles));
    for (const set of imported) for (const role of set.roles.values()) if (named.has(role.name) && !scope.derivedRoles.some((d) => d.name === role.name)) scope.derivedRoles.push(role);
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
        outputs: this.outputs(r.outputs, doc.name, r.name, `rules[${r.index}].output`, scope),
      };
    });
    const byAction = new Map<string, ActionRules>();
    const wildcardRules: CompiledResourcePolicy['wildcardRules'] = [];
    for (const rule of rules) {
      const patterns = rule.actions.filter((a) => a.includes('*'));
      if (patterns.length) wildcardRules.push({ rule, patterns: patterns.map(actionPattern) });
    }
    const policy: CompiledResourcePolicy = {
      name: doc.name,
      file: doc.file,
      ...(doc.schemas ? { schemas: doc.schemas } : {}),
      resource: doc.resource,
      version: doc.version,
      policyScope: doc.scope,
      consent: doc.scopePermissions === 'SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS',
      namedRoles: new Set(rules.flatMap((r) => [...r.roles, ...r.derivedRoles.flatMap((d) => [...d.parentRoles])])),
      namesAnyRole: rules.some((r) => r.anyRole || r.derivedRoles.some((d) => d.anyParent)),
      scope,
      rules,
      derivedRoleSets: doc.importDerivedRoles,
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

  private principalPolicy(doc: PrincipalPolicyDoc): CompiledPrincipalPolicy {
    const seen = new Map<string, number>();
    doc.rules.forEach((r, i) => {
      const prev = seen.get(r.resource);
      if (prev !== undefined) throw errorAt(r.location, `${doc.name}: duplicate resource "${r.resource}" in rules[${i}] (first in rules[${prev}]); Cerbos allows one rule per resource`);
      seen.set(r.resource, i);
    });
    const scope = this.scope(doc.name, doc.location, doc.variables, doc.constants);
    const rules: CompiledPrincipalRule[] = [];
    doc.rules.forEach((r, i) => {
      const resource = actionPattern(r.resource);
      r.actions.forEach((a, j) => {
        rules.push({
          name: a.name,
          resource,
          action: actionPattern(a.action),
          effect: a.effect === 'EFFECT_DENY' ? DENY : ALLOW,
          condition: a.condition ? this.condition(a.condition, 'condition', doc.name, a.name, `rules[${i}].actions[${j}].condition.match`, scope) : null,
          slot: this.slot++,
          outputs: this.outputs(a.outputs, doc.name, a.name, `rules[${i}].actions[${j}].output`, scope),
        });
      });
    });
    return {
      name: doc.name,
      file: doc.file,
      principal: doc.principal,
      version: doc.version,
      policyScope: doc.scope,
      consent: doc.scopePermissions === 'SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS',
      scope,
      rules,
    };
  }

  private rolePolicy(doc: RolePolicyDoc): CompiledRolePolicy {
    const scope = this.scope(doc.name, doc.location, doc.variables, doc.constants);
    return {
      name: doc.name,
      file: doc.file,
      role: doc.role,
      parentRoles: doc.parentRoles,
      policyScope: doc.scope,
      scope,
      rules: doc.rules.map((r) => ({
        resource: actionPattern(r.resource),
        actions: r.allowActions.map(actionPattern),
        condition: r.condition ? this.condition(r.condition, 'condition', doc.name, `rules[${r.index}]`, `rules[${r.index}].condition.match`, scope) : null,
        slot: this.slot++,
      })),
    };
  }
}


/** `a.b.c` → `a.b`, `a`, `` (the ancestors of a scope, nearest first; none for the root). */
export function ancestorScopes(scope: string): string[] {
  const out: string[] = [];
  let s = scope;
  while (s !== '') {
    const dot = s.lastIndexOf('.');
    s = dot < 0 ? '' : s.slice(0, dot);
    out.push(s);
  }
  return out;
}

/**
 * The scopes to evaluate for a requested scope, most specific first: the requested scope and its
 * ancestors that exist. Strict search needs the requested scope itself to exist; lenient search
 * starts at its nearest existing ancestor.
 */
function scopeChain(exists: (scope: string) => boolean, requested: string, lenient: boolean): string[] {
  const out: string[] = [];
  const ancestors = ancestorScopes(requested);
  let i = -1;
  if (!exists(requested)) {
    if (!lenient) return out;
    i = ancestors.findIndex(exists);
    if (i < 0) return out;
  }
  if (i < 0) out.push(requested);
  for (let j = Math.max(i, 0); j < ancestors.length; j++) if (exists(ancestors[j]!)) out.push(ancestors[j]!);
  return out;
}

/** A scope that exists only through role policies: it holds no resource rules. */
function emptyLevel(kind: string, version: string, scope: string): CompiledResourcePolicy {
  const name = `resource.${kind}.v${version}${scope ? `/${scope}` : ''}`;
  return {
    name,
    file: '',
    resource: kind,
    version,
    policyScope: scope,
    consent: false,
    namedRoles: new Set(),
    namesAnyRole: false,
    scope: { name, constants: {}, variables: new Map(), derivedRoles: [], readsRuntime: false },
    rules: [],
    derivedRoleSets: [],
    byAction: new Map(),
    wildcardRules: [],
  };
}

/**
 * Builds the chain that decides (kind, resource version, resource scope) for a principal. As in
 * Cerbos 0.55: a resource scope exists when any resource or role policy, of any kind or version,
 * has it (a scope without a policy for this kind evaluates nothing and defers to its parent); a
 * principal scope exists when any principal policy has it; principal policies are chosen by the
 * principal's scope and the RESOURCE's version (Cerbos matches principal-policy rules on the
 * resource's policyVersion, not the principal's).
 */
export function buildChain(set: PolicySet, kind: string, resourceVersion: string, resourceScope: string, principal: { id: string; scope: string } | null): Chain {
  const lenient = set.lenientScopeSearch;
  const policies = set.resourceIndex.get(`${kind}\0${resourceVersion}`);
  // Custom roles, as Cerbos 0.55 decides them (resources of the default version): a role policy at
  // a scope covers the kinds its rules name; it gates a role there when it covers this kind, or when
  // that scope's resource policy names the role or one of the parent roles the requested scope's
  // role policy gives it (then an action it does not list is denied). At the requested scope, a covering policy hands the decision to the parent
  // roles; one that neither covers nor gates lets the role decide as itself and its parents. For
  // other versions the role policy at the requested scope only names the parents.
  const covers = (policy: CompiledRolePolicy): boolean => policy.rules.some((r) => r.resource.test(kind));
  const inheritedRoles = new Map<string, string[]>();
  if (resourceVersion !== 'default') {
    for (const [role, policy] of set.roleIndex.get(resourceScope) ?? []) inheritedRoles.set(role, [role, ...policy.parentRoles]);
  }
  const scopes = scopeChain((s) => set.resourceScopes.has(s), resourceScope, lenient);
  const resourceLevels = scopes.map((s) => policies?.get(s) ?? emptyLevel(kind, resourceVersion, s));
  const principalPolicies = principal === null ? undefined : set.principalIndex.get(`${principal.id}\0${resourceVersion}`);
  const principalLevels: CompiledPrincipalPolicy[] = [];
  if (principal !== null && principalPolicies !== undefined) {
    for (const s of scopeChain((sc) => set.principalScopes.has(sc), principal.scope, lenient)) {
      const p = principalPolicies.get(s);
      if (p !== undefined) principalLevels.push(p);
    }
  }
  // role policies of the requested scope itself: a lenient search does not carry them down
  const ownRoles = resourceVersion === 'default' && scopes[0] === resourceScope ? set.roleIndex.get(resourceScope) : undefined;
  const roleLevels = scopes.map((s, i): Map<string, RoleAt> | undefined => {
    const roles = resourceVersion === 'default' && (i > 0 || s === resourceScope) ? set.roleIndex.get(s) : undefined;
    if (roles === undefined) return undefined;
    const level = resourceLevels[i]!;
    const at = new Map<string, RoleAt>();
    for (const [role, policy] of roles) {
      const covering = covers(policy);
      // parent roles count only as the role policy at the requested scope gives them
      const parents = i === 0 ? policy.parentRoles : (ownRoles?.get(role)?.parentRoles ?? []);
      const named = level.namesAnyRole || level.namedRoles.has(role) || parents.some((p) => level.namedRoles.has(p));
      at.set(role, { policy, covers: covering, gates: covering || named });
    }
    return at;
  });
  const name = `${resourceLevels[0]?.name ?? `resource.${kind}.v${resourceVersion}`}|${principalLevels[0]?.name ?? ''}|${resourceScope}`;
  const chain: Chain = {
    name,
    kind,
    principalLevels,
    resourceLevels,
    roleLevels,
    inheritedRoles,
    simple: false,
    hasOutputs: resourceLevels.some((l) => l.rules.some((r) => r.outputs.length > 0)) || principalLevels.some((l) => l.rules.some((r) => r.outputs.length > 0)),
    keys: undefined as unknown as KeyVariants,
    readsAuxData: false,
  };
  chain.simple = principalLevels.length === 0 && resourceLevels.length === 1 && roleLevels[0] === undefined && inheritedRoles.size === 0 && !chain.hasOutputs;
  const all = keyPlanForChain(chain, null, null);
  chain.readsAuxData = all.readsAuxData;
  chain.keys = new KeyVariants(name, all.plan, (roles, actions) => keyPlanForChain(chain, roles, actions).plan);
  return chain;
}

/** A role and the parent roles of its role policies, transitively (custom roles decide through their parents). */
export function expandRoles(chain: Chain, roles: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (role: string, depth: number): void => {
    if (out.includes(role) || depth > MAX_ROLE_DEPTH) return;
    out.push(role);
    for (const level of chain.roleLevels) {
      const at = level?.get(role);
      if (at !== undefined) for (const parent of at.policy.parentRoles) visit(parent, depth + 1);
    }
    for (const parent of chain.inheritedRoles.get(role) ?? []) visit(parent, depth + 1);
  };
  for (const r of roles) visit(r, 0);
  return out;
}

/** How deep custom roles may inherit from custom roles (deeper parents are not followed). */
export const MAX_ROLE_DEPTH = 16;

/**
 * The fields a check of `actions` by a principal with `roles` can read through `chain`: the
 * conditions of principal-policy rules for the kind and those actions, of role-policy rules of
 * those roles, and of resource-policy rules for those actions that can apply to one of those roles
 * or their parent roles (directly or through a derived role whose parent roles include it); when
 * a condition reads `runtime`, every derived role its policy imports. `roles`/`actions` null: all.
 */
function keyPlanForChain(chain: Chain, roles: readonly string[] | null, actions: readonly string[] | null): { plan: KeyPlan; readsAuxData: boolean } {
  const trees: Array<CondTree | null> = [];
  const kind = chain.kind;
  const actionMatches = (re: RegExp): boolean => actions === null || actions.some((a) => re.test(a));
  const outputTrees = (outputs: CompiledOutput[]): void => {
    for (const o of outputs) trees.push({ op: 'expr', expr: o.expr });
  };
  for (const level of chain.principalLevels) {
    for (const rule of level.rules) {
      if (rule.resource.test(kind) && actionMatches(rule.action)) {
        trees.push(rule.condition);
        outputTrees(rule.outputs);
      }
    }
  }
  const expanded = roles === null ? null : expandRoles(chain, roles);
  for (const level of chain.roleLevels) {
    if (level === undefined) continue;
    for (const { policy: rp } of level.values()) {
      if (expanded !== null && !expanded.includes(rp.role)) continue;
      for (const rule of rp.rules) if (rule.resource.test(kind) && rule.actions.some(actionMatches)) trees.push(rule.condition);
    }
  }
  const hasRole = (set: Set<string>): boolean => expanded === null || expanded.some((r) => set.has(r));
  for (const policy of chain.resourceLevels) {
    const lists = actions === null ? [{ deny: policy.rules, allow: [] as CompiledRule[] }] : actions.map((a) => rulesForAction(policy, a));
    let runtime = false;
    for (const rules of lists) {
      for (const rule of [...rules.deny, ...rules.allow]) {
        const direct = rule.anyRole || hasRole(rule.roles);
        const derived = rule.derivedRoles.filter((d) => d.anyParent || hasRole(d.parentRoles));
        if (!direct && derived.length === 0) continue;
        trees.push(rule.condition);
        outputTrees(rule.outputs);
        for (const d of derived) trees.push(d.condition);
        runtime ||= policy.scope.readsRuntime;
      }
    }
    if (runtime) for (const d of policy.scope.derivedRoles) if (d.anyParent || hasRole(d.parentRoles)) trees.push(d.condition);
  }
  return { plan: keyPlanOf(trees), readsAuxData: treesReadAuxData(trees) };
}

function treesReadAuxData(trees: Array<CondTree | null>): boolean {
  const walk = (t: CondTree | null): boolean => {
    if (t === null) return false;
    if (t.op === 'expr') return t.expr.refs.auxData || t.expr.varDeps.some((v) => v.refs.auxData);
    return t.of.some(walk);
  };
  return trees.some(walk);
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

/** principalValue written into `out` (an object principalValue made), for a caller that reuses one. */
export function fillPrincipalValue(out: ReturnType<typeof principalValue>, p: Principal): ReturnType<typeof principalValue> {
  out.id = p.id;
  out.roles = p.roles;
  out.attr = p.attr === undefined ? EMPTY_ATTR : celSafeAttr(p.attr);
  out.policyVersion = p.policyVersion ?? 'default';
  out.scope = p.scope ?? '';
  return out;
}

/** resourceValue written into `out` (an object resourceValue made), for a caller that reuses one. */
export function fillResourceValue(out: ReturnType<typeof resourceValue>, r: ResourceRef): ReturnType<typeof resourceValue> {
  out.kind = r.kind;
  out.id = r.id;
  out.attr = r.attr === undefined ? EMPTY_ATTR : celSafeAttr(r.attr);
  out.policyVersion = r.policyVersion ?? 'default';
  out.scope = r.scope ?? '';
  return out;
}

/** The CEL view of a principal (no copying of attributes). */
export function principalValue(p: Principal): { id: string; roles: string[]; attr: unknown; policyVersion: string; scope: string } {
  return { id: p.id, roles: p.roles, attr: p.attr === undefined ? EMPTY_ATTR : celSafeAttr(p.attr), policyVersion: p.policyVersion ?? 'default', scope: p.scope ?? '' };
}

/** The CEL view of a resource (no copying of attributes). */
export function resourceValue(r: ResourceRef): { kind: string; id: string; attr: unknown; policyVersion: string; scope: string } {
  return { kind: r.kind, id: r.id, attr: r.attr === undefined ? EMPTY_ATTR : celSafeAttr(r.attr), policyVersion: r.policyVersion ?? 'default', scope: r.scope ?? '' };
}

/** `request.auxData` / `request.aux_data` as CEL sees it: `{ jwt: claims }` (an empty map without a JWT). */
export function auxDataValue(claims: Record<string, unknown> | undefined): Record<string, unknown> {
  return claims === undefined ? NO_AUX : { jwt: celSafeAttr(claims as Record<string, never>) };
}

const NO_RUNTIME: Record<string, unknown> = Object.freeze({ effectiveDerivedRoles: Object.freeze([]) }) as Record<string, unknown>;
const NO_GLOBALS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * Points a reused activation at another principal/resource pair: the same objects, with every
 * variable in `V` set back to undefined (CEL reads an undefined value as an absent key, and the
 * engine treats undefined as not computed yet).
 */
export function resetActivation(
  act: Activation,
  principal: unknown,
  resource: unknown,
  auxData: Record<string, unknown> = NO_AUX,
  runtime: Record<string, unknown> = NO_RUNTIME,
): Activation {
  const vars = act.V;
  for (const k in vars) vars[k] = undefined;
  const request = act.request;
  request.principal = principal;
  request.resource = resource;
  request.aux_data = auxData;
  request.auxData = auxData;
  act.P = principal;
  act.R = resource;
  act.runtime = runtime;
  return act;
}

/**
 * A fresh activation for one principal/resource in one scope; `V` starts empty and fills lazily.
 * `runtime` is `{ effectiveDerivedRoles }` for scopes that read it.
 */
export function newActivation(
  scope: Scope,
  principal: unknown,
  resource: unknown,
  auxData: Record<string, unknown> = NO_AUX,
  globals: Record<string, unknown> = NO_GLOBALS,
  runtime: Record<string, unknown> = NO_RUNTIME,
): Activation {
  const vars: Record<string, unknown> = {};
  return {
    request: { principal, resource, aux_data: auxData, auxData },
    P: principal,
    R: resource,
    V: vars,
    variables: vars,
    C: scope.constants,
    constants: scope.constants,
    G: globals,
    globals,
    runtime,
  };
}
