import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { cacheDirFromEnv, fileDataDirCache } from '../../src/query/pglite-cache.js';

test('cache folder: AUTHZ_PERF_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache; "off" disables', () => {
  assert.equal(cacheDirFromEnv({ AUTHZ_PERF_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/c');
  assert.equal(cacheDirFromEnv({ AUTHZ_PERF_CACHE_DIR: 'off', HOME: '/h' }), null);
  assert.equal(cacheDirFromEnv({ AUTHZ_PERF_CACHE_DIR: '', HOME: '/h' }), null);
  assert.equal(cacheDirFromEnv({ XDG_CACHE_HOME: '/x', HOME: '/h' }), path.join('/x', 'authz-perf'));
  assert.equal(cacheDirFromEnv({ HOME: '/h' }), path.join('/h', '.cache', 'authz-perf'));
});

test('a missing, garbled or truncated entry loads as null (PGlite then runs initdb); a saved one round-trips', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ap-cache-'));
  const cache = fileDataDirCache(dir);
  assert.equal(await cache.load(), null);
  const tar = Buffer.alloc(1024);
  tar.write('base/PG_VERSION', 0);
  tar.write('ustar', 257, 'latin1');
  const gz = gzipSync(tar);
  await cache.save(new Blob([new Uint8Array(gz)]));
  const files = readdirSync(dir);
  assert.equal(files.length, 1, 'no temporary file left');
  assert.match(files[0]!, /^pglite-[\w.-]+-initdb\.tar\.gz$/);
  const loaded = await cache.load();
  assert.deepEqual(Buffer.from(await loaded!.arrayBuffer()), tar);
  for (const bad of [Buffer.from('garbage'), gz.subarray(0, gz.length - 8), gzipSync(Buffer.alloc(1024))]) {
    writeFileSync(path.join(dir, files[0]!), bad);
    assert.equal(await cache.load(), null);
  }
});
