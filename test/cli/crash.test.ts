/**
 * An unexpected error (a bug, not bad input) exits 70 (EX_SOFTWARE), never 1 (a failed gate), with
 * one line and the --debug hint; --debug prints the stack instead. Also for errors that escape
 * main() in the bin shim.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { EXIT_SOFTWARE, reportError } from '../../src/cli/action.js';
import { UsageError } from '../../src/util/errors.js';

const BIN = fileURLToPath(new URL('../../../bin/authz-perf.js', import.meta.url));
const HINT = 'authz-perf: re-run with --debug for the stack trace\n';

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** a stdout that fails like a broken pipe would, inside the subcommand's action */
const brokenStdout = {
  write(): boolean {
    throw new Error('stdout is broken\nsecond line');
  },
};

test('a thrown non-user error in a subcommand exits 70 with one line and the --debug hint', async () => {
  assert.equal(EXIT_SOFTWARE, 70);
  const stderr = new Capture();
  const code = await main(['node', 'authz-perf', 'size', '--rps', '1000', '--no-report'], { stdout: brokenStdout, stderr, cwd: os.tmpdir(), env: { NO_COLOR: '1' } });
  assert.equal(code, 70);
  assert.equal(stderr.text, `authz-perf: unexpected error: stdout is broken\n${HINT}`);
});

test('with --debug the stack replaces the hint; the exit code stays 70', async () => {
  const stderr = new Capture();
  const code = await main(['node', 'authz-perf', '--debug', 'size', '--rps', '1000', '--no-report'], { stdout: brokenStdout, stderr, cwd: os.tmpdir(), env: { NO_COLOR: '1' } });
  assert.equal(code, 70);
  assert.match(stderr.text, /^authz-perf: unexpected error: stdout is broken\nError: stdout is broken\nsecond line\n\s+at /);
  assert.ok(!stderr.text.includes(HINT));
});

test('reportError: user errors stay 2, anything else (even a thrown string) is 70', () => {
  const ctx = { stdout: new Capture(), stderr: new Capture(), cwd: '/', env: {}, debug: false, exitCode: 0 };
  assert.equal(reportError(ctx, new UsageError('--x: bad')), 2);
  assert.equal(reportError(ctx, 'oops'), 70);
  assert.equal(reportError(ctx, new TypeError('x is undefined')), 70);
  assert.equal(ctx.stderr.text, `authz-perf: --x: bad\nauthz-perf: unexpected error: oops\n${HINT}authz-perf: unexpected error: x is undefined\n${HINT}`);
});

/** the bin shim beside a stub build, in a temp folder: bin/authz-perf.js + dist/src/cli/main.js */
function runShim(mainSource: string | null): { status: number | null; stderr: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-bin-'));
  try {
    mkdirSync(path.join(root, 'bin'));
    copyFileSync(BIN, path.join(root, 'bin', 'authz-perf.js'));
    writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
    if (mainSource !== null) {
      mkdirSync(path.join(root, 'dist', 'src', 'cli'), { recursive: true });
      writeFileSync(path.join(root, 'dist', 'src', 'cli', 'main.js'), mainSource);
    }
    const run = spawnSync(process.execPath, [path.join(root, 'bin', 'authz-perf.js')], { encoding: 'utf8', timeout: 20_000 });
    return { status: run.status, stderr: run.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('bin: the code main() resolves to is the exit code', () => {
  assert.equal(runShim('export async function main() { return 1; }\n').status, 1);
  assert.equal(runShim('export async function main() { return 0; }\n').status, 0);
});

test('bin: an error thrown after main() resolved, or a missing build, exits 70 with the hint', () => {
  const late = runShim("export async function main() { setTimeout(() => { throw new Error('late failure'); }, 1); return 0; }\n");
  assert.equal(late.status, 70);
  assert.equal(late.stderr, `authz-perf: unexpected error: late failure\n${HINT}`);

  const rejected = runShim("export async function main() { void Promise.reject(new Error('nobody waited')); return 0; }\n");
  assert.equal(rejected.status, 70);
  assert.equal(rejected.stderr, `authz-perf: unexpected error: nobody waited\n${HINT}`);

  const unbuilt = runShim(null);
  assert.equal(unbuilt.status, 70);
  assert.match(unbuilt.stderr, /^authz-perf: unexpected error: Cannot find module .*main\.js/);
  assert.ok(unbuilt.stderr.endsWith(HINT));
});
