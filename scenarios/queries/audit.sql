-- The audit trail: policy changes, logins and checks, kept for compliance.

-- name: audit-by-principal
-- Audit events of one principal since a date, newest first.
SELECT id, event_type, resource_kind, resource_id, occurred_at
FROM audit_logs
WHERE principal = 'user_42' AND occurred_at >= '2026-03-01 00:00:00+00'
ORDER BY occurred_at DESC
LIMIT 100;

-- name: audit-admin-access-week
-- Who used admin access in a week, most active first.
SELECT principal, count(*) AS events
FROM audit_logs
WHERE event_type = 'admin.access' AND occurred_at >= '2026-02-01 00:00:00+00' AND occurred_at < '2026-02-08 00:00:00+00'
GROUP BY principal
ORDER BY events DESC
LIMIT 20;

-- name: audit-retention-delete
-- Write path: retention job deleting the oldest day (measured, always rolled back).
DELETE FROM audit_logs
WHERE occurred_at < '2026-01-02 00:00:00+00';
