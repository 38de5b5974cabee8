import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCelCommand } from '../../src/cli/analyze-cel.js';
import type { CliContext } from '../../src/cli/context.js';
import type { CelAnalysisReport } from '../../src/report/types.js';
import { ROW } from '../../src/cel/types.js';
import { policyTreeFiles } from '../../src/engine/index.js';
import { generateCelRepository, writeCelRepository } from '../helpers/cel-repository.js';

async function analyse(root: string, inputs: string[]): Promise<{ code: number; report: CelAnalysisReport; stderr: string }> {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    cwd: root,
    env: { NO_COLOR: '1' },
    debug: false,
    exitCode: 0,
  };
  const code = await analyzeCelCommand(ctx, inputs, { expr: [], sizeHint: [], json: true, report: false }, { readStdin: async () => '' });
  return { code, report: JSON.parse(out) as CelAnalysisReport, stderr: err };
}

test('a Cerbos-style repository: every CEL expression of every policy kind, output and document is reported with its file and line', async () => {
  const repository = generateCelRepository(21, 12, 3);
  const root = mkdtempSync(path.join(tmpdir(), 'authz-perf-cel-repo-'));
  try {
    writeCelRepository(root, repository);
    const { code, report, stderr } = await analyse(root, ['.']);
    assert.equal(code, 0, stderr);
    const { origins, rows } = report.celAnalysis.index;
    const reported = rows.map((r) => `${origins[r[ROW.origin]]!.file}:${r[ROW.line]}`).sort();
    const written = repository.expressions.map((e) => `${e.file}:${e.line}`).sort();
    assert.equal(reported.length, written.length);
    assert.deepEqual(reported, written);
    // every kind of expression is among them, and the files the loader skips are not
    const roles = new Set(origins.map((o) => (o.kind === 'policy' ? o.role : o.kind)));
    for (const role of ['condition', 'variable', 'derivedRole', 'output']) assert.ok(roles.has(role as never), `no ${role} reported`);
    assert.ok(!reported.some((r) => /testdata|\.hidden|_test\.yaml|_schemas/.test(r)), 'a skipped file was analysed');
    // the same files the engine's loader reads
    const engineFiles = (await policyTreeFiles(root)).map((f) => path.relative(root, f)).sort();
    assert.deepEqual([...new Set(origins.map((o) => o.file))].sort(), engineFiles);
    // the worst expressions listed in full carry the text written at that line
    const byPlace = new Map(repository.expressions.map((e) => [`${e.file}:${e.line}`, e.text]));
    for (const e of report.celAnalysis.expressions) assert.equal(byPlace.get(`${e.origin.file}:${e.span.line}`), e.expression);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
