/**
 * The real Cerbos PDP as a process we own: `cerbos server` on 127.0.0.1 with free HTTP and gRPC
 * ports and a disk store holding a policy folder (no file watching, audit and telemetry off),
 * configured through a YAML file in a temporary folder. Started by startCerbos(), which resolves
 * once `/_cerbos/health` answers; stopped by stop(), by our process exiting, and (through the
 * watchdog in owned-child.ts) by our process dying any other way.
 *
 *   findCerbos() / requireCerbos()   the binary (cerbos-binary.ts)
 *   startCerbos(options)             → { httpUrl, grpcAddress, version, pid, stop() }
 *   cerbosConfig(options)            the configuration object written for Cerbos
 */
import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { Scalar, stringify } from 'yaml';
import type { GlobalValue, Globals } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import { requireCerbos, type CerbosBinary } from './cerbos-binary.js';
import { readLines } from '../util/lines.js';
import { startupFailure } from './cerbos-startup-error.js';
import { spawnOwned, type OwnedChild } from './owned-child.js';

export { findCerbos, requireCerbos, installHint, CerbosNotFoundError } from './cerbos-binary.js';
export type { CerbosBinary, CerbosLookup, FindCerbosOptions } from './cerbos-binary.js';

export type CerbosLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SchemaEnforcement = 'none' | 'warn' | 'reject';

export interface StartCerbosOptions {
  policyDir: string;
  /** JSON schemas; Cerbos reads them from `_schemas/` in its store, so the store becomes a copy of policyDir with this folder as `_schemas/` */
  schemaDir?: string;
  /** engine.globals: `G` / `globals` in conditions */
  globals?: Globals;
  /** engine.lenientScopeSearch; default false (strict, Cerbos's default) */
  lenientScopeSearch?: boolean;
  /** schema.enforcement; default Cerbos's own (none) */
  schemaEnforcement?: SchemaEnforcement;
  /** Cerbos's --log-level; default error (the log is read for start-up errors, then passed to onLog) */
  logLevel?: CerbosLogLevel;
  /** aborting during start-up kills Cerbos and rejects; after start-up it stops Cerbos */
  signal?: AbortSignal;
  /** default: requireCerbos() */
  binary?: CerbosBinary;
  /** how long to wait for /_cerbos/health; default 30 s */
  readyTimeoutMs?: number;
  /** added to the child's environment (e.g. GOMAXPROCS) */
  env?: Record<string, string>;
  /** CPUs Cerbos may run on (`taskset -c LIST`, which execs Cerbos in place: same pid), e.g. "1" or "0-1" */
  cpuList?: string;
  /** every line Cerbos writes to stdout or stderr */
  onLog?: (line: string) => void;
}

export interface RunningCerbos {
  /** e.g. http://127.0.0.1:41234 */
  httpUrl: string;
  /** e.g. 127.0.0.1:41235 */
  grpcAddress: string;
  /** e.g. "0.55.0" */
  version: string;
  /** pid of the cerbos process */
  pid: number;
  binary: string;
  /** the configuration Cerbos was given (in a temporary folder removed by stop()) */
  configFile: string;
  /** settles when Cerbos exits, whether through stop() or not */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 3 s); removes the temporary folder. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A string as Cerbos's configuration must spell it to read it back unchanged: Cerbos expands
 * environment variables (`$VAR`, `${VAR}`, `${VAR:default}`) in configuration values, and `$$`
 * stands for a literal `$`.
 */
export function literalConfigValue(text: string): string {
  // a function replacement: in a replacement string, '$$' itself means one '$'
  return text.replaceAll('$', () => '$$');
}

function literalValues(value: GlobalValue): GlobalValue {
  if (typeof value === 'string') return literalConfigValue(value);
  if (Array.isArray(value)) return value.map(literalValues);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literalValues(v)]));
  // bigints are written as YAML integers (CEL ints in Cerbos); integral doubles keep a decimal point
  if (typeof value === 'number' && Number.isInteger(value)) return doubleScalar(value) as unknown as GlobalValue;
  return value;
}

