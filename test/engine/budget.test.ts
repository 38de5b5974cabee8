import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BudgetExceededError,
  checkWithinBudget,
  compilePolicySources,
  createEngine,
  loadPolicySet,
  startServer,
  type CheckRequest,
} from '../../src/engine/index.js';
import { createRequestStream, loadScenario, takeRequests } from '../../src/scenario/index.js';

const policy = `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: R.attr.owner == P.id
`;
const engine = createEngine(compilePolicySources([{ file: 'doc.yaml', text: policy }]), { cache: false });

const requestOf = (owners: string[]): CheckRequest => ({
  requestId: 'q',
  principal: { id: 'alice', roles: ['user'] },
  resources: owners.map((owner, i) => ({ resource: { kind: 'doc', id: `d${i}`, attr: { owner } }, actions: ['view', 'edit'] })),
});

/** A clock that moves `stepMs` on every read, so each slice "takes" one step. */
const steppingClock = (stepMs: number): (() => number) => {
  let t = 0;
  return () => (t += stepMs);
};

const noYield = (): Promise<void> => Promise.resolve();

test('property: evaluated in slices, the answer is the one engine.check gives', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom('alice', 'bob'), { minLength: 1, maxLength: 60 }), fc.double({ min: 0, max: 10, noNaN: true }), async (owners, stepMs) => {
      const req = requestOf(owners);
      const sliced = await checkWithinBudget(engine, req, { budgetMs: Infinity, now: steppingClock(stepMs), yieldToLoop: noYield });
      assert.deepEqual(sliced, engine.check(req));
    }),
    { numRuns: 300 },
  );
});

test('over the budget with resources left: BudgetExceededError naming the budget, the time spent and how far it got', async () => {
  // each slice takes 3 ms on this clock, so chunks stay at one resource (SLICE_MS / 3 ms = 1)
  const req = requestOf(['alice', 'bob', 'alice', 'bob', 'alice']);
  await assert.rejects(
    checkWithinBudget(engine, req, { budgetMs: 5, now: steppingClock(3), yieldToLoop: noYield }),
    (err: unknown) => {
      assert.ok(err instanceof BudgetExceededError);
      assert.equal(err.evaluated, 2);
      assert.equal(err.total, 5);
      assert.equal(err.message, 'evaluation budget of 5 ms exceeded (6.0 ms spent, 2 of 5 resources evaluated; --eval-budget)');
      return true;
    },
  );
  // the last slice finishing past the budget still answers: there is nothing left to save
  const all = await checkWithinBudget(engine, requestOf(['alice']), { budgetMs: 0, now: steppingClock(100), yieldToLoop: noYield });
  assert.equal(all.results.length, 1);
});

test('the event loop runs between slices: one yield before evaluating, one between chunks', async () => {
  let yields = 0;
  const countYield = (): Promise<void> => (yields++, Promise.resolve());
  await checkWithinBudget(engine, requestOf(['alice']), { budgetMs: Infinity, yieldToLoop: countYield });
  assert.equal(yields, 1);
  yields = 0;
  await checkWithinBudget(engine, requestOf(['a', 'b', 'c', 'd']), { budgetMs: Infinity, now: steppingClock(5), yieldToLoop: countYield });
  assert.equal(yields, 4, 'a 5 ms slice per resource: one chunk per resource');
});

/** POSTs `body` while polling /health back to back; the check's time and each /health latency. */
async function checkWhilePollingHealth(url: string, body: string): Promise<{ status: number; json: unknown; checkMs: number; healthMs: number[] }> {
  const healthMs: number[] = [];
  let done = false;
  const t0 = performance.now();
  const check = fetch(`${url}/api/check/resources`, { method: 'POST', body }).then(async (res) => {
    done = true;
    return { status: res.status, json: (await res.json()) as unknown, checkMs: performance.now() - t0 };
  });
  while (!done) {
    const t = performance.now();
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    await health.text();
    healthMs.push(performance.now() - t);
  }
  return { ...(await check), healthMs };
}

