/**
 * Cerbos policy files (YAML or JSON text) → typed documents, WITHOUT compiling CEL.
 *
 * Every CEL expression (rule and derived-role conditions, variables) keeps the place where its text
 * starts in the file, so later stages (CEL compilation, analyze-cel) can report `file:line:column`.
 * Shape errors are InputError with the location of the offending node.
 *
 *   parsePolicyDocuments(text, file) → every PolicyDocument of a file (YAML may hold several,
 *                                      separated by `---`; test suites and disabled policies come
 *                                      back as `ignored` documents)
 *   parsePolicySource(text, file)    → the first of them (single-document callers)
 *   walkExpressions(doc)            → every expression with its location and owner
 *   exprPosition(source, offset)    → file line/column of an offset inside an expression's text
 */
import { LineCounter, parseAllDocuments, isScalar, isSeq, type Document, type Node as YamlNode, type YAMLMap, type Scalar } from 'yaml';
import { InputError } from '../util/errors.js';
import { YamlReader } from '../util/yaml-reader.js';
import type { Effect } from './types.js';

/** Where an expression's text starts in its file (1-based line/column). */
export interface ExprLocation {
  file: string;
  line: number;
  column: number;
  /** `block`: a `|`/`>` block scalar whose content lines are indented by `indent` columns */
  style: 'block' | 'inline';
  indent: number;
}

export interface SourceExpr {
  text: string;
  location: ExprLocation;
}

export type ConditionNode =
  | { op: 'expr'; expr: SourceExpr }
  | { op: 'all' | 'any' | 'none'; of: ConditionNode[]; location: ExprLocation };

export interface VariableDef {
  name: string;
  expr: SourceExpr;
}

export interface ImportsAndLocals<T> {
  import: string[];
  local: T;
}

/** A rule's `output`: an expression evaluated when the rule is activated or its condition is not met. */
export interface OutputDef {
  when: 'ruleActivated' | 'conditionNotMet';
  expr: SourceExpr;
}

export interface RuleDef {
  /** the rule's `name`, or `rule-<index>` when unnamed */
  name: string;
  named: boolean;
  index: number;
  actions: string[];
  effect: Effect;
  roles: string[];
  derivedRoles: string[];
  condition?: ConditionNode;
  outputs: OutputDef[];
  location: ExprLocation;
}

/** How a scoped policy's rules combine with its parent scopes' (Cerbos `scopePermissions`). */
export type ScopePermissions = 'SCOPE_PERMISSIONS_OVERRIDE_PARENT' | 'SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS';
const SCOPE_PERMISSIONS: readonly string[] = ['SCOPE_PERMISSIONS_OVERRIDE_PARENT', 'SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS'];

export interface ResourcePolicyDoc {
  kind: 'resourcePolicy';
  file: string;
  /** `resource.<kind>.v<version>[/<scope>]` (Cerbos' policy id form) */
  name: string;
  resource: string;
  version: string;
  scope: string;
  /** undefined when the policy does not set it (OVERRIDE_PARENT applies) */
  scopePermissions: ScopePermissions | undefined;
  importDerivedRoles: string[];
  variables: ImportsAndLocals<VariableDef[]>;
  constants: ImportsAndLocals<Record<string, unknown>>;
  rules: RuleDef[];
  location: ExprLocation;
  /** `schemas.principalSchema` / `resourceSchema` */
  schemas?: PolicySchemas;
}

/** A JSON schema a resource policy validates attributes against (`ref: cerbos:///<path under _schemas>`). */
export interface SchemaRef {
  ref: string;
  /** `ignoreWhen.actions`: when every requested action matches one of these (wildcards allowed), no validation */
  ignoreActions: string[];
  location: ExprLocation;
}

export interface PolicySchemas {
  principal?: SchemaRef;
  resource?: SchemaRef;
}

export interface DerivedRoleDef {
  name: string;
  parentRoles: string[];
  condition?: ConditionNode;
  location: ExprLocation;
}

export interface DerivedRolesDoc {
  kind: 'derivedRoles';
  file: string;
  name: string;
  variables: ImportsAndLocals<VariableDef[]>;
  constants: ImportsAndLocals<Record<string, unknown>>;
  definitions: DerivedRoleDef[];
  location: ExprLocation;
}

