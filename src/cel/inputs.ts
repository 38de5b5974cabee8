/**
 * analyze-cel's inputs on disk: paths → sources read one at a time as the analysis asks. Folders
 * are walked with the engine's own policy-folder rules (plus `.cel` files); reading goes through
 * the injected `io`, so callers decide how a file that cannot be read is reported.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { policyTreeFiles } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import { isPolicyFile } from './sources.js';
import type { RequestInput } from './measure.js';
import type { CelSource } from './run.js';

export interface CelInputIo {
  /** all of stdin (for `-`) */
  readStdin(): Promise<string>;
  /** a file's text; `file` is absolute */
  readFile(file: string): Promise<string>;
}

/** The inputs in order (`-` is stdin), each file read only when the analysis reaches it. */
export async function* readSources(cwd: string, inputs: readonly string[], io: CelInputIo): AsyncGenerator<CelSource> {
  for (const input of inputs) {
    if (input === '-') {
      yield { file: '-', text: await io.readStdin(), policy: false, fromDirectory: false };
      continue;
    }
    const { files, fromDirectory } = await expandInput(cwd, input);
    for (const file of files) {
      const relative = path.relative(cwd, file);
      const display = relative && !relative.startsWith('..') ? relative : file;
      yield { file: display, text: await io.readFile(file), policy: isPolicyFile(file), fromDirectory };
    }
  }
}

/**
 * A file → itself; a folder → the files the engine loads from it (Cerbos's disk-store rules:
 * no hidden files, `testdata`, top-level `_schemas` or `*_test` suites) and its `.cel` files, sorted.
 */
async function expandInput(cwd: string, input: string): Promise<{ files: string[]; fromDirectory: boolean }> {
  const full = path.resolve(cwd, input);
  let info;
  try {
    info = await stat(full);
  } catch {
    throw new InputError('no such file or directory', { file: input });
  }
  if (!info.isDirectory()) return { files: [full], fromDirectory: false };
  const files = await policyTreeFiles(full, (name) => /\.cel$/i.test(name));
  if (files.length === 0) throw new InputError('no inputs found: no .yaml, .yml, .json or .cel files in this folder', { file: input });
  return { files, fromDirectory: true };
}

/** `--input FILE`: a JSON request `{principal, resource, variables?, constants?}`. */
export async function readRequestFile(file: string, display: string): Promise<RequestInput> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`--input: ${(err as Error).message.split('\n')[0]}`, { file: display });
  }
  const r = raw as Partial<RequestInput> | null;
  if (!r || typeof r !== 'object' || typeof r.principal !== 'object' || typeof r.resource !== 'object' || !r.principal || !r.resource) {
    throw new InputError('--input: expected a JSON object with "principal" and "resource" objects (optional "variables", "constants")', { file: display });
  }
  return r as RequestInput;
}
