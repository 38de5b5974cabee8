/**
 * Where the Cerbos PDP binary comes from, in this order:
 *   1. env CERBOS_BINARY (a path; when set, it is the only candidate)
 *   2. the platform package `@cerbos/cerbos-<platform>-<arch>` (an optionalDependency: `npm ci`
 *      installs it on x64 Linux)
 *   3. the `cerbos` npm package, through the platform package it depends on (its own bin script is
 *      a node wrapper, which would put a process between us and the server)
 *   4. `cerbos` on PATH
 * A candidate counts only if `<binary> --version` runs and prints a version.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { UsageError } from '../util/errors.js';

export interface CerbosBinary {
  path: string;
  /** e.g. "0.55.0" */
  version: string;
  /** how it was found */
  source: 'CERBOS_BINARY' | 'platform package' | 'cerbos package' | 'PATH';
}

export type CerbosLookup = { found: true; binary: CerbosBinary } | { found: false; reason: string };

export interface FindCerbosOptions {
  /** default process.env; CERBOS_BINARY and PATH are read from it */
  env?: NodeJS.ProcessEnv;
  /** default process.platform / process.arch */
  platform?: string;
  arch?: string;
}

interface Candidate {
  path: string;
  source: CerbosBinary['source'];
}

/** One line for a user who has no runnable Cerbos binary. */
export function installHint(platform: string = process.platform, arch: string = process.arch): string {
  return `install it with \`npm install @cerbos/cerbos-${platform}-${arch}\` or set CERBOS_BINARY to the path of a cerbos binary`;
}

const cache = new Map<string, Promise<CerbosLookup>>();

/** Finds and probes the binary (memoized per env CERBOS_BINARY/PATH and platform). Never throws. */
export function findCerbos(options: FindCerbosOptions = {}): Promise<CerbosLookup> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const key = JSON.stringify([env['CERBOS_BINARY'] ?? null, env['PATH'] ?? null, platform, arch]);
  let lookup = cache.get(key);
  if (lookup === undefined) {
    lookup = lookUp(env, platform, arch);
    cache.set(key, lookup);
  }
  return lookup;
}

/** The binary, or an Error whose message says what was tried and how to install it. */
export async function requireCerbos(options: FindCerbosOptions = {}): Promise<CerbosBinary> {
  const lookup = await findCerbos(options);
  if (!lookup.found) throw new CerbosNotFoundError(lookup.reason);
  return lookup.binary;
}

/** A usage error (one line, exit 2): the user has to install Cerbos or point CERBOS_BINARY at it. */
export class CerbosNotFoundError extends UsageError {}

async function lookUp(env: NodeJS.ProcessEnv, platform: string, arch: string): Promise<CerbosLookup> {
  const explicit = env['CERBOS_BINARY'];
  if (explicit !== undefined && explicit !== '') {
    const probed = await probe(explicit);
    if ('version' in probed) return { found: true, binary: { path: explicit, version: probed.version, source: 'CERBOS_BINARY' } };
    return { found: false, reason: `CERBOS_BINARY=${explicit} cannot run: ${probed.error} (point it at a cerbos binary, or unset it to use @cerbos/cerbos-${platform}-${arch} from npm)` };
  }
  const candidates = [...(await packageCandidates(platform, arch)), ...pathCandidates(env)];
  const failures: string[] = [];
  for (const c of candidates) {
    const probed = await probe(c.path);
    if ('version' in probed) return { found: true, binary: { path: c.path, version: probed.version, source: c.source } };
    failures.push(`${c.path}: ${probed.error}`);
  }
  const tried = failures.length > 0 ? ` (${failures.join('; ')})` : '';
  return { found: false, reason: `no runnable Cerbos binary found${tried}: ${installHint(platform, arch)}` };
}

async function packageCandidates(platform: string, arch: string): Promise<Candidate[]> {
  const require = createRequire(import.meta.url);
  const platformPackage = `@cerbos/cerbos-${platform}-${arch}`;
  const out: Candidate[] = [];
  const direct = await packageBinary(require, platformPackage);
  if (direct !== null) out.push({ path: direct, source: 'platform package' });
  let cerbosPackageJson: string | null = null;
  try {
    cerbosPackageJson = require.resolve('cerbos/package.json');
  } catch {
    /* not installed */
  }
  if (cerbosPackageJson !== null) {
    const viaCerbos = await packageBinary(createRequire(cerbosPackageJson), platformPackage);
    if (viaCerbos !== null && viaCerbos !== direct) out.push({ path: viaCerbos, source: 'cerbos package' });
  }
  return out;
}

/** The file a platform package names as its `main` (the binary itself), or null when it is not installed. */
async function packageBinary(require: NodeJS.Require, name: string): Promise<string | null> {
  let packageJson: string;
  try {
    packageJson = require.resolve(`${name}/package.json`);
  } catch {
    return null;
  }
  try {
    const meta = JSON.parse(await readFile(packageJson, 'utf8')) as { main?: unknown };
    const main = typeof meta.main === 'string' ? meta.main : name.replace(/^@cerbos\//, '');
    return join(dirname(packageJson), main);
  } catch {
    return null;
  }
}

function pathCandidates(env: NodeJS.ProcessEnv): Candidate[] {
  const out: Candidate[] = [];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, 'cerbos');
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
    } catch {
      continue;
    }
    out.push({ path: file, source: 'PATH' });
    break;
  }
  return out;
}

const VERSION_LINE = /^v?(\d+\.\d+\.\d+\S*)/;

/** Runs `<path> --version` (10 s bound) and reads the version from its first line. */
function probe(path: string): Promise<{ version: string } | { error: string }> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: 10_000, killSignal: 'SIGKILL' }, (err, stdout) => {
      const m = VERSION_LINE.exec(String(stdout).trim());
      if (m) return resolve({ version: m[1]! });
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not executable' : err.killed ? 'did not answer --version within 10 s' : err.message.split('\n')[0]!;
        return resolve({ error: why });
      }
      resolve({ error: `--version printed no version (${String(stdout).trim().split('\n')[0] ?? ''})` });
    });
  });
}