// A heavy-cel request at the default limits (50 resources) whose conditions scan a long group list:
// evaluated in one piece it would hold the event loop for its whole evaluation; served, /health is
// answered between slices, and a budget ends it with 422.
test('serve: a huge heavy-cel request neither blocks /health nor runs past its budget', async (t) => {
  const scenario = await loadScenario('heavy-cel');
  const heavy = createEngine(await loadPolicySet(scenario.policyDir), { cache: false, globals: scenario.globals });
  const sample = takeRequests(createRequestStream(scenario, { seed: 7 }), 50);
  // datasets whose ACLs hold 100 entries each, none of them the principal's: every group test scans
  // the principal's whole group list
  const resources = sample.map((r, i) => ({
    resource: { ...r.resources[0]!.resource, attr: { ...r.resources[0]!.resource.attr, acl: Array.from({ length: 100 }, (_, j) => ({ principal: `u${j}`, groups: [`acl-${i}-${j}`], perms: ['read'] })) } },
    actions: ['read', 'export', 'write'],
  }));
  const bodyWith = (groups: number): string =>
    JSON.stringify({ principal: { ...sample[0]!.principal, attr: { ...sample[0]!.principal.attr, groups: Array.from({ length: groups }, (_, g) => `member-${g}`) } }, resources });

  const server = await startServer(heavy, { port: 0, evalBudgetMs: Infinity });
  const budgeted = await startServer(heavy, { port: 0, evalBudgetMs: 50 });
  try {
    // grow the principal's groups until the check takes 300 ms (at most 5 doublings from 1,000,
    // which keeps the body under the default 1 MiB limit); the faster of two runs counts, so a
    // stall of a busy host cannot pass off a short check as a long one
    const fasterOfTwo = async (b: string): Promise<Awaited<ReturnType<typeof checkWhilePollingHealth>>> => {
      const first = await checkWhilePollingHealth(server.url, b);
      const second = await checkWhilePollingHealth(server.url, b);
      return first.checkMs <= second.checkMs ? first : second;
    };
    let body = bodyWith(1000);
    let run = await fasterOfTwo(body);
    for (let groups = 2000; run.checkMs < 300 && groups <= 32_000; groups *= 2) {
      body = bodyWith(groups);
      run = await fasterOfTwo(body);
    }
    assert.ok(body.length < 1024 * 1024, `the request fits the default body limit (${body.length} bytes)`);
    assert.equal(run.status, 200);
    assert.equal((run.json as { results: unknown[] }).results.length, 50);
    const worstHealthMs = Math.max(...run.healthMs);
    t.diagnostic(`${body.length} bytes: check ${run.checkMs.toFixed(0)} ms, /health answered ${run.healthMs.length} times meanwhile, worst ${worstHealthMs.toFixed(0)} ms`);
    assert.ok(run.healthMs.length >= 3, `/health answered ${run.healthMs.length} times during a ${run.checkMs.toFixed(0)} ms check`);
    assert.ok(worstHealthMs < run.checkMs / 2, `/health took up to ${worstHealthMs.toFixed(0)} ms during a ${run.checkMs.toFixed(0)} ms check`);

    // with a 50 ms budget: 422 naming the budget
    const over = await checkWhilePollingHealth(budgeted.url, body);
    t.diagnostic(`with --eval-budget 50ms: ${over.status} after ${over.checkMs.toFixed(0)} ms`);
    assert.equal(over.status, 422);
    const error = over.json as { code: number; message: string };
    assert.equal(error.code, 422);
    assert.match(error.message, /^evaluation budget of 50 ms exceeded \(\d+\.\d ms spent, \d+ of 50 resources evaluated; --eval-budget\)$/);
    assert.match(await (await fetch(`${budgeted.url}/metrics`)).text(), /^authz_perf_eval_budget_exceeded_total 1$/m);
  } finally {
    await Promise.all([server.close(), budgeted.close()]);
  }
});
