/**
 * Reads the column predicates out of the expressions PostgreSQL prints in a plan (`Filter`,
 * `Index Cond`, `Sort Key`): which columns are compared by equality or range, which are wrapped
 * in a function, which LIKE patterns start with a wildcard.
 */

export type PredicateOp = 'eq' | 'range' | 'neq' | 'like-prefix' | 'like-infix';

export interface ColumnPredicate {
  column: string;
  op: PredicateOp;
}

export interface WrappedColumn {
  /** e.g. `date`, `lower`, or `::date` for a cast */
  func: string;
  column: string;
  /** the matched text, e.g. `date(decided_at)` */
  text: string;
}

const COMPARISON =
  /\((?:"?[A-Za-z_][\w$]*"?\.)?"?([a-z_][a-z0-9_$]*)"?\s+(=|<>|<=|>=|<|>|~~\*|~~|!~~\*|!~~)\s+(ANY\s+\()?('(?:[^']|'')*'|\$\d+|[\w.+-]+)/g;

const OPS: Record<string, PredicateOp | undefined> = { '=': 'eq', '<>': 'neq', '<': 'range', '>': 'range', '<=': 'range', '>=': 'range' };

/** Columns compared in a printed expression. `alias.col` is reduced to `col`. */
export function columnPredicates(expr: string): ColumnPredicate[] {
  const out: ColumnPredicate[] = [];
  for (const m of expr.matchAll(COMPARISON)) {
    const column = m[1]!;
    const op = m[2]!;
    const value = m[4]!;
    if (op === '~~' || op === '~~*') {
      out.push({ column, op: value.startsWith("'%") || value.startsWith("'_") ? 'like-infix' : 'like-prefix' });
    } else if (OPS[op]) {
      out.push({ column, op: OPS[op]! });
    }
  }
  return out;
}

const WRAPPERS = /\b(date|lower|upper|date_trunc|to_char|coalesce|btrim|trim|substr|substring|date_part|extract|md5|abs)\((?:'[^']*'(?:::text)?,\s*)?(?:"?[A-Za-z_]\w*"?\.)?"?([a-z_][a-z0-9_]*)"?[),]/g;
const CASTS = /\((?:"?[A-Za-z_]\w*"?\.)?"?([a-z_][a-z0-9_]*)"?\)::(date|text|character varying|integer|bigint|numeric)/g;

/** Columns hidden behind a function or cast in a comparison: a plain index on them is unusable. */
export function wrappedColumns(expr: string): WrappedColumn[] {
  const out: WrappedColumn[] = [];
  for (const m of expr.matchAll(WRAPPERS)) out.push({ func: m[1]!.toLowerCase(), column: m[2]!, text: m[0]!.replace(/[,]$/, ')') });
  for (const m of expr.matchAll(CASTS)) out.push({ func: `::${m[2]!}`, column: m[1]!, text: m[0]! });
  return out;
}

const JOIN_EQUALITY =
  /"?([A-Za-z_][\w$]*)"?\."?([a-z_][a-z0-9_$]*)"?\)?(?:::[a-z ]+)?\s*=\s*\(*"?([A-Za-z_][\w$]*)"?\."?([a-z_][a-z0-9_$]*)"?/g;

/**
 * Columns of the relation printed as `alias` compared by equality with another relation's column
 * in a join condition (`Hash Cond`, `Merge Cond`, `Join Filter`), e.g. `(d.policy_id = p.id)`.
 */
export function joinColumns(cond: string, alias: string): string[] {
  const out: string[] = [];
  for (const m of cond.matchAll(JOIN_EQUALITY)) {
    if (m[1] === alias && m[3] !== alias) out.push(m[2]!);
    else if (m[3] === alias && m[1] !== alias) out.push(m[4]!);
  }
  return [...new Set(out)];
}

export interface SortColumn {
  column: string;
  desc: boolean;
}

/** `Sort Key` entries such as `d.decided_at DESC` → plain columns; expressions are skipped. */
export function sortColumns(keys: unknown): SortColumn[] {
  if (!Array.isArray(keys)) return [];
  const out: SortColumn[] = [];
  for (const k of keys) {
    if (typeof k !== 'string') continue;
    const m = /^(?:"?[A-Za-z_]\w*"?\.)?"?([a-z_][a-z0-9_]*)"?(\s+DESC)?(?:\s+NULLS\s+(?:FIRST|LAST))?$/.exec(k.trim());
    if (m) out.push({ column: m[1]!, desc: Boolean(m[2]) });
  }
  return out;
}
