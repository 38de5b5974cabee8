import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveCommand, type ServeFlags } from '../../src/cli/serve.js';
import { captureContext, runCli } from '../helpers/cli.js';
import { startServeChild } from '../helpers/serve-child.js';

const context = captureContext;

const flags = (over: Partial<ServeFlags>): ServeFlags => ({ port: '0', host: '127.0.0.1', cache: true, ...over });

test('serve starts, prints the listening line, answers, and stops cleanly', async () => {
  const ctx = context();
  let answered: unknown;
  const code = await serveCommand(ctx, flags({ scenario: 'rbac-simple' }), {
    async untilStopped(server) {
      const res = await fetch(`${server.url}/api/check/resources`, {
        method: 'POST',
        body: JSON.stringify({ principal: { id: 'a', roles: ['viewer'] }, resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view', 'edit'] }] }),
      });
      answered = ((await res.json()) as { results: Array<{ actions: unknown }> }).results[0]!.actions;
    },
  });
  assert.equal(code, 0);
  assert.match(ctx.err.join(''), /^authz-perf serve: policy tests: 1 suite, 65 tests: 65 OK, 0 failed, 0 skipped\nauthz-perf serve listening on http:\/\/127\.0\.0\.1:\d+ \(scenario rbac-simple, 2 policies\)\n$/);
  assert.deepEqual(answered, { view: 'EFFECT_ALLOW', edit: 'EFFECT_DENY' });
});

test('serve evaluates principal and scoped policies, and notes a multi-document file Cerbos would refuse', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-repo-'));
  try {
    const resource = (scope: string, role: string): string =>
      `resourcePolicy:\n  resource: doc\n  version: default\n${scope}  rules:\n    - actions: [view]\n      effect: EFFECT_ALLOW\n      roles: [${role}]\n`;
    writeFileSync(path.join(dir, 'doc.yaml'), resource('', 'user'));
    writeFileSync(path.join(dir, 'doc-acme.yaml'), `${resource('  scope: acme\n', 'guest')}---\n${resource('  scope: acme.hr\n', 'intern')}`);
    writeFileSync(
      path.join(dir, 'alice.yaml'),
      'principalPolicy:\n  principal: alice\n  version: default\n  rules:\n    - resource: doc\n      actions:\n        - action: "*"\n          effect: EFFECT_DENY\n',
    );
    const ctx = context();
    const answered: unknown[] = [];
    const code = await serveCommand(ctx, flags({ policies: dir }), {
      async untilStopped(server) {
        const ask = async (id: string, roles: string[], scope?: string): Promise<void> => {
          const res = await fetch(`${server.url}/api/check/resources`, {
            method: 'POST',
            body: JSON.stringify({ principal: { id, roles }, resources: [{ resource: { kind: 'doc', id: 'd', scope }, actions: ['view'] }] }),
          });
          answered.push(((await res.json()) as { results: Array<{ actions: unknown }> }).results[0]!.actions);
        };
        await ask('alice', ['user']);
        await ask('bob', ['user']);
        await ask('bob', ['guest'], 'acme.hr');
        await ask('bob', ['guest']);
      },
    });
    assert.equal(code, 0);
    const lines = ctx.err.join('').trimEnd().split('\n');
    assert.match(lines[0]!, /listening on .*, 4 policies\)$/);
    assert.deepEqual(lines.slice(1), [
      `authz-perf serve: note: ${path.join(dir, 'doc-acme.yaml')}: 2 YAML documents in one file; Cerbos's disk store refuses such a file ("more than one YAML document detected")`,
    ]);
    // alice's principal policy denies; the acme scope allows guests below it; the root does not
    assert.deepEqual(answered, [{ view: 'EFFECT_DENY' }, { view: 'EFFECT_ALLOW' }, { view: 'EFFECT_ALLOW' }, { view: 'EFFECT_DENY' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad flags are usage errors naming the flag (exit 2)', async () => {
  for (const [args, pattern] of [
    [['--port', '70000'], /^authz-perf: --port: expected an integer between 0 and 65535, got "70000"\n$/],
    [['--port', '+80'], /^authz-perf: --port: expected an integer between 0 and 65535, got "\+80"\n$/],
    [['--body-limit', '1e3'], /^authz-perf: --body-limit: expected a byte size between 1 and 536870888 \(e\.g\. 1048576, 512KiB, 1MiB\), got "1e3"\n$/],
    [['--cache-size', '0'], /^authz-perf: --cache-size: expected an integer between 1 and 1000000, got "0"\n$/],
    [['--cache-ttl', 'soon'], /^authz-perf: --cache-ttl: "soon" is not a duration/],
    [['--no-cache', '--cache-size', '10'], /^authz-perf: --cache-size: cannot be combined with --no-cache/],
    [['--scenario', 'nope'], /^authz-perf: --scenario: unknown scenario 'nope' \(accepted: abac-cel, heavy-cel, multi-tenant, outputs-schemas, rbac-simple/],
    [['--scenario', 'abac-cel', '--policies', 'x'], /^authz-perf: --policies: use either/],
  ] as Array<[string[], RegExp]>) {
    const run = await runCli(['serve', ...args]);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, pattern);
  }
});

test('policy load errors exit 2 with file:line:column and no stack', async () => {
  const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
  for (const [dir, pattern] of [
    ['engine-broken-cel', /^authz-perf: \S*engine-broken-cel\/doc\.yaml:10:\d+: CEL syntax error: .+\n$/],
    ['engine-unknown-function', /^authz-perf: \S*engine-unknown-function\/doc\.yaml:13:\d+: CEL error: .*containsAny.*\n$/],
    ['engine-bad-yaml', /^authz-perf: \S*engine-bad-yaml\/doc\.yaml:\d+:\d+: invalid YAML: .+\n$/],
  ] as Array<[string, RegExp]>) {
    const run = await runCli(['serve', '--port', '0', '--policies', fixtures + dir]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, pattern);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }
});

test('serve is listed first in --help', async () => {
  const run = await runCli(['--help']);
  const commands = run.stdout.split('Commands:')[1] ?? '';
  assert.match(commands.trim(), /^serve \[options\]\s+run the reference engine/);
});

// spawns serve.js alone (not the whole CLI) so the test does not pay for every command's imports
test('the real process stops with exit 0 on SIGTERM', { timeout: 20_000 }, async () => {
  const serveJs = fileURLToPath(new URL('../../src/cli/serve.js', import.meta.url));
  const script = `
    import { serveCommand, untilSignal } from ${JSON.stringify(serveJs)};
    const ctx = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, debug: false, exitCode: 0 };
    const flags = { port: '0', host: '127.0.0.1', cache: true, scenario: 'abac-cel' };
    serveCommand(ctx, flags, { untilStopped: untilSignal }).then((c) => { process.exitCode = c; });`;
  const child = await startServeChild(['--input-type=module', '-e', script]);
  assert.match(child.stderr(), /\(scenario abac-cel, 2 policies\)/);
  assert.equal((await fetch(`${child.url}/health`)).status, 200);
  assert.equal(await child.stop(), 0);
});
