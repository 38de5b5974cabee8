/**
 * Every bundled scenario is a valid Cerbos repository: the real `cerbos compile` accepts its
 * policies and passes its test suites. The binary comes from CERBOS_BIN or the npm platform
 * package (@cerbos/cerbos-<platform>-<arch>); without either the test skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { listScenarios, loadScenario } from '../../src/scenario/index.js';

function cerbosBinary(): string | null {
  const fromEnv = process.env['CERBOS_BIN'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  const name = `cerbos-${process.platform}-${process.arch}`;
  try {
    const pkg = createRequire(import.meta.url).resolve(`@cerbos/${name}/package.json`);
    const bin = join(dirname(pkg), name);
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function compile(bin: string, policyDir: string, testsDir: string | null): Promise<{ code: number; output: string }> {
  const args = ['compile', '--no-color', '-o', 'list', ...(testsDir ? [`--tests=${testsDir}`] : ['--skip-tests']), policyDir];
  return new Promise((resolve) => {
    // bounded: execFile kills the child when the timeout passes
    execFile(bin, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

const bin = cerbosBinary();

if (bin === null) {
  test('cerbos compile: bundled scenarios', { skip: 'no Cerbos binary (set CERBOS_BIN or install @cerbos/cerbos-<platform>-<arch>)' }, () => {});
} else {
  for (const { name } of await listScenarios()) {
    test(`cerbos compile: bundled scenario ${name} compiles and its test suites pass`, async () => {
      const scenario = await loadScenario(name);
      const { code, output } = await compile(bin, scenario.policyDir, scenario.testsDir);
      assert.equal(code, 0, output.split('\n').slice(-40).join('\n'));
      if (scenario.testsDir) assert.match(output, /(\d+) tests executed \[\1 OK\]/, output.split('\n').slice(-10).join('\n'));
    });
  }
}
