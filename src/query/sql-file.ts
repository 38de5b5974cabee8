/**
 * Splits a .sql file into statements, keeping where each starts (for `file:line` messages).
 * Understands quotes, quoted identifiers, dollar quoting and comments, so a `;` inside any of
 * them does not end a statement. A `-- name: x` comment names the statement that follows.
 */

export interface SqlStatement {
  /** from `-- name: …`, else `<file stem>#<n>` */
  name: string;
  /** the statement without the trailing `;` and without leading comments */
  sql: string;
  /** 1-based line where the statement text starts */
  line: number;
  /** 1-based index in the file */
  index: number;
  /** text of the comment lines right above it (minus the name line), e.g. a description */
  description: string | null;
}

export function splitSqlStatements(text: string, stem = 'query'): SqlStatement[] {
  const out: SqlStatement[] = [];
  let i = 0;
  let line = 1;
  let start = -1;
  let startLine = 1;
  let pendingName: string | null = null;
  let pendingDesc: string[] = [];
  const n = text.length;

  const flush = (end: number) => {
    if (start >= 0) {
      const sql = text.slice(start, end).trim();
      if (sql) {
        const index = out.length + 1;
        out.push({ name: pendingName ?? `${stem}#${index}`, sql, line: startLine, index, description: pendingDesc.length ? pendingDesc.join(' ') : null });
      }
    }
    start = -1;
    pendingName = null;
    pendingDesc = [];
  };

  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const comment = text.slice(i + 2, end < 0 ? n : end).trim();
      if (start < 0) {
        const m = /^name:\s*(\S+)/i.exec(comment);
        if (m) pendingName = m[1]!;
        else if (comment) pendingDesc.push(comment);
      }
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      line += countNewlines(text, i, stop);
      i = stop;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === ';') {
      flush(i);
      i++;
      continue;
    }
    if (start < 0) {
      start = i;
      startLine = line;
    }
    if (c === "'" || c === '"') {
      // E'…' strings take backslash escapes (E'it\'s')
      const escapes = c === "'" && /[eE]/.test(text[i - 1] ?? '') && !/[\w$]/.test(text[i - 2] ?? '');
      const stop = skipQuoted(text, i, c, escapes);
      line += countNewlines(text, i, stop);
      i = stop;
      continue;
    }
    // `$` inside an identifier (a$b$) is no dollar quote
    if (c === '$' && !/[\w$]/.test(text[i - 1] ?? '')) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const end = text.indexOf(tag, i + tag.length);
        const stop = end < 0 ? n : end + tag.length;
        line += countNewlines(text, i, stop);
        i = stop;
        continue;
      }
    }
    i++;
  }
  flush(n);
  return out;
}

function skipQuoted(text: string, from: number, quote: string, backslashEscapes = false): number {
  let i = from + 1;
  while (i < text.length) {
    if (backslashEscapes && text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text[i] === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return text.length;
}

function countNewlines(text: string, from: number, to: number): number {
  let k = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) k++;
  return k;
}

/** 1-based line and column of a 1-based character position inside a statement starting at `line`. */
export function positionToLocation(sql: string, position: number, line: number): { line: number; column: number } {
  const before = sql.slice(0, Math.max(0, position - 1));
  const nl = before.split('\n');
  return { line: line + nl.length - 1, column: nl[nl.length - 1]!.length + 1 };
}
