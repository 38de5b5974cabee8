/**
 * Scenarios: bundled (scenarios/NAME/scenario.yaml) or any folder with a scenario.yaml.
 *
 *   BUNDLED_SCENARIOS_DIR                 PACKAGE_ROOT/scenarios
 *   listScenarios()                       bundled scenarios, sorted by name
 *   loadScenario(nameOrDir, { cwd })      a bundled name, a folder or a scenario.yaml path
 *                                         (relative paths resolve against cwd)
 *   createRequestStream(scenario, opts)   deterministic infinite stream of CheckRequests
 *   takeRequests(stream, n)
 *
 * Policies: loadPolicySet(scenario.policyDir) from src/engine/index.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InputError, UsageError } from '../util/errors.js';
import { PACKAGE_ROOT } from '../util/version.js';
import { parseScenario } from './parse.js';
import type { Scenario, ScenarioSummary } from './types.js';

export type * from './types.js';
export { createRequestStream, takeRequests, principalIdFor } from './stream.js';
export type { RequestStream, RequestStreamOptions } from './stream.js';
export { parseScenario, DEFAULT_SLO } from './parse.js';
export { Random } from './random.js';

export const BUNDLED_SCENARIOS_DIR: string = resolve(PACKAGE_ROOT, 'scenarios');

const SCENARIO_FILE = 'scenario.yaml';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function dirExists(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Names of the bundled scenarios (folders of BUNDLED_SCENARIOS_DIR with a scenario.yaml), sorted. */
async function bundledNames(): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(BUNDLED_SCENARIOS_DIR);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) if (await isFile(join(BUNDLED_SCENARIOS_DIR, entry, SCENARIO_FILE))) names.push(entry);
  return names.sort();
}

export async function listScenarios(): Promise<ScenarioSummary[]> {
  const out: ScenarioSummary[] = [];
  for (const name of await bundledNames()) {
    const s = await loadScenarioFile(join(BUNDLED_SCENARIOS_DIR, name, SCENARIO_FILE));
    out.push({ name, description: s.description, dir: s.dir });
  }
  return out;
}

export interface LoadScenarioOptions {
  /**
   * The folder a relative path resolves against: the CLI passes its context's cwd. Without it a
   * relative path resolves against the process's working directory (bundled names and absolute
   * paths do not depend on it).
   */
  cwd?: string;
}

/**
 * A bundled scenario by name, or a path (folder containing scenario.yaml, or the file itself),
 * relative to `options.cwd`. A bundled name wins over a same-named folder unless the argument
 * looks like a path (`./name`). Unknown name → UsageError listing the accepted names; bad file →
 * InputError with file:line:column.
 */
export async function loadScenario(nameOrDir: string, options: LoadScenarioOptions = {}): Promise<Scenario> {
  const path = options.cwd === undefined ? resolve(nameOrDir) : resolve(options.cwd, nameOrDir);
  const looksLikePath = /[\\/]/.test(nameOrDir) || nameOrDir.startsWith('.') || /\.ya?ml$/i.test(nameOrDir);
  if (!looksLikePath) {
    const bundled = join(BUNDLED_SCENARIOS_DIR, nameOrDir, SCENARIO_FILE);
    if (/^[A-Za-z0-9_-]+$/.test(nameOrDir) && (await isFile(bundled))) return loadScenarioFile(bundled);
    if (!existsSync(path)) {
      const names = await bundledNames();
      throw new UsageError(
        `--scenario: unknown scenario '${nameOrDir}' (accepted: ${names.join(', ') || 'none bundled'}, or a folder with ${SCENARIO_FILE})`,
      );
    }
  }
  if (dirExists(path)) {
    const file = join(path, SCENARIO_FILE);
    if (!(await isFile(file))) throw new UsageError(`--scenario: ${nameOrDir} has no ${SCENARIO_FILE}`);
    return loadScenarioFile(file);
  }
  if (!(await isFile(path))) throw new UsageError(`--scenario: ${nameOrDir}: no such scenario folder or file`);
  return loadScenarioFile(path);
}

async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${basename(file)}: ${(err as Error).message}`, { file });
  }
  const scenario = parseScenario(text, { file, dirExists });
  if (!dirExists(scenario.policyDir)) {
    throw new InputError(`policy folder ${scenario.policyDir} does not exist`, { file, line: 1, column: 1 });
  }
  return scenario;
}
