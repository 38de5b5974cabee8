/**
 * serve --watch under load: while ≥ 200 requests/s run against it (loopback, bounded), an edited
 * policy is rebuilt and swapped in — no request fails, the new decision holds within 2 s and never
 * flips back — and a broken edit keeps the previous policies serving, prints file:line:column and
 * is counted in /metrics with the successful reloads.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { serveCommand } from '../../src/cli/serve.js';
import { BUNDLED_SCENARIOS_DIR } from '../../src/scenario/index.js';
import { captureContext } from '../helpers/cli.js';

const RATE = 300;
const DURATION_MS = 5000;

function counter(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

test('serve --watch: an edit under load is swapped in without a failed request; a broken edit keeps the old policies', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'authz-perf-watch-'));
  try {
    await cp(join(BUNDLED_SCENARIOS_DIR, 'rbac-simple', 'policies'), dir, { recursive: true });
    const file = join(dir, 'document.yaml');
    const original = await readFile(file, 'utf8');
    const edited = original.replace('actions: ["view:summary"]', 'actions: ["view:summary", edit]');
    assert.notEqual(edited, original, 'the rule to edit is in the bundled policy');
    const ctx = captureContext();
    const body = JSON.stringify({ principal: { id: 'g', roles: ['guest'] }, resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view:summary', 'edit'] }] });
    const code = await serveCommand(ctx, { port: '0', host: '127.0.0.1', cache: true, policies: dir, watch: true }, {
      async untilStopped(server) {
        const pool = new Pool(server.url, { connections: 8 });
        const before = await (await fetch(`${server.url}/metrics`)).text();
        const answers: Array<{ sentAt: number; answeredAt: number; edit: string }> = [];
        let failed = 0;
        let editedAt = Infinity;
        let brokenAt = Infinity;
        const inFlight = new Set<Promise<void>>();
        const start = performance.now();
        let sent = 0;
        const send = (): void => {
          const sentAt = performance.now();
          const p: Promise<void> = pool
            .request({ path: '/api/check/resources', method: 'POST', body, headers: { 'content-type': 'application/json' } })
            .then(async (res) => {
              const json = (await res.body.json()) as { results: Array<{ actions: Record<string, string> }> };
              if (res.statusCode !== 200) failed++;
              else answers.push({ sentAt, answeredAt: performance.now(), edit: json.results[0]!.actions['edit']! });
            })
            .catch(() => void failed++)
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
          sent++;
        };
        // open model: every few ms, send what the schedule says is due by now
        for (;;) {
          const elapsed = performance.now() - start;
          if (elapsed >= DURATION_MS) break;
          if (editedAt === Infinity && elapsed >= 1000) {
            await writeFile(file, edited);
            editedAt = performance.now();
          }
          if (brokenAt === Infinity && elapsed >= 3000) {
            await writeFile(file, `${edited}\n  rules: [\n`);
            brokenAt = performance.now();
          }
          const due = Math.floor((elapsed * RATE) / 1000);
          while (sent < due) send();
          await sleep(4);
        }
        const seconds = (performance.now() - start) / 1000;
        await Promise.all(inFlight);
        const after = await (await fetch(`${server.url}/metrics`)).text();
        await pool.close();

        assert.equal(failed, 0, 'no request failed');
        assert.equal(answers.length, sent, 'every request answered');
        assert.ok(sent / seconds >= 200, `load of ${(sent / seconds).toFixed(0)} requests/s`);
        assert.ok(answers.filter((a) => a.answeredAt < editedAt).every((a) => a.edit === 'EFFECT_DENY'), 'the old decision before the edit');
        answers.sort((a, b) => a.answeredAt - b.answeredAt);
        const firstNew = answers.findIndex((a) => a.edit === 'EFFECT_ALLOW');
        assert.ok(firstNew >= 0, 'the edit was picked up');
        const delayMs = answers[firstNew]!.answeredAt - editedAt;
        assert.ok(delayMs <= 2000, `new decision after ${delayMs.toFixed(0)} ms`);
        t.diagnostic(`${(sent / seconds).toFixed(0)} requests/s, ${sent} requests, new decision ${delayMs.toFixed(0)} ms after the edit`);
        assert.ok(answers.slice(firstNew).every((a) => a.edit === 'EFFECT_ALLOW'), 'the new decision holds, also after the broken edit');
        assert.ok(answers.some((a) => a.sentAt > brokenAt + 500), 'requests ran after the broken edit');
        assert.ok(counter(after, 'authz_perf_policy_reloads_total') - counter(before, 'authz_perf_policy_reloads_total') >= 1);
        assert.ok(counter(after, 'authz_perf_policy_reload_failures_total') - counter(before, 'authz_perf_policy_reload_failures_total') >= 1);
      },
    });
    assert.equal(code, 0);
    const err = ctx.err.join('');
    assert.match(err, /authz-perf serve: policies reloaded from /);
    assert.match(err, new RegExp(`authz-perf serve: reload failed, previous policies kept: ${file.replaceAll('/', '\\/')}:\\d+:\\d+: `));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
