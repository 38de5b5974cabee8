/**
 * `authz-perf verify [--engine cerbos] (--scenario NAME|DIR | --policies DIR) [--requests N]
 *  [--seed N] [--concurrency N] [--show N]` — do our engine and the real Cerbos PDP decide alike?
 * Exit 0 when every action agrees, 1 on any difference, 2 for bad input or no Cerbos binary.
 */
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { argsAfterCommand, runAction } from './action.js';
import { SEED_RANGE, parseInteger } from './flags.js';
import { addReportOptions, emitReport, type ReportOutputOptions } from './report-output.js';
import { reportEnvelope } from '../report/build.js';
import { collectEnvironment } from '../report/environment.js';
import type { VerifyReport } from '../report/types.js';
import { requireCerbos } from '../targets/cerbos.js';
import { verifyWithCerbos } from '../targets/verify.js';
import { verifyInputs } from '../targets/verify-requests.js';
import { UsageError } from '../util/errors.js';

interface VerifyFlags extends ReportOutputOptions {
  engine: 'cerbos';
  scenario?: string;
  lenientScopes?: boolean;
  policies?: string;
  requests?: string;
  seed?: string;
  concurrency: string;
  show: string;
}

const DEFAULT_REQUESTS = 2000;

export function register(program: Command, ctx: CliContext): void {
  const cmd = new Command('verify')
    .description('decision check: send the same requests to the reference engine and to the real Cerbos PDP, compare the effect of every action')
    .addOption(new Option('--engine <engine>', 'the engine to compare with (started from its npm package, on loopback)').choices(['cerbos']).default('cerbos'))
    .option('--scenario <name>', "bundled scenario name or folder: its policies and its seeded request stream")
    .option('--policies <dir>', 'a policy folder instead: requests come from the Cerbos test suites inside it (each principal × resource pair once)')
    .option('--requests <n>', `how many requests (default ${DEFAULT_REQUESTS}; with --policies, at most this many)`)
    .option('--seed <n>', "request stream seed (default: the scenario's)")
    .option('--concurrency <n>', 'requests in flight to Cerbos', '8')
    .option('--show <n>', 'how many differences to keep in the report, first ones first', '20')
    .option('--lenient-scopes', "lenient scope search (Cerbos's engine.lenientScopeSearch) in both engines (default: the scenario's setting)");
  addReportOptions(cmd);
  cmd.action(runAction(ctx, async (flags: VerifyFlags) => verifyAction(ctx, cmd, flags)));
  program.addCommand(cmd);
}

async function verifyAction(ctx: CliContext, cmd: Command, flags: VerifyFlags): Promise<number> {
  if (flags.scenario !== undefined && flags.policies !== undefined) throw new UsageError('--policies: use either --scenario or --policies, not both');
  if (flags.scenario === undefined && flags.policies === undefined) throw new UsageError('--scenario or --policies is required: the requests and policies to check');
  if (flags.seed !== undefined && flags.scenario === undefined) throw new UsageError('--seed applies only with --scenario (a request stream)');
  const count = flags.requests === undefined ? DEFAULT_REQUESTS : parseInteger('--requests', flags.requests, { min: 1, max: 1_000_000 });
  const seedFlag = flags.seed === undefined ? undefined : parseInteger('--seed', flags.seed, SEED_RANGE);
  const concurrency = parseInteger('--concurrency', flags.concurrency, { min: 1, max: 256 });
  const maxDifferences = parseInteger('--show', flags.show, { min: 0, max: 10_000 });

  const startedAt = new Date();
  const { options, label } = await verifyInputs(flags.scenario !== undefined ? { scenario: flags.scenario } : { policies: flags.policies! }, {
    cwd: ctx.cwd,
    count,
    ...(seedFlag !== undefined ? { seed: seedFlag } : {}),
    lenientScopes: flags.lenientScopes === true,
  });
  const binary = await requireCerbos({ env: ctx.env });
  ctx.stderr.write(`verify: reference engine vs Cerbos ${binary.version} (${binary.source}) on ${label}\n`);
  const section = await verifyWithCerbos({ ...options, binary, concurrency, maxDifferences });
  const report: VerifyReport = {
    ...reportEnvelope('verify', argsAfterCommand(cmd), startedAt, new Date(), collectEnvironment(ctx.cwd, null)),
    verify: section,
  };
  await emitReport(ctx, report, flags);
  if (!section.passed) {
    ctx.stderr.write(`authz-perf: ${section.differingActions} of ${section.actions} actions differ between the reference engine and Cerbos ${section.cerbos.version}\n`);
    return 1;
  }
  return 0;
}
