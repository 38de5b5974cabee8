/**
 * No Cerbos outlives the process that started it: a small node program starts Cerbos through
 * startCerbos and prints its pid; then the program is killed with SIGKILL (no handler of ours can
 * run: the watchdog must act), ended by an unhandled SIGTERM, or exits without stopping Cerbos.
 * Skipped (one line) without a runnable Cerbos binary.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_SCENARIOS_DIR } from '../../src/scenario/index.js';
import { findCerbos } from '../../src/targets/cerbos.js';
import { isRunning, runningInGroup, waitFor } from './processes.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

/** Generous: Cerbos goes within about 0.3 s of its parent here; this only fails when it never goes. */
const BOUND_MS = 15_000;

const moduleUrl = new URL('../../src/targets/cerbos.js', import.meta.url).href;
const policyDir = join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies');

interface Parent {
  cerbosPid: number;
  /** Cerbos's configuration file, in its scratch folder */
  configFile: string;
  kill(signal: NodeJS.Signals): void;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `program` (which must print Cerbos's pid and config file on a line), resolves once they are printed. */
async function startParent(file: string): Promise<Parent> {
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const [cerbosPid, configFile] = await new Promise<[number, string]>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = /^(\d+) (.+)\n/.exec(out);
      if (m) resolve([Number(m[1]), m[2]!]);
    });
    void ended.then(({ code, signal }) => reject(new Error(`the parent program ended before printing a pid (${signal ?? code}): ${out}`)));
  });
  return { cerbosPid, configFile, kill: (s) => child.kill(s), ended };
}

describe('no Cerbos outlives its parent', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authz-perf-cerbos-orphan-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function program(name: string, afterStart: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(
      file,
      `import { startCerbos } from ${JSON.stringify(moduleUrl)};\n` +
        `const cerbos = await startCerbos({ policyDir: ${JSON.stringify(policyDir)} });\n` +
        `process.stdout.write(cerbos.pid + ' ' + cerbos.configFile + '\\n');\n` +
        afterStart,
    );
    return file;
  }

  async function assertGone(parent: Parent): Promise<void> {
    const pid = parent.cerbosPid;
    try {
      assert.ok(await waitFor(() => !isRunning(pid), BOUND_MS), `Cerbos (pid ${pid}) still runs ${BOUND_MS} ms after its parent ended`);
      assert.ok(await waitFor(() => runningInGroup(pid).length === 0, BOUND_MS), `its process group still runs: ${runningInGroup(pid).join(', ')}`);
      const scratch = dirname(parent.configFile);
      assert.ok(await waitFor(() => !existsSync(scratch), BOUND_MS), `its scratch folder ${scratch} is still there`);
    } finally {
      // never leave one behind, even when the assertion failed
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  test('parent killed with SIGKILL: the watchdog stops Cerbos', async () => {
    const parent = await startParent(await program('sigkill.mjs', 'setInterval(() => {}, 1000);\n'));
    assert.ok(isRunning(parent.cerbosPid));
    parent.kill('SIGKILL');
    assert.equal((await parent.ended).signal, 'SIGKILL');
    await assertGone(parent);
  });

  test('parent ended by a SIGTERM it does not handle: Cerbos is killed and the parent still ends by SIGTERM', async () => {
    const parent = await startParent(await program('sigterm.mjs', 'setInterval(() => {}, 1000);\n'));
    parent.kill('SIGTERM');
    assert.equal((await parent.ended).signal, 'SIGTERM');
    await assertGone(parent);
  });

  test('parent exits without stopping Cerbos: the exit hook kills it', async () => {
    const parent = await startParent(await program('exit.mjs', 'setTimeout(() => process.exit(3), 50);\n'));
    assert.equal((await parent.ended).code, 3);
    await assertGone(parent);
  });
});