export interface ExportVariablesDoc {
  kind: 'exportVariables';
  file: string;
  name: string;
  definitions: VariableDef[];
  location: ExprLocation;
}

export interface ExportConstantsDoc {
  kind: 'exportConstants';
  file: string;
  name: string;
  definitions: Record<string, unknown>;
  location: ExprLocation;
}

export interface PrincipalRuleAction {
  action: string;
  effect: Effect;
  name: string;
  condition?: ConditionNode;
  outputs: OutputDef[];
  location: ExprLocation;
}

/** Rules for one principal: per resource kind (pattern), actions with effects and conditions. */
export interface PrincipalPolicyDoc {
  kind: 'principalPolicy';
  file: string;
  /** `principal.<id>.v<version>[/<scope>]` */
  name: string;
  principal: string;
  version: string;
  scope: string;
  scopePermissions: ScopePermissions | undefined;
  variables: ImportsAndLocals<VariableDef[]>;
  constants: ImportsAndLocals<Record<string, unknown>>;
  rules: Array<{ resource: string; actions: PrincipalRuleAction[]; location: ExprLocation }>;
  location: ExprLocation;
}

export interface RolePolicyRule {
  /** resource kind pattern (`*` wildcards) */
  resource: string;
  allowActions: string[];
  condition?: ConditionNode;
  index: number;
  location: ExprLocation;
}

/**
 * A custom role (Cerbos role policy): an allow-list of actions per resource at one scope; the
 * actions it allows are then decided for its `parentRoles`.
 */
export interface RolePolicyDoc {
  kind: 'rolePolicy';
  file: string;
  /** `role.<role>.vdefault[/<scope>]` (the form Cerbos reports in meta) */
  name: string;
  role: string;
  parentRoles: string[];
  scope: string;
  variables: ImportsAndLocals<VariableDef[]>;
  constants: ImportsAndLocals<Record<string, unknown>>;
  rules: RolePolicyRule[];
  location: ExprLocation;
}

/** Files that live in policy folders but are not policies (Cerbos test suites, test data). */
export interface IgnoredDoc {
  kind: 'ignored';
  file: string;
  reason: string;
}

export type PolicyDocument =
  | ResourcePolicyDoc
  | DerivedRolesDoc
  | ExportVariablesDoc
  | ExportConstantsDoc
  | PrincipalPolicyDoc
  | RolePolicyDoc
  | IgnoredDoc;

export type ExpressionKind = 'condition' | 'variable' | 'derivedRole' | 'output';

export interface PolicyExpression {
  kind: ExpressionKind;
  text: string;
  location: ExprLocation;
  /** the owning document's name (policy id, derived-roles set or export name) */
  policyName: string;
  /** rule name (conditions), derived role name (derivedRole), variable name (variable) */
  ownerName: string;
  /** path inside the document, e.g. `rules[2].condition.match.all.of[0]` */
  path: string;
}

