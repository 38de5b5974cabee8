/**
 * The library through the whole engine, against `cerbos server`: one resource policy whose rules
 * each allow one action under one condition that applies library functions to request attributes
 * (JSON values, so numbers are doubles and everything is dyn), 300 seeded requests, every action's
 * effect compared. Runs where a Cerbos binary is found ($CERBOS_BIN or @cerbos/cerbos-linux-x64);
 * skips with one line otherwise. The server listens on 127.0.0.1 and is stopped by the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicySources, createEngine, type CheckRequest } from '../../src/engine/index.js';

const CONDITIONS = [
  'hierarchy(R.attr.scope).descendentOf(hierarchy(P.attr.scope))',
  'hierarchy(R.attr.scope).immediateChildOf(hierarchy(P.attr.scope))',
  'hierarchy(R.attr.path, "/").size() > 3',
  'hierarchy(P.attr.scope).commonAncestors(hierarchy(R.attr.scope)).size() >= 1',
  'P.attr.ip.inIPAddrRange(R.attr.net)',
  'isIP(P.attr.ip) && ip(P.attr.ip).isGlobalUnicast()',
  'cidr(R.attr.net).containsIP(P.attr.ip)',
  'hasIntersection(P.attr.teams, R.attr.teams)',
  'R.attr.teams.isSubset(P.attr.teams)',
  'P.attr.teams.except(R.attr.teams).size() == 0',
  'intersect(P.attr.teams, R.attr.teams) == ["eng"]',
  'P.attr.levels.distinct().size() == 2',
  'P.attr.levels.sort()[0] == 1',
  'math.greatest(P.attr.levels) >= R.attr.min',
  'P.attr.levels.all(i, v, v >= R.attr.min)',
  'R.attr.limits.exists(k, v, k == P.attr.teams[0] && v > 5)',
  'R.attr.limits.transformList(k, v, v).sort() == [3.0, 10.0]',
  'P.attr.name.matches("(?i)^al")',
  'P.attr.name.charAt(0) == "a"',
  'P.attr.name.indexOf("ic") == 2',
  'P.attr.name.replace("a", "A", 1).startsWith("A")',
  'base64.decode(R.attr.b64) == bytes(P.attr.name)',
  'regex.extract(R.attr.path, "/([a-z]+)$").orValue("") == "doc"',
  'timestamp(R.attr.ts).getHours("-05:00") == 10',
  'timestamp(R.attr.ts).getDayOfWeek(P.attr.tz) == 2',
  'timestamp(R.attr.ts).getHours(P.attr.tz) >= 9',
  'lists.range(size(P.attr.teams)).size() == 2',
  '"%s-%s".format([P.attr.name, R.attr.min]) == "alice-2"',
  'P.attr.levels.slice(0, 1) == [1]',
  'math.abs(R.attr.neg) == 2.5',
  'sets.equivalent(P.attr.teams, R.attr.teams)',
  'P.attr.name.split("").size() == 5',
  'R.attr.limits.transformMap(k, v, v * 2.0)[P.attr.teams[0]] == 20.0',
  'P.attr.teams.sortBy(t, t).reverse()[0] == "ops"',
  'P.attr.levels.existsOne(i, v, v == 2.0) || P.attr.name.substring(1, 3) == "li"',
];

function cerbosBinary(): string | undefined {
  const fromEnv = process.env.CERBOS_BIN;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  try {
    const bin = createRequire(import.meta.url).resolve('@cerbos/cerbos-linux-x64/package.json').replace(/package\.json$/, 'cerbos-linux-x64');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

function policyYaml(): string {
  const rules = CONDITIONS.map((c, i) => `    - actions: [a${i}]\n      effect: EFFECT_ALLOW\n      roles: ["*"]\n      condition:\n        match:\n          expr: ${JSON.stringify(c)}\n`);
  return `apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  rules:\n${rules.join('')}`;
}

/** mulberry32: a small seeded generator, so the requests are the same on every run. */
function seeded(seed: number): <T>(xs: readonly T[]) => T {
  let s = seed;
  return (xs) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return xs[((t ^ (t >>> 14)) >>> 0) % xs.length]!;
  };
}

