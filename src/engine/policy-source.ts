/**
 * Cerbos policy files (YAML or JSON text) → typed documents, WITHOUT compiling CEL.
 *
 * Every CEL expression (rule and derived-role conditions, variables) keeps the place where its text
 * starts in the file, so later stages (CEL compilation, analyze-cel) can report `file:line:column`.
 * Shape errors are InputError with the location of the offending node.
 *
 *   parsePolicySource(text, file)   → PolicyDocument (or an `ignored` document for test suites)
 *   walkExpressions(doc)            → every expression with its location and owner
 *   exprPosition(source, offset)    → file line/column of an offset inside an expression's text
 */
import { LineCounter, parseDocument, isScalar, isSeq, type Node as YamlNode, type YAMLMap, type Scalar } from 'yaml';
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
  location: ExprLocation;
}

export interface ResourcePolicyDoc {
  kind: 'resourcePolicy';
  file: string;
  /** `resource.<kind>.v<version>` (Cerbos' policy id form) */
  name: string;
  resource: string;
  version: string;
  scope: string;
  importDerivedRoles: string[];
  variables: ImportsAndLocals<VariableDef[]>;
  constants: ImportsAndLocals<Record<string, unknown>>;
  rules: RuleDef[];
  location: ExprLocation;
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

/** Principal policies are parsed (their expressions can be walked) but the engine does not evaluate them. */
export interface PrincipalPolicyDoc {
  kind: 'principalPolicy';
  file: string;
  name: string;
  principal: string;
  version: string;
  variables: ImportsAndLocals<VariableDef[]>;
  constants: ImportsAndLocals<Record<string, unknown>>;
  rules: Array<{ resource: string; actions: Array<{ action: string; effect: Effect; name: string; condition?: ConditionNode }> }>;
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
  | IgnoredDoc;

export type ExpressionKind = 'condition' | 'variable' | 'derivedRole';

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

/** Parses one policy file. `file` is used in locations and messages only. */
export function parsePolicySource(text: string, file: string): PolicyDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const p = new Parser(text, file, lineCounter);
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    throw new InputError(`invalid YAML: ${firstError.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col });
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    throw new InputError('empty policy file', { file, line: 1, column: 1 });
  }
  const top = p.map(root as YamlNode, 'the document');
  if (p.has(top, 'tests') || /_test\.(ya?ml|json)$/i.test(file)) return { kind: 'ignored', file, reason: 'test suite' };
  if (p.has(top, 'resourcePolicy')) return p.resourcePolicy(p.map(p.get(top, 'resourcePolicy'), 'resourcePolicy'));
  if (p.has(top, 'derivedRoles')) return p.derivedRoles(p.map(p.get(top, 'derivedRoles'), 'derivedRoles'));
  if (p.has(top, 'exportVariables')) return p.exportVariables(p.map(p.get(top, 'exportVariables'), 'exportVariables'));
  if (p.has(top, 'exportConstants')) return p.exportConstants(p.map(p.get(top, 'exportConstants'), 'exportConstants'));
  if (p.has(top, 'principalPolicy')) return p.principalPolicy(p.map(p.get(top, 'principalPolicy'), 'principalPolicy'));
  if (p.has(top, 'principals') || p.has(top, 'resources') || p.has(top, 'auxData')) {
    return { kind: 'ignored', file, reason: 'test data' };
  }
  throw p.error(
    top,
    'not a Cerbos policy: expected one of resourcePolicy, derivedRoles, exportVariables, exportConstants, principalPolicy',
  );
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
    const scope = this.str(m, 'scope', what) ?? '';
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
      importDerivedRoles: this.strList(m, 'importDerivedRoles', what),
      variables: this.variables(this.get(m, 'variables'), `${what}.variables`),
      constants: this.constants(this.get(m, 'constants'), `${what}.constants`),
      rules,
      location: this.loc(this.keyNode(m, 'resource') ?? m),
    };
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

  principalPolicy(m: YAMLMap): PrincipalPolicyDoc {
    const what = 'principalPolicy';
    this.only(m, ['principal', 'version', 'scope', 'scopePermissions', 'variables', 'constants', 'rules'], what);
    const principal = this.str(m, 'principal', what, true);
    const version = this.str(m, 'version', what) ?? 'default';
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
        actions: acts.items.map((a, j) => {
          const wa = `${w}.actions[${j}]`;
          const am = this.map(a as YamlNode, wa);
          this.only(am, ['action', 'effect', 'condition', 'name', 'output'], wa);
          const cond = this.get(am, 'condition');
          return {
            action: this.str(am, 'action', wa, true),
            effect: this.effect(am, wa),
            name: this.str(am, 'name', wa) ?? `${w}.actions[${j}]`,
            condition: cond === null ? undefined : this.condition(cond, `${wa}.condition`),
          };
        }),
      };
    });
    return {
      kind: 'principalPolicy',
      file: this.file,
      name: `principal.${principal}.v${version}`,
      principal,
      version,
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

/** Every CEL expression in a document, in file order, with its location and owner. */
export function* walkExpressions(doc: PolicyDocument): Generator<PolicyExpression> {
  switch (doc.kind) {
    case 'resourcePolicy':
      yield* walkVariables(doc.variables.local, doc.name, 'variables.local');
      for (const rule of doc.rules) {
        if (rule.condition) {
          yield* walkCondition(rule.condition, `rules[${rule.index}].condition.match`, {
            kind: 'condition',
            policyName: doc.name,
            ownerName: rule.name,
          });
        }
      }
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
        }
      }
      return;
    case 'exportConstants':
    case 'ignored':
      return;
  }
}
