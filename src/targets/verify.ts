/**
 * Decision check of our engine against the real Cerbos PDP: the `verify` section and its front
 * door. verifyWithCerbos() starts Cerbos on the policy folder, compares every action of the given
 * requests (differential.ts) and stops Cerbos again, whatever happens.
 */
import { createEngine, loadPolicySet, type CheckRequest, type Globals } from '../engine/index.js';
import { requireCerbos, startCerbos, type CerbosBinary } from './cerbos.js';
import { compareWithCerbos, type ActionAgreement, type DecisionDifference } from './differential.js';

export type VerifySource =
  | { kind: 'scenario'; scenario: string; seed: number }
  | { kind: 'test-suites'; suites: number; pairs: number };

export interface VerifySection {
  engine: 'cerbos';
  cerbos: { version: string; binary: string; source: CerbosBinary['source'] };
  policyDir: string;
  source: VerifySource;
  requests: number;
  actions: number;
  differingActions: number;
  /** requests Cerbos refused (their actions count as differing) */
  cerbosErrors: number;
  /** share of actions with the same effect from both, 0..1 (1 when there were no actions) */
  agreement: number;
  passed: boolean;
  perAction: ActionAgreement[];
  /** the first differences in request order (at most maxDifferences) */
  differences: DecisionDifference[];
  maxDifferences: number;
  /** comparison time, Cerbos start-up excluded */
  durationMs: number;
}

export interface VerifyOptions {
  policyDir: string;
  requests: readonly CheckRequest[];
  source: VerifySource;
  /** engine.globals given to Cerbos */
  globals?: Globals;
  /** engine.lenientScopeSearch, for both engines */
  lenientScopeSearch?: boolean;
  /** default: requireCerbos() */
  binary?: CerbosBinary;
  concurrency?: number;
  maxDifferences?: number;
  signal?: AbortSignal;
  /** ms clock for durationMs; default performance.now */
  now?: () => number;
}

export async function verifyWithCerbos(options: VerifyOptions): Promise<VerifySection> {
  const now = options.now ?? (() => performance.now());
  const maxDifferences = options.maxDifferences ?? 20;
  // our engine first: a policy error is ours to report as file:line:column, before Cerbos starts
  const engine = createEngine(await loadPolicySet(options.policyDir, { lenientScopeSearch: options.lenientScopeSearch === true }), { cache: false, globals: options.globals });
  const binary = options.binary ?? (await requireCerbos());
  const cerbos = await startCerbos({
    policyDir: options.policyDir,
    binary,
    ...(options.globals ? { globals: options.globals } : {}),
    ...(options.lenientScopeSearch ? { lenientScopeSearch: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    const started = now();
    const result = await compareWithCerbos({
      requests: options.requests,
      engine,
      cerbosUrl: cerbos.httpUrl,
      maxDifferences,
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const durationMs = now() - started;
    return {
      engine: 'cerbos',
      cerbos: { version: cerbos.version, binary: binary.path, source: binary.source },
      policyDir: options.policyDir,
      source: options.source,
      requests: result.requests,
      actions: result.actions,
      differingActions: result.differingActions,
      cerbosErrors: result.cerbosErrors,
      agreement: result.actions === 0 ? 1 : (result.actions - result.differingActions) / result.actions,
      passed: result.differingActions === 0,
      perAction: result.perAction,
      differences: result.differences,
      maxDifferences,
      durationMs,
    };
  } finally {
    await cerbos.stop();
  }
}
