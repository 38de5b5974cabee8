-- The engine's policy store: loaded on start and on every policy change.

-- name: active-policies-by-kind
-- Active policies for one resource kind and version (policy cache warm-up).
SELECT id, name, version, scope, definition
FROM policies
WHERE resource_kind = 'document' AND version = 'v2' AND active;

-- name: deactivate-policy-version
-- Write path: retire an old policy version (measured, always rolled back).
UPDATE policies
SET active = false, updated_at = now()
WHERE resource_kind = 'album' AND version = 'v1';
