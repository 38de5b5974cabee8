/**
 * includeMeta naming, as Cerbos 0.55 answers it. A principal-policy decision names the policy the
 * request asks for (the principal's id, its policyVersion and scope), not the file that decided;
 * an id of letters, digits, `_` and `-` is written with `_` for `-` (other ids as given).
 */
import { MAX_ROLE_DEPTH, type Chain } from './policy-set.js';
import type { Principal } from './types.js';

export function principalPolicyMetaName(principal: Principal): string {
  const id = /^[A-Za-z0-9_-]+$/.test(principal.id) ? principal.id.replaceAll('-', '_') : principal.id;
  const scope = principal.scope ?? '';
  return `principal.${id}.v${principal.policyVersion || 'default'}${scope === '' ? '' : `/${scope}`}`;
}

/**
 * The roles effectiveDerivedRoles are matched against, as Cerbos 0.55 reports them: the principal's
 * roles, the parent roles (transitively) of their role policies at the resource's own scope only
 * (a role policy at a parent scope adds none), and a non-default version's inherited roles.
 */
export function metaRoles(chain: Chain, roles: readonly string[]): string[] {
  const out: string[] = [];
  const own = chain.roleLevels[0];
  const visit = (role: string, depth: number): void => {
    if (out.includes(role) || depth > MAX_ROLE_DEPTH) return;
    out.push(role);
    const at = own?.get(role);
    if (at !== undefined) for (const parent of at.policy.parentRoles) visit(parent, depth + 1);
    for (const parent of chain.inheritedRoles.get(role) ?? []) visit(parent, depth + 1);
  };
  for (const r of roles) visit(r, 0);
  return out;
}