/** Line/column (1-based) in the file of `offset` characters into the expression text. */
export function exprPosition(expr: SourceExpr, offset: number): { line: number; column: number } {
  const { location } = expr;
  const clamped = Math.max(0, Math.min(offset, expr.text.length));
  let line = location.line;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (expr.text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  if (line === location.line) return { line, column: location.column + clamped };
  const column = (location.style === 'block' ? location.indent : 0) + (clamped - lineStart) + 1;
  return { line, column };
}

const EFFECTS: readonly string[] = ['EFFECT_ALLOW', 'EFFECT_DENY'];

const TOP_LEVEL_KEYS = [
  'apiVersion',
  'description',
  'disabled',
  'metadata',
  'variables',
  'jsonSchema',
  '$schema',
  'resourcePolicy',
  'principalPolicy',
  'rolePolicy',
  'derivedRoles',
  'exportVariables',
  'exportConstants',
] as const;
const POLICY_KEYS = ['resourcePolicy', 'principalPolicy', 'rolePolicy', 'derivedRoles', 'exportVariables', 'exportConstants'] as const;

/**
 * Parses one policy file into its documents. YAML files may hold several documents separated by
 * `---` (empty ones are skipped); `file` is used in locations and messages only.
 */
export function parsePolicyDocuments(text: string, file: string): PolicyDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // the yaml package returns an EmptyStream for a file of comments/whitespace only
    throw new InputError('empty policy file', { file, line: 1, column: 1 });
  }
  for (const doc of list) {
    const firstError = doc.errors[0];
    if (firstError) {
      const pos = lineCounter.linePos(firstError.pos[0]);
      throw new InputError(`invalid YAML: ${firstError.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col });
    }
  }
  const p = new Parser(text, file, lineCounter);
  const out: PolicyDocument[] = [];
  for (const doc of list) {
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) continue;
    out.push(parseDocumentRoot(p, root as YamlNode, file));
  }
  if (out.length === 0) throw new InputError('empty policy file', { file, line: 1, column: 1 });
  return out;
}

/** Parses a single-document policy file (the first document of a multi-document one). */
export function parsePolicySource(text: string, file: string): PolicyDocument {
  return parsePolicyDocuments(text, file)[0]!;
}

function parseDocumentRoot(p: Parser, root: YamlNode, file: string): PolicyDocument {
  const top = p.map(root, 'the document');
  if (p.has(top, 'tests') || /_test\.(ya?ml|json)$/i.test(file)) return { kind: 'ignored', file, reason: 'test suite' };
  const kind = POLICY_KEYS.find((k) => p.has(top, k));
  if (kind === undefined) {
    if (p.has(top, 'principals') || p.has(top, 'resources') || p.has(top, 'auxData')) return { kind: 'ignored', file, reason: 'test data' };
    throw p.error(top, `not a Cerbos policy: expected one of ${POLICY_KEYS.join(', ')}`);
  }
  p.only(top, TOP_LEVEL_KEYS, 'the document');
  const others = POLICY_KEYS.filter((k) => k !== kind && p.has(top, k));
  if (others.length > 0) throw p.error(p.keyNode(top, others[0]!), `a policy document holds one policy: ${kind} and ${others[0]} both given`);
  const disabled = p.get(top, 'disabled');
  if (disabled !== null && (!isScalar(disabled) || typeof disabled.value !== 'boolean')) throw p.error(disabled, 'disabled must be true or false');
  if (disabled !== null && (disabled as Scalar<boolean>).value) return { kind: 'ignored', file, reason: 'disabled' };
  // the deprecated top-level `variables:` means what `variables.local` means (local wins on a clash)
  const legacy = p.get(top, 'variables');
  const legacyVars = legacy === null ? [] : p.variableDefs(legacy, 'variables');
  const body = p.map(p.get(top, kind), kind);
  const doc = ((): PolicyDocument => {
    switch (kind) {
      case 'resourcePolicy':
        return p.resourcePolicy(body);
      case 'principalPolicy':
        return p.principalPolicy(body);
      case 'rolePolicy':
        return p.rolePolicy(body);
      case 'derivedRoles':
        return p.derivedRoles(body);
      case 'exportVariables':
        return p.exportVariables(body);
      case 'exportConstants':
        return p.exportConstants(body);
    }
  })();
  if (legacyVars.length > 0 && 'variables' in doc && !Array.isArray(doc.variables)) {
    const local = doc.variables.local;
    for (const v of legacyVars) if (!local.some((l) => l.name === v.name)) local.unshift(v);
  }
  return doc;
}

class Parser extends YamlReader {
  constructor(
    readonly text: string,
    file: string,
    lines: LineCounter,
  ) {
    super(file, lines);
  }

  loc(node: YamlNode | null | undefined): ExprLocation {
    return { file: this.file, ...this.position(node), style: 'inline', indent: 0 };
  }

  keyNode(m: YAMLMap, key: string): YamlNode | null {
    for (const pair of m.items) if (isScalar(pair.key) && pair.key.value === key) return pair.key;
    return null;
  }

  str(m: YAMLMap, key: string, what: string, required: true): string;
  str(m: YAMLMap, key: string, what: string, required?: boolean): string | undefined;
  str(m: YAMLMap, key: string, what: string, required = false): string | undefined {
    const node = this.get(m, key);
    if (node === null) {
      if (required) throw this.error(m, `${what}: missing required field "${key}"`);
      return undefined;
    }
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) {
      throw this.error(node, `${what}.${key} must be a string`);
    }
    const value = String(node.value);
    if (required && value === '') throw this.error(node, `${what}.${key} must not be empty`);
    return value;
  }

  strList(m: YAMLMap, key: string, what: string): string[] {
    const node = this.get(m, key);
    if (node === null) return [];
    if (!isSeq(node)) throw this.error(node, `${what}.${key} must be a list of strings`);
    return node.items.map((item) => {
      if (!isScalar(item) || (typeof item.value !== 'string' && typeof item.value !== 'number')) {
        throw this.error(item as YamlNode, `${what}.${key} must be a list of strings`);
      }
      return String(item.value);
    });
  }

  sourceExpr(node: YamlNode | null, what: string): SourceExpr {
    if (!isScalar(node) || typeof node.value !== 'string') {
      if (isScalar(node) && (typeof node.value === 'boolean' || typeof node.value === 'number')) {
        return { text: String(node.value), location: this.loc(node) };
      }
      throw this.error(node, `${what} must be a CEL expression string`);
    }
    const scalar = node as Scalar<string>;
    const text = scalar.value;
    if (text.trim() === '') throw this.error(node, `${what} is empty`);
    return { text, location: this.scalarStart(scalar) };
  }

  /** Where the scalar's text starts: after the quote, or on the first content line of a block scalar. */
  private scalarStart(node: Scalar): ExprLocation {
    const start = node.range?.[0] ?? 0;
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
      let i = this.text.indexOf('\n', start);
      if (i < 0) return this.loc(node);
      i++;
      // skip blank lines, then indentation
      for (;;) {
        let j = i;
        while (this.text[j] === ' ' || this.text[j] === '\t') j++;
        if (this.text[j] === '\n' || (this.text[j] === '\r' && this.text[j + 1] === '\n')) {
          i = this.text.indexOf('\n', j) + 1;
          continue;
        }
        const pos = this.lines.linePos(j);
        return { file: this.file, line: pos.line, column: pos.col, style: 'block', indent: j - i };
      }
    }
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    const pos = this.lines.linePos(start + (quoted ? 1 : 0));
    return { file: this.file, line: pos.line, column: pos.col, style: 'inline', indent: 0 };
  }

  condition(node: YamlNode | null, what: string): ConditionNode {
    const m = this.map(node, what);
    this.only(m, ['match'], what);
    return this.match(this.get(m, 'match'), `${what}.match`);
  }

  match(node: YamlNode | null, what: string): ConditionNode {
    const m = this.map(node, what);
    this.only(m, ['expr', 'all', 'any', 'none'], what);
    if (m.items.length !== 1) throw this.error(m, `${what} must have exactly one of expr, all, any, none`);
    if (this.has(m, 'expr')) return { op: 'expr', expr: this.sourceExpr(this.get(m, 'expr'), `${what}.expr`) };
    const op = (['all', 'any', 'none'] as const).find((k) => this.has(m, k))!;
    const group = this.map(this.get(m, op), `${what}.${op}`);
    this.only(group, ['of'], `${what}.${op}`);
    const of = this.get(group, 'of');
    if (!isSeq(of) || of.items.length === 0) throw this.error(of ?? group, `${what}.${op}.of must be a non-empty list`);
    return {
      op,
      of: of.items.map((item, i) => this.match(item as YamlNode, `${what}.${op}.of[${i}]`)),
      location: this.loc(group),
    };
  }

  variables(node: YamlNode | null, what: string): ImportsAndLocals<VariableDef[]> {
    if (node === null) return { import: [], local: [] };
    const m = this.map(node, what);
    this.only(m, ['import', 'local'], what);
    const local = this.get(m, 'local');
    return { import: this.strList(m, 'import', what), local: local === null ? [] : this.variableDefs(local, `${what}.local`) };
  }

  variableDefs(node: YamlNode, what: string): VariableDef[] {
    const m = this.map(node, what);
    return m.items.map((pair) => {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name === "__proto__") throw this.error(pair.key as YamlNode, `${what}: invalid variable name "${name}"`);
      return { name, expr: this.sourceExpr(pair.value as YamlNode, `${what}.${name}`) };
    });
  }

  constants(node: YamlNode | null, what: string): ImportsAndLocals<Record<string, unknown>> {
    if (node === null) return { import: [], local: {} };
    const m = this.map(node, what);
    this.only(m, ['import', 'local'], what);
    const local = this.get(m, 'local');
    return { import: this.strList(m, 'import', what), local: local === null ? {} : this.constantDefs(local, `${what}.local`) };
  }

  constantDefs(node: YamlNode, what: string): Record<string, unknown> {
    const m = this.map(node, what);
    const out: Record<string, unknown> = {};
    for (const pair of m.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name === "__proto__") throw this.error(pair.key as YamlNode, `${what}: invalid constant name "${name}"`);
      const value = pair.value as YamlNode | null;
      out[name] = value === null ? null : (value as { toJSON(): unknown }).toJSON();
    }
    return out;
  }

  scope(m: YAMLMap, what: string): string {
    const scope = this.str(m, 'scope', what) ?? '';
    if (!/^(?:[A-Za-z0-9][\w-]*(?:\.[\w-]+)*)?$/.test(scope)) {
      throw this.error(this.get(m, 'scope'), `${what}.scope must be dot-separated names of letters, digits, _ and - (got "${scope}")`);
    }
    return scope;
  }

  scopePermissions(m: YAMLMap, what: string): ScopePermissions | undefined {
    const value = this.str(m, 'scopePermissions', what);
    if (value === undefined || value === 'SCOPE_PERMISSIONS_UNSPECIFIED') return undefined;
    if (!SCOPE_PERMISSIONS.includes(value)) {
      throw this.error(this.get(m, 'scopePermissions'), `${what}.scopePermissions must be one of ${SCOPE_PERMISSIONS.join(', ')}, got "${value}"`);
    }
    return value as ScopePermissions;
  }

  /** `output: { when: { ruleActivated, conditionNotMet } }`, or the deprecated `output: { expr }` (= ruleActivated). */
  outputs(node: YamlNode | null, what: string): OutputDef[] {
    if (node === null) return [];
    const m = this.map(node, what);
    this.only(m, ['expr', 'when'], what);
    const out: OutputDef[] = [];
    const expr = this.get(m, 'expr');
    if (expr !== null) out.push({ when: 'ruleActivated', expr: this.sourceExpr(expr, `${what}.expr`) });
    const when = this.get(m, 'when');
    if (when !== null) {
      const w = this.map(when, `${what}.when`);
      this.only(w, ['ruleActivated', 'conditionNotMet'], `${what}.when`);
      for (const key of ['ruleActivated', 'conditionNotMet'] as const) {
        const e = this.get(w, key);
        if (e !== null) out.push({ when: key, expr: this.sourceExpr(e, `${what}.when.${key}`) });
      }
    }
    return out;
  }

  effect(m: YAMLMap, what: string): Effect {
    const effect = this.str(m, 'effect', what, true);
    if (!EFFECTS.includes(effect)) throw this.error(this.get(m, 'effect'), `${what}.effect must be EFFECT_ALLOW or EFFECT_DENY, got "${effect}"`);
    return effect as Effect;
  }

  resourcePolicy(m: YAMLMap): ResourcePolicyDoc {
    const what = 'resourcePolicy';
    this.only(m, ['resource', 'version', 'scope', 'scopePermissions', 'importDerivedRoles', 'variables', 'constants', 'rules', 'schemas'], what);
    const resource = this.str(m, 'resource', what, true);
    const version = this.str(m, 'version', what) ?? 'default';
    const scope = this.scope(m, what);
    const rulesNode = this.get(m, 'rules');
    if (rulesNode !== null && !isSeq(rulesNode)) throw this.error(rulesNode, `${what}.rules must be a list`);
    const rules = (rulesNode?.items ?? []).map((item, index) => this.rule(item as YamlNode, index));
    return {
      kind: 'resourcePolicy',
      file: this.file,
      name: `resource.${resource}.v${version}${scope ? `/${scope}` : ''}`,
      resource,
      version,
      scope,
      scopePermissions: this.scopePermissions(m, what),
      importDerivedRoles: this.strList(m, 'importDerivedRoles', what),
      variables: this.variables(this.get(m, 'variables'), `${what}.variables`),
      constants: this.constants(this.get(m, 'constants'), `${what}.constants`),
      rules,
      location: this.loc(this.keyNode(m, 'resource') ?? m),
      ...this.schemas(m, what),
    };
  }

  schemas(m: YAMLMap, what: string): { schemas?: PolicySchemas } {
    const node = this.get(m, 'schemas');
    if (node === null) return {};
    const sm = this.map(node, `${what}.schemas`);
    this.only(sm, ['principalSchema', 'resourceSchema'], `${what}.schemas`);
    const schemas: PolicySchemas = {};
    for (const [key, field] of [['principalSchema', 'principal'], ['resourceSchema', 'resource']] as const) {
      const refNode = this.get(sm, key);
      if (refNode === null) continue;
      const at = `${what}.schemas.${key}`;
      const rm = this.map(refNode, at);
      this.only(rm, ['ref', 'ignoreWhen'], at);
      const ref = this.str(rm, 'ref', at, true);
      if (!ref.startsWith('cerbos:///')) throw this.error(this.get(rm, 'ref'), `${at}.ref must be a cerbos:/// reference into _schemas, got "${ref}"`);
      const ignore = this.get(rm, 'ignoreWhen');
      let ignoreActions: string[] = [];
      if (ignore !== null) {
        const im = this.map(ignore, `${at}.ignoreWhen`);
        this.only(im, ['actions'], `${at}.ignoreWhen`);
        ignoreActions = this.strList(im, 'actions', `${at}.ignoreWhen`);
      }
      schemas[field] = { ref, ignoreActions, location: this.loc(this.get(rm, 'ref')) };
    }
    return { schemas };
  }

  rule(node: YamlNode, index: number): RuleDef {
    const what = `rules[${index}]`;
    const m = this.map(node, what);
    this.only(m, ['actions', 'effect', 'roles', 'derivedRoles', 'condition', 'name', 'output'], what);
    const actions = this.strList(m, 'actions', what);
    if (actions.length === 0) throw this.error(this.get(m, 'actions') ?? m, `${what}.actions must be a non-empty list`);
    const roles = this.strList(m, 'roles', what);
    const derivedRoles = this.strList(m, 'derivedRoles', what);
    if (roles.length === 0 && derivedRoles.length === 0) throw this.error(m, `${what} needs roles or derivedRoles`);
    const name = this.str(m, 'name', what);
    const cond = this.get(m, 'condition');
    return {
      name: name ?? `rule-${String(index + 1).padStart(3, '0')}`,
      named: name !== undefined,
      index,
      actions,
      effect: this.effect(m, what),
      roles,
      derivedRoles,
      condition: cond === null ? undefined : this.condition(cond, `${what}.condition`),
      outputs: this.outputs(this.get(m, 'output'), `${what}.output`),
      location: this.loc(m),
    };
  }

  derivedRoles(m: YAMLMap): DerivedRolesDoc {
    const what = 'derivedRoles';
    this.only(m, ['name', 'definitions', 'variables', 'constants'], what);
    const name = this.str(m, 'name', what, true);
    const defs = this.get(m, 'definitions');
    if (!isSeq(defs) || defs.items.length === 0) throw this.error(defs ?? m, `${what}.definitions must be a non-empty list`);
    const definitions = defs.items.map((item, i): DerivedRoleDef => {
      const w = `${what}.definitions[${i}]`;
      const d = this.map(item as YamlNode, w);
      this.only(d, ['name', 'parentRoles', 'condition'], w);
      const parentRoles = this.strList(d, 'parentRoles', w);
      if (parentRoles.length === 0) throw this.error(d, `${w}.parentRoles must be a non-empty list`);
      const cond = this.get(d, 'condition');
      return {
        name: this.str(d, 'name', w, true),
        parentRoles,
        condition: cond === null ? undefined : this.condition(cond, `${w}.condition`),
        location: this.loc(d),
      };
    });
    return {
      kind: 'derivedRoles',
      file: this.file,
      name,
      variables: this.variables(this.get(m, 'variables'), `${what}.variables`),
      constants: this.constants(this.get(m, 'constants'), `${what}.constants`),
      definitions,
      location: this.loc(m),
    };
  }

  exportVariables(m: YAMLMap): ExportVariablesDoc {
    const what = 'exportVariables';
    this.only(m, ['name', 'definitions'], what);
    const defs = this.get(m, 'definitions');
    return {
      kind: 'exportVariables',
      file: this.file,
      name: this.str(m, 'name', what, true),
      definitions: defs === null ? [] : this.variableDefs(defs, `${what}.definitions`),
      location: this.loc(m),
    };
  }

  exportConstants(m: YAMLMap): ExportConstantsDoc {
    const what = 'exportConstants';
    this.only(m, ['name', 'definitions'], what);
    const defs = this.get(m, 'definitions');
    return {
      kind: 'exportConstants',
      file: this.file,
      name: this.str(m, 'name', what, true),
      definitions: defs === null ? {} : this.constantDefs(defs, `${what}.definitions`),
      location: this.loc(m),
    };
  }

  rolePolicy(m: YAMLMap): RolePolicyDoc {
    const what = 'rolePolicy';
    this.only(m, ['role', 'parentRoles', 'scope', 'scopePermissions', 'variables', 'constants', 'rules'], what);
    const role = this.str(m, 'role', what, true);
    const scope = this.scope(m, what);
    const rulesNode = this.get(m, 'rules');
    if (rulesNode !== null && !isSeq(rulesNode)) throw this.error(rulesNode, `${what}.rules must be a list`);
    const rules = (rulesNode?.items ?? []).map((item, index): RolePolicyRule => {
      const w = `${what}.rules[${index}]`;
      const r = this.map(item as YamlNode, w);
      this.only(r, ['resource', 'allowActions', 'condition', 'name'], w);
      const allowActions = this.strList(r, 'allowActions', w);
      if (allowActions.length === 0) throw this.error(this.get(r, 'allowActions') ?? r, `${w}.allowActions must be a non-empty list`);
      const cond = this.get(r, 'condition');
      return {
        resource: this.str(r, 'resource', w, true),
        allowActions,
        condition: cond === null ? undefined : this.condition(cond, `${w}.condition`),
        index,
        location: this.loc(r),
      };
    });
    return {
      kind: 'rolePolicy',
      file: this.file,
      name: `role.${role}.vdefault${scope ? `/${scope}` : ''}`,
      role,
      parentRoles: this.strList(m, 'parentRoles', what),
      scope,
      variables: this.variables(this.get(m, 'variables'), `${what}.variables`),
      constants: this.constants(this.get(m, 'constants'), `${what}.constants`),
      rules,
      location: this.loc(this.keyNode(m, 'role') ?? m),
    };
  }

  principalPolicy(m: YAMLMap): PrincipalPolicyDoc {
    const what = 'principalPolicy';
    this.only(m, ['principal', 'version', 'scope', 'scopePermissions', 'variables', 'constants', 'rules'], what);
    const principal = this.str(m, 'principal', what, true);
    const version = this.str(m, 'version', what) ?? 'default';
    const scope = this.scope(m, what);
    const rulesNode = this.get(m, 'rules');
    if (rulesNode !== null && !isSeq(rulesNode)) throw this.error(rulesNode, `${what}.rules must be a list`);
    const rules = (rulesNode?.items ?? []).map((item, i) => {
      const w = `${what}.rules[${i}]`;
      const r = this.map(item as YamlNode, w);
      this.only(r, ['resource', 'actions'], w);
      const acts = this.get(r, 'actions');
      if (!isSeq(acts)) throw this.error(acts ?? r, `${w}.actions must be a list`);
      return {
        resource: this.str(r, 'resource', w, true),
        location: this.loc(r),
        actions: acts.items.map((a, j) => {
          const wa = `${w}.actions[${j}]`;
          const am = this.map(a as YamlNode, wa);
          this.only(am, ['action', 'effect', 'condition', 'name', 'output'], wa);
          const cond = this.get(am, 'condition');
          return {
            action: this.str(am, 'action', wa, true),
            effect: this.effect(am, wa),
            // Cerbos names an unnamed action rule `<resource>_rule-<NNN>` (its place in the rule)
            name: this.str(am, 'name', wa) ?? `${this.str(r, 'resource', w, true)}_rule-${String(j + 1).padStart(3, '0')}`,
            condition: cond === null ? undefined : this.condition(cond, `${wa}.condition`),
            outputs: this.outputs(this.get(am, 'output'), `${wa}.output`),
            location: this.loc(am),
          };
        }),
      };
    });
    return {
      kind: 'principalPolicy',
      file: this.file,
      name: `principal.${principal}.v${version}${scope ? `/${scope}` : ''}`,
      principal,
      version,
      scope,
      scopePermissions: this.scopePermissions(m, what),
      variables: this.variables(this.get(m, 'variables'), `${what}.variables`),
      constants: this.constants(this.get(m, 'constants'), `${what}.constants`),
      rules,
      location: this.loc(m),
    };
  }
}

