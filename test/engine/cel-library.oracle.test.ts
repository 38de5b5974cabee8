/**
 * The same expressions as cel-library.test.ts, sent to the real `cerbos repl` (one process, each
 * expression followed by a marker line). Runs where a Cerbos binary is found: $CERBOS_BIN, or the
 * npm platform package @cerbos/cerbos-linux-x64; skips with one line otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CASES } from './cel-library-cases.js';

function cerbosBinary(): string | undefined {
  const fromEnv = process.env.CERBOS_BIN;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  try {
    const pkg = createRequire(import.meta.url).resolve('@cerbos/cerbos-linux-x64/package.json');
    const bin = pkg.replace(/package\.json$/, 'cerbos-linux-x64');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

const MARK = '"@@case-end@@"';

/** The REPL's answer to each expression, in order (ANSI codes stripped). */
async function replAnswers(bin: string, exprs: string[]): Promise<string[]> {
  const child = spawn(bin, ['repl'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stdin.end(exprs.map((e) => `${e}\n${MARK}\n`).join('') + ':q\n');
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  clearTimeout(timer);
  // eslint-disable-next-line no-control-regex
  const clean = out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const body = clean.slice(clean.indexOf('Type :help'));
  return body.split(`_ = ${MARK}`).slice(0, exprs.length).map((chunk) => chunk.split('\n').slice(1).join(' ').trim());
}

const bin = cerbosBinary();

test('cerbos repl agrees with the documented library cases', { skip: bin ? false : 'Cerbos binary not found (set CERBOS_BIN or install @cerbos/cerbos-linux-x64)' }, async () => {
  const holds = CASES.flatMap((c) => c.holds);
  const fails = CASES.flatMap((c) => c.fails);
  const answers = await replAnswers(bin!, [...holds, ...fails]);
  const wrong: string[] = [];
  holds.forEach((e, i) => {
    if (!/_ = true\b/.test(answers[i] ?? '')) wrong.push(`${e}  =>  ${answers[i]}`);
  });
  fails.forEach((e, i) => {
    if (!/error/i.test(answers[holds.length + i] ?? '')) wrong.push(`(should fail) ${e}  =>  ${answers[holds.length + i]}`);
  });
  assert.deepEqual(wrong, []);
});
