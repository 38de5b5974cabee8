/**
 * Entry point of a `serve --workers N` worker (node:cluster runs this file): `serve` with the
 * primary's options (JSON in argv[2]) until the primary disconnects it. A startup failure is
 * reported to the primary, which prints it once and exits with its code.
 */
import { runServe, type ServeOptions } from './run.js';
import { untilDisconnected, workerFailed } from '../engine/index.js';
import { reportError } from '../util/errors.js';

const lines: string[] = [];
const capture = { stderr: { write: (s: string) => (lines.push(s), true) }, debug: false };

runServe(JSON.parse(process.argv[2] ?? '{}') as ServeOptions, { untilStopped: untilDisconnected, stderr: process.stderr }).then(
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
