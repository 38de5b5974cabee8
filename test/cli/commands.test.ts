import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invokedCommand } from '../../src/cli/commands.js';
import { runCli } from '../helpers/cli.js';

const argv = (...args: string[]): string[] => ['node', 'authz-perf', ...args];

test('invokedCommand: the subcommand a run needs loaded, or none (then all are registered)', () => {
  assert.equal(invokedCommand(argv('analyze-cel', '--expr', 'a')), 'analyze-cel');
  assert.equal(invokedCommand(argv('--debug', 'report', 'x.json')), 'report');
  assert.equal(invokedCommand(argv('help', 'loadtest')), 'loadtest');
  assert.equal(invokedCommand(argv('help', '--debug', 'size')), 'size');
  for (const none of [argv(), argv('--help'), argv('-V'), argv('help'), argv('analyse-cel'), argv('--debug')]) {
    assert.equal(invokedCommand(none), undefined, none.join(' '));
  }
});

test('one subcommand loaded, the CLI behaves as with all: its help, its errors; an unknown name still lists the commands', async () => {
  const help = await runCli(['help', 'size']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: authz-perf size \[options\]/);
  const bad = await runCli(['analyze-cel', '--budget', 'x', '--expr', 'a']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--budget: expected an integer/);
  const typo = await runCli(['analyse-cel']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'analyse-cel'/);
  assert.match(typo.stderr, /Did you mean analyze-cel\?/);
  const all = await runCli(['--help']);
  assert.deepEqual([...all.stdout.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1]), ['serve', 'bench', 'loadtest', 'analyze-cel', 'explain', 'size', 'verify', 'test', 'scenario', 'compare', 'doctor', 'report', 'help']);
});
