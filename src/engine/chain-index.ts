/**
 * Policy chains by (kind, version, scope) and, for principals with a principal policy, (principal
 * id, principal scope), in nested Maps: a lookup reads one Map per part with the request's own
 * strings, whose hashes V8 keeps in the strings, instead of joining the parts into a new key
 * string (which then has to be flattened and hashed) for every resource entry. Bounded: it starts
 * over when it holds `max` chains (requests can name any kind, scope and version).
 */
interface ScopeEntry<C> {
  chain: C | undefined;
  /** principal id → principal scope → chain */
  byPrincipal: Map<string, Map<string, C>> | undefined;
}

export class ChainIndex<C> {
  private readonly byKind = new Map<string, Map<string, Map<string, ScopeEntry<C>>>>();
  private count = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.count;
  }

  /** The chain kept for these parts; `principalId` null: the chain without a principal policy. */
  get(kind: string, version: string, scope: string, principalId: string | null, principalScope: string): C | undefined {
    const entry = this.byKind.get(kind)?.get(version)?.get(scope);
    if (entry === undefined) return undefined;
    return principalId === null ? entry.chain : entry.byPrincipal?.get(principalId)?.get(principalScope);
  }

  /** Keeps `chain` for these parts and returns it. */
  set(kind: string, version: string, scope: string, principalId: string | null, principalScope: string, chain: C): C {
    if (this.count >= this.max) {
      this.byKind.clear();
      this.count = 0;
    }
    let versions = this.byKind.get(kind);
    if (versions === undefined) this.byKind.set(kind, (versions = new Map()));
    let scopes = versions.get(version);
    if (scopes === undefined) versions.set(version, (scopes = new Map()));
    let entry = scopes.get(scope);
    if (entry === undefined) scopes.set(scope, (entry = { chain: undefined, byPrincipal: undefined }));
    if (principalId === null) {
      if (entry.chain === undefined) this.count++;
      entry.chain = chain;
      return chain;
    }
    entry.byPrincipal ??= new Map();
    let byScope = entry.byPrincipal.get(principalId);
    if (byScope === undefined) entry.byPrincipal.set(principalId, (byScope = new Map()));
    if (!byScope.has(principalScope)) this.count++;
    byScope.set(principalScope, chain);
    return chain;
  }
}
