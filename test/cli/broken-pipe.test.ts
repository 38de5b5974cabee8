/**
 * A reader that exits before reading everything (`authz-perf size --rps 100 | head -0`) closes
 * the pipe: the CLI's next write fails with EPIPE. The CLI drops the rest of that output quietly
 * and finishes the command (reports written, its own exit code), instead of "unexpected error:
 * write EPIPE" and exit 70.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ignoreBrokenPipe } from '../../src/cli/main.js';

const BIN = fileURLToPath(new URL('../../../bin/authz-perf.js', import.meta.url));
/** the build this test file belongs to (dist/ or any --outDir) */
const BUILT_SRC = fileURLToPath(new URL('../../src', import.meta.url));

function epipe(): NodeJS.ErrnoException {
  return Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
}

test('ignoreBrokenPipe: EPIPE is dropped quietly; any other stream error still throws', () => {
  const stream = new EventEmitter();
  ignoreBrokenPipe(stream);
  ignoreBrokenPipe(stream); // once per stream
  assert.equal(stream.listenerCount('error'), 1);
  assert.doesNotThrow(() => stream.emit('error', epipe()));
  const eio = Object.assign(new Error('write EIO'), { code: 'EIO' });
  assert.throws(() => stream.emit('error', eio), /write EIO/);
});

/** Runs the real bin shim over this build, with its stdout's reader closed at once. */
async function runWithClosedStdout(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; reports: string[] }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-epipe-'));
  try {
    mkdirSync(path.join(root, 'bin'));
    mkdirSync(path.join(root, 'dist'));
    copyFileSync(BIN, path.join(root, 'bin', 'authz-perf.js'));
    writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
    symlinkSync(BUILT_SRC, path.join(root, 'dist', 'src'), 'dir');
    const child = spawn(process.execPath, [path.join(root, 'bin', 'authz-perf.js'), ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // the reader goes away before the CLI has written anything (it is still loading)
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c, s) => resolve([c, s]));
      });
      const reportsDir = path.join(root, 'reports');
      return { code, signal, stderr, reports: existsSync(reportsDir) ? readdirSync(reportsDir) : [] };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('bin: a closed stdout does not stop the command: no error, its own exit code, its reports written', async () => {
  for (const args of [['size', '--rps', '100', '--no-report'], ['size', '--rps', '100', '--no-report', '--json']]) {
    const run = await runWithClosedStdout(args);
    assert.equal(run.signal, null, `${args.join(' ')}: killed (${run.signal})`);
    assert.equal(run.stderr, '', args.join(' '));
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.deepEqual(run.reports, [], 'no reports with --no-report');
  }
  // the command runs to its end: the report files are written, and a usage error is still exit 2
  const saved = await runWithClosedStdout(['size', '--rps', '100']);
  assert.equal(saved.code, 0, saved.stderr);
  assert.deepEqual(saved.reports.map((f) => path.extname(f)).sort(), ['.html', '.json', '.md']);
  const bad = await runWithClosedStdout(['size', '--rps', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rps/);
});
