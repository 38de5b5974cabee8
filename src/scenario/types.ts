/** A bundled or user scenario: policies, request mix, SLOs and named load shapes (scenarios/NAME/scenario.yaml). */
import type { AttrValue, Globals } from '../engine/index.js';

export interface LoadStage {
  durationS: number;
  /** arrival-rate: requests per second at the end of the stage; vus: concurrent virtual users */
  target: number;
}

export interface LoadProfile {
  executor: 'arrival-rate' | 'vus';
  /** vus only: pause between a VU's requests, uniform in [min, max] ms */
  thinkTimeMs?: [number, number];
  stages: LoadStage[];
}

export interface Slo {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** share of failed requests allowed, 0.001 = 0.1% */
  errorRate: number;
}

/** How one attribute value is generated (see scenarios/README.md for the YAML forms). */
export type AttrGen =
  | { type: 'const'; value: AttrValue }
  | { type: 'oneOf'; values: AttrValue[]; /** cumulative weights, last = 1 */ cumulative: number[] }
  | { type: 'int'; min: number; max: number }
  | { type: 'number'; min: number; max: number }
  | { type: 'bool'; p: number }
  | { type: 'id'; prefix: string; count: number }
  | { type: 'principalId'; share: number }
  | { type: 'fromPrincipal'; attr: string; share: number; otherwise: AttrGen }
  | { type: 'listOf'; item: AttrGen; min: number; max: number }
  | { type: 'object'; fields: Array<[string, AttrGen]> };

export interface WeightedRoles {
  roles: string[];
  weight: number;
}

export interface PrincipalMix {
  /** size of the principal pool the stream draws from */
  count: number;
  /** role sets and their weights */
  roles: WeightedRoles[];
  attr: Array<[string, AttrGen]>;
  /** `principal.scope`, drawn once per principal after its attributes; string-valued (see parse.ts) */
  scope?: AttrGen;
  /** `principal.policyVersion`, drawn once per principal after its scope; string-valued */
  policyVersion?: AttrGen;
}

export interface ResourceMix {
  kind: string;
  /** `resource.policyVersion`, drawn per resource entry after its scope; string-valued */
  policyVersion?: AttrGen;
  /** `resource.scope`, drawn per resource entry after its attributes; string-valued */
  scope?: AttrGen;
  /** relative frequency among resource kinds */
  weight: number;
  /** number of distinct resource ids (`<kind>-<n>`) */
  count: number;
  actions: Array<{ name: string; weight: number }>;
  actionsPerResource: { min: number; max: number };
  /** attributes generated per request (they may depend on the requesting principal) */
  attr: Array<[string, AttrGen]>;
}

export interface RequestMix {
  /** share of requests that repeat a recent request (cache hits), 0..1 */
  repeatShare: number;
  /** how many recent requests a repeat is drawn from */
  repeatWindow: number;
  resourcesPerRequest: { min: number; max: number };
  principals: PrincipalMix;
  resources: ResourceMix[];
}

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  /** the scenario folder (absolute) */
  dir: string;
  /** scenario.yaml (absolute) */
  file: string;
  /** policy folder (absolute) */
  policyDir: string;
  /** Cerbos-style test suites folder (absolute), null when the scenario has none */
  testsDir: string | null;
  requests: RequestMix;
  /** Cerbos engine globals (`G` / `globals` in CEL); absent when scenario.yaml has no `globals:` */
  globals?: Globals;
  /** Cerbos's `engine.lenientScopeSearch` for this scenario's policies (default: strict) */
  lenientScopeSearch?: boolean;
  slo: Slo;
  load: Record<string, LoadProfile>;
}

export interface ScenarioSummary {
  name: string;
  description: string;
  dir: string;
}
