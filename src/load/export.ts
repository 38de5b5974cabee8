/**
 * `loadtest --export-k6 FILE` and `--export k6|locust DIR`: the prepared test written for another
 * load generator (same requests, load shape and thresholds), with the command that runs it.
 */
import path from 'node:path';
import { TOOL_NAME } from '../util/version.js';
import { k6Script, type K6ExportInput } from './k6-export.js';
import { k6OperatorFiles } from './k6-operator.js';
import { locustExportFiles } from './locust/export.js';
import { LOCUSTFILE } from './locust/locustfile.js';
import { locustRunTimeS } from './locust/run.js';
import type { ParsedFlags } from './options.js';
import { plannedDurationS } from './plan.js';
import { baseConfig, type PreparedLoadtest } from './session.js';

/** The target an export is run against, when --target does not name one. */
const EXPORT_DEFAULT_TARGET = 'http://127.0.0.1:3592';

export interface ExportFiles {
  /** [path relative to the export folder, text] */
  files: Array<[string, string]>;
  /** how to run the export, one line */
  how: string;
}

/** What an export carries: the plan for the target it will be run against. */
function exportInput(prepared: PreparedLoadtest, parsed: ParsedFlags, scenario: string, engine: 'cerbos' | null): K6ExportInput {
  const { plan, source, requests } = prepared;
  const shape = plan.shape!;
  const base = baseConfig({ url: parsed.targetUrl ?? EXPORT_DEFAULT_TARGET, bundled: !parsed.targetUrl }, engine, scenario, plan.seed, parsed, requests.length);
  return {
    config: { ...base, model: shape.model, stages: shape.stages, plannedDurationS: plannedDurationS(shape), thinkTimeMs: shape.thinkTimeMs, profile: shape.profile },
    startTarget: shape.startTarget,
    path: source.path,
    bodies: source.bodies,
    thresholds: plan.thresholds,
    generatedAt: new Date(),
  };
}

/** `--export-k6`: one k6 script. */
export function k6ScriptExport(prepared: PreparedLoadtest, parsed: ParsedFlags, scenario: string, engine: 'cerbos' | null): string {
  return k6Script(exportInput(prepared, parsed, scenario, engine));
}

/** `--export k6|locust DIR`: the folder's files and how to run them (`dir` as the user gave it). */
export function runnerExport(
  prepared: PreparedLoadtest,
  parsed: ParsedFlags,
  scenario: string,
  engine: 'cerbos' | null,
  to: { runner: 'k6' | 'locust'; dir: string; parallelism: number },
): ExportFiles {
  const input = exportInput(prepared, parsed, scenario, engine);
  const { dir } = to;
  if (to.runner === 'locust') {
    const runTimeS = locustRunTimeS(plannedDurationS(prepared.plan.shape!), parsed.timeoutMs);
    return {
      files: locustExportFiles({ ...input, expected: prepared.expected }),
      how: `run: cd ${dir} && locust -f ${LOCUSTFILE} --headless --master --expect-workers N -u N -r N --run-time ${runTimeS}s --host TARGET --authz-results results (+ N workers); then ${TOOL_NAME} report --import-locust ${path.join(dir, 'results')}`,
    };
  }
  return {
    files: k6OperatorFiles({ ...input, parallelism: to.parallelism, name: k6ResourceName(scenario) }),
    how: `run: kubectl apply -f ${path.join(dir, 'configmap.yaml')} -f ${path.join(dir, 'testrun.yaml')}; then ${TOOL_NAME} report --import-k6 RUNNER-LOGS...`,
  };
}

/** Kubernetes names: lower-case letters, digits and dashes. */
function k6ResourceName(scenario: string): string {
  const name = `authz-perf-${scenario}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+$/, '');
  return name.slice(0, 50);
}
