import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { register as registerServe } from './serve.js';
import { register as registerBench } from './bench.js';
import { register as registerLoadtest } from './loadtest.js';
import { register as registerSize } from './size.js';
import { register as registerExplain } from './explain.js';
import { register as registerReport } from './report.js';
import { register as registerAnalyzeCel } from './analyze-cel.js';

/**
 * Every subcommand lives in its own file and exports `register(program, ctx)`.
 * Add one import and one entry per subcommand; help lists them in this order.
 */
const registrars: Array<(program: Command, ctx: CliContext) => void> = [
  registerServe,
  registerBench,
  registerLoadtest,
  registerAnalyzeCel,
  registerExplain,
  registerSize,
  registerReport,
];

export function registerCommands(program: Command, ctx: CliContext): void {
  for (const register of registrars) register(program, ctx);
}
