/**
 * Entry point of a `serve --workers N` worker (node:cluster runs this file): `serve` with the
 * primary's flags (JSON in argv[2]) until the primary disconnects it. A startup failure is reported
 * to the primary, which prints it once and exits with its code.
 */
import { serveCommand } from './serve.js';
import { reportError } from './action.js';
import type { CliContext } from './context.js';
import { untilDisconnected, workerFailed } from '../engine/workers.js';

const lines: string[] = [];
const ctx: CliContext = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, debug: false, exitCode: 0 };
const capture: CliContext = { ...ctx, stderr: { write: (s: string) => (lines.push(s), true) } };

serveCommand(ctx, JSON.parse(process.argv[2] ?? '{}'), { untilStopped: untilDisconnected }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = reportError(capture, err);
    workerFailed((lines[0] ?? 'worker failed').replace(/^authz-perf: /, '').trim(), code);
    process.exitCode = code;
    process.disconnect?.();
  },
);