function doubleScalar(value: number): Scalar {
  const scalar = new Scalar(value);
  scalar.minFractionDigits = 1;
  return scalar;
}

/** The configuration Cerbos gets (a plain object; written as YAML). */
export function cerbosConfig(o: {
  storeDir: string;
  httpPort: number;
  grpcPort: number;
  globals?: Globals;
  lenientScopeSearch?: boolean;
  schemaEnforcement?: SchemaEnforcement;
}): Record<string, unknown> {
  return {
    server: { httpListenAddr: `127.0.0.1:${o.httpPort}`, grpcListenAddr: `127.0.0.1:${o.grpcPort}` },
    storage: { driver: 'disk', disk: { directory: literalConfigValue(o.storeDir), watchForChanges: false } },
    engine: { lenientScopeSearch: o.lenientScopeSearch ?? false, ...(o.globals ? { globals: literalValues(o.globals) } : {}) },
    ...(o.schemaEnforcement ? { schema: { enforcement: o.schemaEnforcement } } : {}),
    audit: { enabled: false },
    telemetry: { disabled: true },
  };
}

const START_ATTEMPTS = 3;

/**
 * Starts `cerbos server` and resolves when it is healthy. Policy errors reject with an InputError
 * located at the file Cerbos names (`file:line:column: Cerbos: message`); other start-up failures
 * reject with an Error carrying Cerbos's own message in one line.
 */
