import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { PACKAGE_ROOT } from '../../src/util/version.js';
import { runCli } from '../helpers/cli.js';
import { FUZZ_PARAMETERS, FUZZ_RUNS, assertCleanMessage, assertNoStackTrace, mutatedJsonText, withinCaseLimit } from './support.js';

const FIXTURES = ['analyze-cel-report', 'analyze-cel-v1-report', 'bench-report', 'explain-report', 'loadtest-report', 'loadtest-find-max-report'];
const seeds = FIXTURES.map((name) => JSON.parse(readFileSync(`${PACKAGE_ROOT}test/fixtures/${name}.json`, 'utf8')) as unknown);
const reportText = fc.constantFrom(...seeds).chain((seed) => mutatedJsonText(seed));
const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-fuzz-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test(`report JSON: ${FUZZ_RUNS} mutated reports re-render (exit 0) or get one clean line and exit 2 from \`authz-perf report\``, async () => {
  const file = path.join(dir, 'report.json');
  const outcomes = { rendered: 0, refused: 0 };
  // the first run imports the whole CLI (seconds on a busy host): not a case
  assert.equal((await runCli(['report', `${PACKAGE_ROOT}test/fixtures/${FIXTURES[0]}.json`])).code, 0);
  await fc.assert(
    fc.asyncProperty(reportText, fc.constantFrom('terminal', 'terminal', 'md', 'md', 'md', 'html'), async (text, format) => {
      writeFileSync(file, text);
      const run = await withinCaseLimit('authz-perf report', () => runCli(['report', file, '--format', format]));
      assertNoStackTrace(run.stdout);
      assertNoStackTrace(run.stderr);
      assert.ok(run.code === 0 || run.code === 2, `exit ${run.code}: ${run.stderr}`);
      outcomes[run.code === 0 ? 'rendered' : 'refused']++;
      if (run.code === 2) assertCleanMessage(run.stderr.trimEnd());
      else assert.ok(run.stdout.length > 0);
    }),
    FUZZ_PARAMETERS,
  );
  assert.ok(outcomes.rendered > FUZZ_RUNS / 10 && outcomes.refused > FUZZ_RUNS / 10, JSON.stringify(outcomes));
});
