/**
 * PGlite runs initdb on every start (~5 s of CPU). The data directory right after initdb is
 * kept gzipped (~5 MB) in a cache folder, keyed by the PGlite version, so later runs load it
 * in about a second. The folder is an input: the CLI picks it from the environment.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface DataDirCache {
  load(): Promise<Blob | null>;
  save(dump: Blob): Promise<void>;
}

function pgliteVersion(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `AUTHZ_PERF_CACHE_DIR` (`off` or empty disables), else `$XDG_CACHE_HOME/authz-perf`, else `~/.cache/authz-perf`. */
export function cacheDirFromEnv(env: NodeJS.ProcessEnv): string | null {
  const explicit = env.AUTHZ_PERF_CACHE_DIR;
  if (explicit !== undefined) return explicit === '' || explicit === 'off' ? null : explicit;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'authz-perf');
  const home = env.HOME ?? homedir();
  return home ? path.join(home, '.cache', 'authz-perf') : null;
}

export function fileDataDirCache(dir: string): DataDirCache {
  const file = path.join(dir, `pglite-${pgliteVersion()}-initdb.tar.gz`);
  return {
    async load() {
      try {
        // unpacked here: a broken file must fail as a rejected promise, not as a zlib stream
        // error inside PGlite (which ends the process)
        const tar = gunzipSync(await readFile(file));
        if (tar.subarray(257, 262).toString('latin1') !== 'ustar') return null;
        return new Blob([new Uint8Array(tar)], { type: 'application/x-tar' });
      } catch {
        return null;
      }
    },
    async save(dump) {
      await mkdir(dir, { recursive: true });
      // write then rename: a concurrent run never reads half a file
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, new Uint8Array(await dump.arrayBuffer()));
      await rename(tmp, file);
    },
  };
}