export async function startCerbos(options: StartCerbosOptions): Promise<RunningCerbos> {
  options.signal?.throwIfAborted();
  const binary = options.binary ?? (await requireCerbos());
  const policyDir = resolve(options.policyDir);
  await requireDir(policyDir, 'policy folder');
  if (options.schemaDir !== undefined) await requireDir(resolve(options.schemaDir), 'schema folder');

  const workDir = await mkdtemp(join(tmpdir(), 'authz-perf-cerbos-'));
  try {
    const storeDir = await prepareStore(workDir, policyDir, options.schemaDir);
    for (let attempt = 1; ; attempt++) {
      const [httpPort, grpcPort] = await freePorts(2);
      const configFile = join(workDir, 'config.yaml');
      const config = cerbosConfig({ ...options, storeDir, httpPort: httpPort!, grpcPort: grpcPort! });
      await writeFile(configFile, stringify(config));
      const outcome = await launch(binary, configFile, httpPort!, workDir, options);
      if (outcome.ok) {
        return running(outcome.child, binary, httpPort!, grpcPort!, configFile, workDir, options.signal);
      }
      const failure = startupFailure(outcome.lines);
      // another process took a port between our probe and Cerbos's bind: try new ports
      if (/address already in use/.test(failure.message) && attempt < START_ATTEMPTS) continue;
      throw outcome.error ?? toError(failure, policyDir, options.schemaDir, binary.version);
    }
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** Cerbos names files relative to its store: map them back to the folders the caller gave. */
function toError(failure: ReturnType<typeof startupFailure>, policyDir: string, schemaDir: string | undefined, version: string): Error {
  const more = failure.more > 0 ? ` (and ${failure.more} more)` : '';
  if (failure.file !== undefined) {
    const schemaFile = /^_schemas[\\/](.*)$/.exec(failure.file);
    const file = schemaFile && schemaDir !== undefined ? join(resolve(schemaDir), schemaFile[1]!) : join(policyDir, failure.file);
    return new InputError(`Cerbos: ${failure.message}${more}`, {
      file,
      ...(failure.line !== undefined ? { line: failure.line } : {}),
      ...(failure.column !== undefined ? { column: failure.column } : {}),
    });
  }
  return new Error(`Cerbos ${version} did not start: ${failure.message}${more}`);
}

async function requireDir(dir: string, what: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new InputError(`${what} ${dir} does not exist or is not a folder`);
}

/** policyDir itself, or (with a schema folder) a copy of it with the schemas as `_schemas/`. */
async function prepareStore(workDir: string, policyDir: string, schemaDir: string | undefined): Promise<string> {
  if (schemaDir === undefined || resolve(schemaDir) === join(policyDir, '_schemas')) return policyDir;
  const store = join(workDir, 'store');
  await cp(policyDir, store, { recursive: true });
  await rm(join(store, '_schemas'), { recursive: true, force: true });
  await cp(resolve(schemaDir), join(store, '_schemas'), { recursive: true });
  return store;
}

type LaunchOutcome = { ok: true; child: OwnedChild } | { ok: false; lines: string[]; error?: Error };

async function launch(binary: CerbosBinary, configFile: string, httpPort: number, workDir: string, options: StartCerbosOptions): Promise<LaunchOutcome> {
  const args = ['server', `--config=${configFile}`, `--log-level=${options.logLevel ?? 'error'}`];
  const [command, commandArgs] = options.cpuList === undefined ? [binary.path, args] : ['taskset', ['-c', options.cpuList, binary.path, ...args]];
  const child = spawnOwned(command, commandArgs, {
    env: { ...process.env, CERBOS_NO_TELEMETRY: '1', ...options.env },
    scratchDir: workDir,
  });
  // the log is kept until Cerbos is healthy (start-up errors are read from it), then only passed on
  const lines: string[] = [];
  let keep = true;
  const onLine = (line: string): void => {
    if (keep) {
      lines.push(line);
      if (lines.length > 500) lines.shift();
    }
    options.onLog?.(line);
  };
  readLines(child.child.stdout!, onLine);
  readLines(child.child.stderr!, onLine);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  const healthUrl = `http://127.0.0.1:${httpPort}/_cerbos/health`;
  let exited = false;
  void child.exited.then(() => (exited = true));
  try {
    for (;;) {
      if (options.signal?.aborted) {
        child.kill();
        await child.exited;
        return { ok: false, lines, error: abortError(options.signal) };
      }
      if (exited) {
        // let the pipes deliver Cerbos's last lines
        await closed(child);
        return { ok: false, lines };
      }
      if (await healthy(healthUrl)) {
        keep = false;
        lines.length = 0;
        return { ok: true, child };
      }
      if (Date.now() > deadline) {
        child.kill();
        await child.exited;
        return { ok: false, lines, error: new Error(`Cerbos did not answer ${healthUrl} within ${options.readyTimeoutMs ?? 30_000} ms${lastLines(lines)}`) };
      }
      await delay(50);
    }
  } catch (err) {
    child.kill();
    throw err;
  }
}

function running(
  child: OwnedChild,
  binary: CerbosBinary,
  httpPort: number,
  grpcPort: number,
  configFile: string,
  workDir: string,
  signal?: AbortSignal,
): RunningCerbos {
  let stopping: Promise<void> | null = null;
  const stop = (graceMs?: number): Promise<void> => {
    stopping ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      await child.stop(graceMs);
      await rm(workDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const onAbort = (): void => void stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    version: binary.version,
    pid: child.pid,
    binary: binary.path,
    configFile,
    exited: child.exited,
    stop,
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
    await res.body.text();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** `n` distinct ports that were free on 127.0.0.1 a moment ago. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolveServer, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolveServer(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected server address');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** Resolves when both output pipes have closed (bounded: a grandchild could hold them open). */
async function closed(child: OwnedChild): Promise<void> {
  const ends = [child.child.stdout!, child.child.stderr!].map(
    (s) => new Promise<void>((r) => (s.readableEnded || s.destroyed ? r() : s.once('close', () => r()))),
  );
  await Promise.race([Promise.all(ends), delay(1000)]);
}

function lastLines(lines: string[]): string {
  const text = lines.filter((l) => l.trim()).slice(-3).join(' | ');
  return text ? `: ${text}` : '';
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
