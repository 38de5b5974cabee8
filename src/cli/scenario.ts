/**
 * `authz-perf scenario init --policies DIR [--tests DIR] [--from-audit FILE] [--out DIR] [--force]`:
 * writes OUT/scenario.yaml (default ./scenario) from a Cerbos policy repository: the request mix
 * from its test suites, or from a decision log, with a comment on every value saying where it
 * came from. Exit 2 for bad input or an existing scenario.yaml without --force.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { readInputFile, runAction, writeOutputFile } from './action.js';
import { initScenario, parseDecisionLog } from '../scenario-init/index.js';
import { UsageError } from '../util/errors.js';

interface InitFlags {
  policies: string;
  tests?: string;
  fromAudit?: string;
  out: string;
  name?: string;
  force?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const scenario = new Command('scenario').description('scenario folders: write one from a policy repository (scenario init)');
  const init = new Command('init')
    .description('write a scenario.yaml from a Cerbos policy folder: principals, resources, actions and attribute values from its test suites (or --from-audit), attribute paths from what the conditions read')
    .requiredOption('--policies <dir>', 'the Cerbos policy folder (the disk store directory)')
    .option('--tests <dir>', 'Cerbos test suites (*_test.yaml) to draw the mix from (default: those in --policies, else a tests folder beside it)')
    .option('--from-audit <file>', 'a Cerbos decision log (JSON lines from the file audit backend): the mix of the logged requests instead of the test suites')
    .option('--out <dir>', 'the scenario folder to write scenario.yaml into', 'scenario')
    .option('--name <name>', 'scenario name (default: the folder above --policies)')
    .option('--force', 'overwrite an existing scenario.yaml');
  init.action(runAction(ctx, async (flags: InitFlags) => initAction(ctx, flags)));
  scenario.addCommand(init);
  program.addCommand(scenario);
}

async function initAction(ctx: CliContext, flags: InitFlags): Promise<number> {
  const outDir = path.resolve(ctx.cwd, flags.out);
  const file = path.join(outDir, 'scenario.yaml');
  if (existsSync(file) && !flags.force) throw new UsageError(`--out: ${path.relative(ctx.cwd, file) || file} exists; give --force to overwrite it`);
  const decisionLog =
    flags.fromAudit === undefined ? undefined : { log: parseDecisionLog(await readInputFile(ctx, flags.fromAudit), flags.fromAudit), file: flags.fromAudit };
  if (decisionLog && decisionLog.log.calls.length === 0) throw new UsageError(`--from-audit: ${flags.fromAudit} holds no CheckResources decisions`);
  const result = await initScenario({
    policyDir: path.resolve(ctx.cwd, flags.policies),
    outDir,
    ...(flags.tests !== undefined ? { testsDir: path.resolve(ctx.cwd, flags.tests) } : {}),
    ...(decisionLog ? { decisionLog } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
  });
  await writeOutputFile(file, result.text, '--out');
  const s = result.summary;
  ctx.stderr.write(
    `scenario init: ${path.relative(ctx.cwd, file) || file} from ${s.source}: ${s.observations} observed entries, ${s.resourceKinds} resource kinds, ${s.actions} actions\n`,
  );
  return 0;
}
