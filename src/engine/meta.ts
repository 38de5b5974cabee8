/**
 * includeMeta naming, as Cerbos 0.55 answers it. A principal-policy decision names the policy the
 * request asks for (the principal's id, its policyVersion and scope), not the file that decided;
 * an id of letters, digits, `_` and `-` is written with `_` for `-` (other ids as given).
 */
import type { Principal } from './types.js';

export function principalPolicyMetaName(principal: Principal): string {
  const id = /^[A-Za-z0-9_-]+$/.test(principal.id) ? principal.id.replaceAll('-', '_') : principal.id;
  const scope = principal.scope ?? '';
  return `principal.${id}.v${principal.policyVersion || 'default'}${scope === '' ? '' : `/${scope}`}`;
}
