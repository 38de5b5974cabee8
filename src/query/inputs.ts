/** The statements to explain: the bundled catalog or --queries files, each with the parameters it references. */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { PACKAGE_ROOT } from '../util/version.js';
import type { QueryInput } from './runner.js';
import { splitSqlStatements } from './sql-file.js';

/** Where the bundled catalog lives, as the report names it. */
export const CATALOG_FILES = 'scenarios/queries/*.sql';

/** Statements of one file, with the leading `params` each one references (`$1` … `$n`, outside string literals). */
export function queriesFromSql(file: string, text: string, params: string[]): QueryInput[] {
  const stem = path.basename(file).replace(/\.sql$/i, '');
  return splitSqlStatements(text, stem).map((s) => ({
    id: s.name,
    file,
    line: s.line,
    sql: s.sql,
    params: params.slice(0, highestParameter(s.sql)),
    description: s.description,
  }));
}

/** The largest n of the `$n` placeholders in `sql` (0 when none); `$n` inside '…' literals does not count. */
export function highestParameter(sql: string): number {
  let max = 0;
  for (const m of sql.replace(/'(?:[^']|'')*'/g, "''").matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

/** The statements of --queries files (already read); an empty set is an input error. */
export function userQueries(files: ReadonlyArray<{ file: string; text: string }>, params: string[]): QueryInput[] {
  const queries = files.flatMap(({ file, text }) => queriesFromSql(file, text, params));
  if (queries.length === 0) throw new InputError('no SQL statements found', { file: files.map((f) => f.file).join(', ') });
  assertUniqueQueryIds(queries);
  return queries;
}

/** The bundled catalog (scenarios/queries/*.sql). */
export async function catalogQueries(): Promise<QueryInput[]> {
  const dir = path.join(PACKAGE_ROOT, 'scenarios', 'queries');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: QueryInput[] = [];
  for (const f of files) out.push(...queriesFromSql(`scenarios/queries/${f}`, await readFile(path.join(dir, f), 'utf8'), []));
  assertUniqueQueryIds(out);
  return out;
}

/** Plans and index advice are keyed by query id, so two statements may not share one. */
function assertUniqueQueryIds(queries: readonly QueryInput[]): void {
  const seen = new Map<string, QueryInput>();
  for (const q of queries) {
    const first = seen.get(q.id);
    if (first) throw new InputError(`query name "${q.id}" is also used at ${first.file}:${first.line}; give each statement its own "-- name:"`, { file: q.file, line: q.line });
    seen.set(q.id, q);
  }
}
