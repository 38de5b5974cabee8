#!/usr/bin/env node
// Thin shim: the CLI is written in TypeScript and built into dist/ by `npm install` (prepare).
// main() resolves to the exit code and reports its own errors; anything that still escapes (a
// missing build, an error thrown from a timer or an unhandled rejection after main) is a crash:
// one line, the --debug hint, exit 70 (EX_SOFTWARE), never 1, which means a failed gate.
const EXIT_SOFTWARE = 70;

function crash(err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`authz-perf: unexpected error: ${message.split('\n')[0]}\n`);
  if (process.argv.includes('--debug') && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('authz-perf: re-run with --debug for the stack trace\n');
  process.exit(EXIT_SOFTWARE);
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

try {
  const { main } = await import('../dist/src/cli/main.js');
  process.exitCode = await main(process.argv);
} catch (err) {
  crash(err);
}
