import type { Command } from 'commander';
import type { CliContext } from './context.js';

type Registrar = (program: Command, ctx: CliContext) => void;

/**
 * Every subcommand lives in its own file and exports `register(program, ctx)`.
 * Add one entry per subcommand; help lists them in this order. Modules are imported only when
 * needed: a run of one subcommand loads that one's dependencies, not every command's (the load
 * generator's alone take half a second), so `analyze-cel` or `report` start in a fraction of that.
 */
const COMMANDS: ReadonlyArray<{ name: string; load: () => Promise<{ register: Registrar }> }> = [
  { name: 'serve', load: () => import('./serve.js') },
  { name: 'bench', load: () => import('./bench.js') },
  { name: 'loadtest', load: () => import('./loadtest.js') },
  { name: 'analyze-cel', load: () => import('./analyze-cel.js') },
  { name: 'explain', load: () => import('./explain.js') },
  { name: 'size', load: () => import('./size.js') },
  { name: 'verify', load: () => import('./verify.js') },
  { name: 'test', load: () => import('./test.js') },
  { name: 'scenario', load: () => import('./scenario.js') },
  { name: 'compare', load: () => import('./compare.js') },
  { name: 'doctor', load: () => import('./doctor.js') },
  { name: 'report', load: () => import('./report.js') },
];

/**
 * The subcommand `argv` (node, script, ...args) runs, when it names a known one: the first
 * argument that is not an option (the program's own options take no values), or the one after
 * `help`. Undefined for `--help`, `--version`, no arguments or an unknown name: those need every
 * command registered (the command list, the "unknown command" error).
 */
export function invokedCommand(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  let i = args.findIndex((a) => !a.startsWith('-'));
  if (i >= 0 && args[i] === 'help') i = args.findIndex((a, k) => k > i && !a.startsWith('-'));
  const name = i >= 0 ? args[i] : undefined;
  return COMMANDS.some((c) => c.name === name) ? name : undefined;
}

/** Registers the subcommand `argv` runs, or all of them when it runs none (help, errors). */
export async function registerCommands(program: Command, ctx: CliContext, argv: readonly string[]): Promise<void> {
  const wanted = invokedCommand(argv);
  const modules = await Promise.all(COMMANDS.filter((c) => wanted === undefined || c.name === wanted).map((c) => c.load()));
  for (const m of modules) m.register(program, ctx);
}