function* walkCondition(
  node: ConditionNode,
  path: string,
  base: Omit<PolicyExpression, 'text' | 'location' | 'path'>,
): Generator<PolicyExpression> {
  if (node.op === 'expr') {
    yield { ...base, text: node.expr.text, location: node.expr.location, path: `${path}.expr` };
    return;
  }
  for (let i = 0; i < node.of.length; i++) yield* walkCondition(node.of[i]!, `${path}.${node.op}.of[${i}]`, base);
}

function* walkVariables(defs: VariableDef[], policyName: string, prefix: string): Generator<PolicyExpression> {
  for (const v of defs) {
    yield { kind: 'variable', text: v.expr.text, location: v.expr.location, policyName, ownerName: v.name, path: `${prefix}.${v.name}` };
  }
}

function* walkRuleConditions<R extends { index: number; condition?: ConditionNode; outputs?: OutputDef[] }>(
  rules: R[],
  policyName: string,
  owner: (rule: R) => string,
): Generator<PolicyExpression> {
  for (const rule of rules) {
    if (rule.condition) yield* walkCondition(rule.condition, `rules[${rule.index}].condition.match`, { kind: 'condition', policyName, ownerName: owner(rule) });
    yield* walkOutputs(rule.outputs ?? [], `rules[${rule.index}].output`, policyName, owner(rule));
  }
}

