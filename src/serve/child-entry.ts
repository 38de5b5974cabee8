/**
 * Entry point of a serve child process (load/serve-child.ts starts it): `serve` with the options in
 * argv[2] (JSON) until SIGINT/SIGTERM. It loads only the serve room, not the whole CLI, which takes
 * seconds to import on a busy host. argv[3] is `debug` for stack traces.
 */
import { runServe, type ServeOptions } from './run.js';
import { reportError } from '../util/errors.js';
import { untilSignal } from '../util/until-signal.js';

const out = { stderr: process.stderr, debug: process.argv[3] === 'debug' };
runServe(JSON.parse(process.argv[2] ?? '{}') as ServeOptions, { untilStopped: untilSignal, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(out, err);
  },
);
