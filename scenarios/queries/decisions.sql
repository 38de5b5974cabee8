-- The decision log: one row per check request the engine answered.

-- name: decisions-by-actor-latest
-- "What did alice do recently?": newest decisions of one actor.
SELECT id, resource_kind, resource_id, action, effect, decided_at
FROM decisions
WHERE actor = 'user_42'
ORDER BY decided_at DESC
LIMIT 50;

-- name: decisions-time-window
-- Incident review: every decision in a six-hour window.
SELECT id, actor, resource_kind, action, effect, decided_at
FROM decisions
WHERE decided_at >= '2026-02-01 00:00:00+00' AND decided_at < '2026-02-01 06:00:00+00'
ORDER BY decided_at;

-- name: denied-by-resource
-- Why was this invoice denied? Denies for one resource, newest first.
SELECT id, actor, action, policy_id, decided_at
FROM decisions
WHERE resource_kind = 'invoice' AND resource_id = 'res_1234' AND effect = 'EFFECT_DENY'
ORDER BY decided_at DESC
LIMIT 100;

-- name: decisions-with-policy
-- Decisions of one actor since a date, with the policy that decided them.
SELECT d.id, d.action, d.effect, p.name AS policy, p.version
FROM decisions d
JOIN policies p ON p.id = d.policy_id
WHERE d.actor = 'user_7' AND d.decided_at >= '2026-03-01 00:00:00+00';

-- name: decisions-page-offset
-- Anti-pattern: page 201 of the decision log with OFFSET.
SELECT id, actor, action, effect, decided_at
FROM decisions
ORDER BY decided_at DESC, id DESC
OFFSET 10000 LIMIT 50;

-- name: decisions-page-keyset
-- The same page with keyset pagination (cursor = last row of the previous page).
SELECT id, actor, action, effect, decided_at
FROM decisions
WHERE (decided_at, id) < ('2026-03-20 00:00:00+00', 160000)
ORDER BY decided_at DESC, id DESC
LIMIT 50;

-- name: decisions-actor-like
-- Anti-pattern: substring search with a leading wildcard.
SELECT id, actor, action, decided_at
FROM decisions
WHERE actor LIKE '%user_421%';

-- name: decisions-on-day
-- Anti-pattern: a function on the timestamp column.
SELECT count(*)
FROM decisions
WHERE DATE(decided_at) = '2026-02-14';

-- name: decisions-select-star
-- Anti-pattern: SELECT * for a list view that shows four columns.
SELECT *
FROM decisions
WHERE resource_id = 'res_77';

-- name: record-decision
-- Write path: the engine logs a decision (measured, always rolled back).
INSERT INTO decisions (id, request_id, actor, actor_roles, resource_kind, resource_id, action, effect, policy_id, latency_us, decided_at, context)
VALUES (900000001, 'req-1', 'user_42', ARRAY['user'], 'document', 'res_1', 'view', 'EFFECT_ALLOW', 1, 120, now(), '{}');