function* walkOutputs(outputs: OutputDef[], path: string, policyName: string, ownerName: string): Generator<PolicyExpression> {
  for (const o of outputs) {
    yield { kind: 'output', text: o.expr.text, location: o.expr.location, policyName, ownerName, path: `${path}.when.${o.when}` };
  }
}

/** Every CEL expression in a document, in file order, with its location and owner. */
export function* walkExpressions(doc: PolicyDocument): Generator<PolicyExpression> {
  switch (doc.kind) {
    case 'resourcePolicy':
      yield* walkVariables(doc.variables.local, doc.name, 'variables.local');
      yield* walkRuleConditions(doc.rules, doc.name, (rule) => rule.name);
      return;
    case 'derivedRoles':
      yield* walkVariables(doc.variables.local, doc.name, 'variables.local');
      for (let i = 0; i < doc.definitions.length; i++) {
        const def = doc.definitions[i]!;
        if (def.condition) {
          yield* walkCondition(def.condition, `definitions[${i}].condition.match`, {
            kind: 'derivedRole',
            policyName: doc.name,
            ownerName: def.name,
          });
        }
      }
      return;
    case 'exportVariables':
      yield* walkVariables(doc.definitions, doc.name, 'definitions');
      return;
    case 'principalPolicy':
      yield* walkVariables(doc.variables.local, doc.name, 'variables.local');
      for (let i = 0; i < doc.rules.length; i++) {
        const rule = doc.rules[i]!;
        for (let j = 0; j < rule.actions.length; j++) {
          const action = rule.actions[j]!;
          if (action.condition) {
            yield* walkCondition(action.condition, `rules[${i}].actions[${j}].condition.match`, {
              kind: 'condition',
              policyName: doc.name,
              ownerName: action.name,
            });
          }
          yield* walkOutputs(action.outputs, `rules[${i}].actions[${j}].output`, doc.name, action.name);
        }
      }
      return;
    case 'rolePolicy':
      yield* walkVariables(doc.variables.local, doc.name, 'variables.local');
      yield* walkRuleConditions(doc.rules, doc.name, (rule) => `rules[${rule.index}]`);
      return;
    case 'exportConstants':
    case 'ignored':
      return;
  }
}