function requests(n: number): CheckRequest[] {
  const pick = seeded(7);
  const actions = CONDITIONS.map((_, i) => `a${i}`);
  return Array.from({ length: n }, (_, i) => ({
    requestId: `r${i}`,
    principal: {
      id: pick(['alice', 'bob']),
      roles: ['u'],
      attr: {
        scope: pick(['acme', 'acme.hr', 'acme.hr.uk', 'other', '']),
        ip: pick(['10.1.2.3', '192.168.0.10', '::ffff:10.0.0.1', '2001:db8::1', 'bad', '127.0.0.1']),
        teams: pick([['eng', 'ops'], ['eng'], ['sales'], []]),
        levels: pick([[1, 2, 2], [3, 1], [5]]),
        name: pick(['alice', 'Alfred', 'bob😀', 'ALICE']),
        tz: pick(['-05:00', '+01:30', 'America/New_York', 'UTC', 'Europe/Paris', '05:00', 'bogus', '+14:00']),
      },
    },
    resources: [
      {
        resource: {
          kind: 'doc',
          id: `d${i}`,
          attr: {
            scope: pick(['acme.hr', 'acme.hr.uk', 'acme.hr.uk.ldn', 'acme', 'other.x']),
            path: pick(['/a/b/doc', '/doc', 'x/y/z/w', '/a/Doc']),
            net: pick(['10.0.0.0/8', '192.168.0.0/24', '::ffff:0:0/96', '2001:db8::/32', 'nope']),
            teams: pick([['eng'], ['eng', 'ops'], ['ops', 'eng'], []]),
            min: pick([1, 2, 3]),
            limits: pick<Record<string, number>>([{ eng: 10, ops: 3 }, { sales: 7 }, {}]),
            b64: pick(['YWxpY2U=', 'YWxpY2U', 'Ym9i', '!!']),
            ts: pick(['2021-04-20T10:00:20.021-05:00', '2021-12-31T23:30:00Z', '2024-02-29T08:59:59Z']),
            neg: pick([-2.5, 2.5, -3]),
          },
        },
        actions,
      },
    ],
  }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const bin = cerbosBinary();

test('library conditions on request attributes decide as cerbos server does', { skip: bin ? false : 'Cerbos binary not found (set CERBOS_BIN or install @cerbos/cerbos-linux-x64)', timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'authz-perf-cel-diff-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'doc.yaml'), policyYaml());
  const [http, grpc] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'conf.yaml'),
    `server: { httpListenAddr: "127.0.0.1:${http}", grpcListenAddr: "127.0.0.1:${grpc}" }\nstorage: { driver: disk, disk: { directory: ${JSON.stringify(join(dir, 'policies'))} } }\naudit: { enabled: false }\n`,
  );
  const child = spawn(bin!, ['server', `--config=${join(dir, 'conf.yaml')}`], { stdio: 'ignore', env: { ...process.env, CERBOS_NO_TELEMETRY: '1' } });
  try {
    const base = `http://127.0.0.1:${http}`;
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/_cerbos/health`).then((r) => r.ok, () => false)) break;
      if (i > 100) assert.fail('cerbos server did not become healthy');
      await new Promise((r) => setTimeout(r, 100));
    }
    const engine = createEngine(compilePolicySources([{ file: 'doc.yaml', text: policyYaml() }]), { cache: false });
    const differences: string[] = [];
    let allows = 0;
    for (const req of requests(300)) {
      const theirs = (await (await fetch(`${base}/api/check/resources`, { method: 'POST', body: JSON.stringify(req) })).json()) as { results: Array<{ actions: Record<string, string> }> };
      const ours = engine.check(req).results[0]!.actions;
      for (const [action, effect] of Object.entries(ours)) {
        if (effect === 'EFFECT_ALLOW') allows++;
        if (theirs.results[0]!.actions[action] !== effect) {
          differences.push(`${req.requestId} ${action} [${CONDITIONS[Number(action.slice(1))]}] cerbos=${theirs.results[0]!.actions[action]} ours=${effect}`);
        }
      }
    }
    assert.deepEqual(differences.slice(0, 10), []);
    assert.ok(allows > 0 && allows < 300 * CONDITIONS.length, 'the requests exercise both effects');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
