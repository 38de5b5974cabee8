/** Finding the Cerbos binary: CERBOS_BINARY first, a probe that must print a version, a clear reason otherwise. */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CerbosNotFoundError, findCerbos, installHint, requireCerbos } from '../../src/targets/cerbos.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authz-perf-cerbos-binary-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

test('CERBOS_BINARY wins, and the version comes from its --version output', async () => {
  const fake = await script('fake-cerbos', 'echo "0.99.1"; echo "Build timestamp: x"');
  const lookup = await findCerbos({ env: { CERBOS_BINARY: fake, PATH: '' } });
  assert.deepEqual(lookup, { found: true, binary: { path: fake, version: '0.99.1', source: 'CERBOS_BINARY' } });
});

test('a CERBOS_BINARY that cannot run is reported, not skipped over', async () => {
  const missing = join(dir, 'nope');
  const lookup = await findCerbos({ env: { CERBOS_BINARY: missing } });
  assert.deepEqual(lookup, { found: false, reason: `CERBOS_BINARY=${missing} cannot run: no such file (point it at a cerbos binary, or unset it to use @cerbos/cerbos-${process.platform}-${process.arch} from npm)` });

  const silent = await script('silent', 'echo hello');
  const noVersion = await findCerbos({ env: { CERBOS_BINARY: silent } });
  assert.equal(noVersion.found, false);
  assert.match(!noVersion.found ? noVersion.reason : '', /--version printed no version \(hello\)/);

  const notExecutable = join(dir, 'plain');
  await writeFile(notExecutable, 'x');
  const denied = await findCerbos({ env: { CERBOS_BINARY: notExecutable } });
  assert.match(!denied.found ? denied.reason : '', /not executable/);

  await assert.rejects(requireCerbos({ env: { CERBOS_BINARY: missing } }), (e: unknown) => e instanceof CerbosNotFoundError && e.message.includes(missing));
});

test('on a platform with no package and nothing on PATH, the reason says how to install it', async () => {
  const lookup = await findCerbos({ env: { PATH: dir }, platform: 'plan9', arch: 'mips' });
  assert.deepEqual(lookup, { found: false, reason: `no runnable Cerbos binary found: ${installHint('plan9', 'mips')}` });
  assert.match(installHint('linux', 'x64'), /npm install @cerbos\/cerbos-linux-x64/);
});

test('a `cerbos` on PATH is found when no package provides one', async () => {
  const onPath = await script('cerbos', 'echo "v0.50.2"');
  const lookup = await findCerbos({ env: { PATH: `/nonexistent:${dir}` }, platform: 'plan9', arch: 'mips' });
  assert.deepEqual(lookup, { found: true, binary: { path: onPath, version: '0.50.2', source: 'PATH' } });
});

test('on x64 Linux, npm ci brings Cerbos 0.55.0 through the optional platform package', { skip: process.platform !== 'linux' || process.arch !== 'x64' ? 'the optional package is for x64 Linux' : false }, async () => {
  const lookup = await findCerbos({ env: { PATH: '' } });
  assert.ok(lookup.found, !lookup.found ? lookup.reason : '');
  assert.equal(lookup.binary.source, 'platform package');
  assert.equal(lookup.binary.version, '0.55.0');
  assert.match(lookup.binary.path, /node_modules\/@cerbos\/cerbos-linux-x64\/cerbos-linux-x64$/);
});
