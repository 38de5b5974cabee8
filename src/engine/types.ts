/** Cerbos check API shapes (POST /api/check/resources). */

export type Effect = 'EFFECT_ALLOW' | 'EFFECT_DENY';

export type AttrValue = null | boolean | number | string | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

/**
 * Engine globals as Cerbos reads them from its configuration: integers written without a decimal
 * point are CEL ints (bigint here), other numbers doubles; request attributes are all doubles.
 */
export type GlobalValue = null | boolean | number | bigint | string | GlobalValue[] | { [key: string]: GlobalValue };
export type Globals = Record<string, GlobalValue>;

export interface Principal {
  id: string;
  roles: string[];
  attr?: Attributes;
  /** selects the principal policy version; default "default" */
  policyVersion?: string;
  /** the principal policy scope to start from (dot-separated, most specific last); default "" */
  scope?: string;
}

export interface ResourceRef {
  kind: string;
  id: string;
  attr?: Attributes;
  /** Cerbos allows pinning a policy version; default "default" */
  policyVersion?: string;
  /** the resource policy scope to start from (dot-separated, most specific last); default "" */
  scope?: string;
}

export interface ResourceEntry {
  resource: ResourceRef;
  actions: string[];
}

export interface CheckRequest {
  requestId?: string;
  /** Cerbos' includeMeta: add the matched policy/rule per action to each result */
  includeMeta?: boolean;
  principal: Principal;
  resources: ResourceEntry[];
  /** auxiliary data: a JWT as sent (`auxData.jwt.token`) and, once decoded, its claims */
  auxData?: AuxData;
}

export interface AuxData {
  jwt?: { token: string; keySetId?: string };
  /** claims of the JWT, filled in by the server (or a caller) before the check; CEL `request.auxData.jwt` */
  jwtClaims?: Record<string, AttrValue>;
}

/** Where an action was decided (Cerbos includeMeta): the policy, and the scope when not the root. */
export interface MatchMeta {
  matchedPolicy: string;
  matchedScope?: string;
}

/** A rule output (Cerbos `outputs`): the rule (`policy#rule`), the expression's value, the action. */
export interface RuleOutput {
  src: string;
  val: unknown;
  action: string;
}

export interface ResourceResult {
  resource: { id: string; kind: string; policyVersion?: string; scope?: string };
  actions: Record<string, Effect>;
  /** effectiveDerivedRoles: the derived roles active for the pair in the resource policies evaluated (sorted; absent when none) */
  meta?: { actions: Record<string, MatchMeta>; effectiveDerivedRoles?: string[] };
  outputs?: RuleOutput[];
  /** schema validation errors (schema enforcement warn or reject) */
  validationErrors?: Array<{ path: string; message: string; source: 'SOURCE_PRINCIPAL' | 'SOURCE_RESOURCE' }>;
}

export interface CheckResponse {
  requestId: string;
  results: ResourceResult[];
}
