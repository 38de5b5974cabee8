/**
 * `authz-perf test [DIR] [--tests DIR] [--verbose] [--json] [--junit FILE]` — run a repository's
 * Cerbos policy test suites on the reference engine, printed as `cerbos compile` does.
 * Exit 0 when every check passes, 1 on a failure, 2 for an invalid suite or policy.
 */
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { runAction, writeOutputFile } from './action.js';
import { renderTree, resolveTestTarget, runPolicyTests, toJsonResults, toJunit, type TestFailure } from '../policytest/index.js';
import { canonicalJson } from '../policytest/run.js';

interface TestFlags {
  tests?: string;
  verbose?: boolean;
  json?: boolean;
  junit?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('test')
    .description("run the Cerbos policy test suites (*_test.yaml|json) of a policy folder or scenario on the reference engine")
    .argument('[dir]', 'policy folder (suites inside it), scenario folder or bundled scenario name', '.')
    .option('--tests <dir>', 'look for the suites here instead (default: the policy folder, or the scenario\'s tests)')
    .option('--verbose', 'list every check, not only the failed ones')
    .option('--json', 'print the results as JSON (the shape of cerbos compile -o json)')
    .option('--junit <file>', 'also write JUnit XML for CI');
  cmd.action(runAction(ctx, async (dir: string, flags: TestFlags) => testAction(ctx, dir, flags)));
  program.addCommand(cmd);
}

async function testAction(ctx: CliContext, dir: string, flags: TestFlags): Promise<number> {
  const target = await resolveTestTarget(dir, ctx.cwd, flags.tests);
  const results = await runPolicyTests(target);
  if (flags.json) ctx.stdout.write(JSON.stringify(toJsonResults(results, target.baseDir), null, 2) + '\n');
  else ctx.stdout.write(renderTree(results, { verbose: Boolean(flags.verbose), baseDir: target.baseDir }));
  if (flags.junit !== undefined) await writeOutputFile(path.resolve(ctx.cwd, flags.junit), toJunit(results, target.baseDir), '--junit');
  if (results.suites.length === 0) ctx.stderr.write(`authz-perf test: no test suites (*_test.yaml|yml|json) under ${path.relative(ctx.cwd, target.testsDir) || '.'}\n`);
  if (results.failures.length === 0) return 0;
  const shown = results.failures.slice(0, 20);
  for (const f of shown) ctx.stderr.write(`authz-perf test: FAILED ${describeFailure(f, target.baseDir)}\n`);
  if (results.failures.length > shown.length) ctx.stderr.write(`authz-perf test: ... and ${results.failures.length - shown.length} more failed checks\n`);
  return 1;
}

function describeFailure(f: TestFailure, baseDir: string): string {
  const where = `${path.relative(baseDir, f.file)}: suite "${f.suite}", test "${f.test}", principal ${f.principal}, resource ${f.resource}, action ${f.action}`;
  if (f.expected !== f.actual) return `${where}: expected ${f.expected}, got ${f.actual}`;
  const outputs = (f.outputMismatches ?? []).map((m) => `${m.src} expected ${canonicalJson(m.expected)}, got ${'actual' in m ? canonicalJson(m.actual) : 'nothing'}`);
  return `${where}: output ${outputs.join('; ')}`;
}
