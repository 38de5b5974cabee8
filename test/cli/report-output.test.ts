import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliContext } from '../../src/cli/context.js';
import { emitReport } from '../../src/cli/report-output.js';
import { reportBaseName } from '../../src/report/file-name.js';
import { loadReport } from '../../src/report/load.js';
import type { Report } from '../../src/report/types.js';
import { UsageError } from '../../src/util/errors.js';
import { runCli } from '../helpers/cli.js';

class Capture {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

function context(cwd: string, tty = false, env: NodeJS.ProcessEnv = {}): CliContext & { stdout: Capture; stderr: Capture } {
  return { stdout: new Capture(tty), stderr: new Capture(tty), cwd, env, debug: false, exitCode: 0 };
}

async function sizeReport(): Promise<Report> {
  const run = await runCli(['size', '--rps', '20k', '--json', '--no-report']);
  assert.equal(run.code, 0, run.stderr);
  return loadReport(run.stdout, 'size.json');
}

test('reportBaseName is the command and the UTC start time', async () => {
  const report = await sizeReport();
  assert.equal(reportBaseName({ ...report, startedAt: '2026-11-23T09:30:00.123Z' }), 'size-20261123T093000Z');
});

test('emitReport writes .json, .md and .html and prints the terminal rendering', async () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-emit-'));
  const report = await sizeReport();
  const ctx = context(cwd);
  const written = await emitReport(ctx, report, { out: 'out' });
  const base = path.join(cwd, 'out', reportBaseName(report));
  assert.deepEqual(written, [`${base}.json`, `${base}.md`, `${base}.html`]);
  assert.deepEqual(loadReport(readFileSync(`${base}.json`, 'utf8'), 'x'), report);
  assert.match(readFileSync(`${base}.md`, 'utf8'), /^## authz-perf size/);
  assert.match(readFileSync(`${base}.html`, 'utf8'), /^<!doctype html>/);
  assert.match(ctx.stdout.text, /^authz-perf size · Capacity sizing/);
  assert.doesNotMatch(ctx.stdout.text, /\u001b\[/);
  assert.match(ctx.stderr.text, /^report: out\/size-\d{8}T\d{6}Z\.json \(\+ \.md, \.html\)\n$/);

  // a second run in the same second does not overwrite the first
  const again = await emitReport(context(cwd), report, { out: 'out' });
  assert.equal(again[0], `${base}-2.json`);
  assert.equal(readdirSync(path.join(cwd, 'out')).length, 6);
  // each HTML page names the JSON saved beside it (download and re-render hints)
  const name = path.basename(base);
  assert.match(readFileSync(`${base}.html`, 'utf8'), new RegExp(`authz-perf report ${name}\\.json<`));
  const secondHtml = readFileSync(`${base}-2.html`, 'utf8');
  assert.match(secondHtml, new RegExp(`data-filename="${name}-2\\.json"`));
  assert.match(secondHtml, new RegExp(`authz-perf report ${name}-2\\.json<`));
});

test('--json prints the JSON object alone on stdout; --no-report writes nothing', async () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-emit-'));
  const report = await sizeReport();
  const ctx = context(cwd, true);
  const written = await emitReport(ctx, report, { json: true, report: false });
  assert.deepEqual(written, []);
  assert.deepEqual(readdirSync(cwd), []);
  assert.deepEqual(JSON.parse(ctx.stdout.text), report);
  assert.equal(ctx.stderr.text, '');
});

test('colour only on a TTY without NO_COLOR', async () => {
  const report = await sizeReport();
  const tty = context(os.tmpdir(), true);
  await emitReport(tty, report, { report: false });
  assert.match(tty.stdout.text, /\u001b\[/);
  const noColor = context(os.tmpdir(), true, { NO_COLOR: '1' });
  await emitReport(noColor, report, { report: false });
  assert.doesNotMatch(noColor.stdout.text, /\u001b\[/);
});

test('an --out path that is a file is a usage error', async () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'authz-perf-emit-'));
  writeFileSync(path.join(cwd, 'taken'), 'x');
  await assert.rejects(emitReport(context(cwd), await sizeReport(), { out: 'taken' }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /^--out taken: cannot create the report folder \(EEXIST\)/);
    return true;
  });
});
