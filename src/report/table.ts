/**
 * Tables in the three output formats, from the same rows: terminal (cli-table3, colour only when
 * RenderOptions.color), GitHub Markdown (pipes escaped) and HTML (cells escaped).
 */
import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import type { RenderOptions } from './render-types.js';
import { escapeHtml, isRawHtml, type RawHtml } from './html.js';
import { MISSING } from '../util/format.js';

/** A cell: text, a number (printed as is: format it first), or null/undefined (printed as "–"). */
export type Cell = string | number | null | undefined;
export type Align = 'left' | 'right' | 'center';

export interface TableSpec {
  head: string[];
  rows: Cell[][];
  /** Per column; default: left for the first column, right for the rest (numbers). */
  align?: Align[];
}

const plainChalk = new Chalk({ level: 0 });
const colourChalk = new Chalk({ level: 1 });

/**
 * A chalk instance that colours only when `options.color` is true (independent of the process's
 * own colour detection, so renderers stay pure): `const c = paint(options); c.red('FAIL')`.
 */
export function paint(options: RenderOptions): ChalkInstance {
  return options.color ? colourChalk : plainChalk;
}

/** No rule between body rows (cli-table3 draws one by default); the header rule stays. */
const COMPACT_ROWS = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return MISSING;
  return typeof cell === 'number' ? String(cell) : cell;
}

function alignments(spec: TableSpec): Align[] {
  return spec.head.map((_, i) => spec.align?.[i] ?? (i === 0 ? 'left' : 'right'));
}

/**
 * A box-drawn terminal table. Headers are bold cyan only when options.color;
 * otherwise the output contains no ANSI escapes at all. Cells may carry their own chalk colours
 * (use `paint(options)` so they too disappear without colour).
 */
export function terminalTable(spec: TableSpec, options: RenderOptions): string {
  // cli-table3 styles through @colors/colors, which turns itself off when stdout is not a TTY;
  // colour the header with our own chalk so `color: true` means colour everywhere.
  const c = paint(options);
  const table = new Table({
    head: spec.head.map((h) => c.cyan.bold(h)),
    colAligns: alignments(spec),
    chars: COMPACT_ROWS,
    style: { head: [], border: [] },
  });
  for (const row of spec.rows) table.push(row.map(cellText));
  return withHeaderRule(table.toString());
}

/** Puts a rule under the header line, built from the top border (keeps its colour codes). */
function withHeaderRule(text: string): string {
  const lines = text.split('\n');
  if (lines.length < 3) return text;
  const rule = lines[0]!.replace('┌', '├').replace(/┬/g, '┼').replace('┐', '┤');
  return [lines[0], lines[1], rule, ...lines.slice(2)].join('\n');
}

/**
 * Label/value pairs as a two-column terminal table without a header, e.g. a run summary.
 */
export function terminalKeyValue(pairs: Array<[string, Cell]>, options: RenderOptions): string {
  const table = new Table({
    colAligns: ['left', 'left'],
    chars: COMPACT_ROWS,
    style: { head: [], border: [] },
  });
  const c = paint(options);
  for (const [k, v] of pairs) table.push([c.bold(k), cellText(v)]);
  return table.toString();
}

/** A section title line for terminal output: bold (when coloured) and underlined with rules. */
export function terminalHeading(text: string, options: RenderOptions): string {
  const c = paint(options);
  return `${c.bold(text)}\n${c.gray('─'.repeat(Math.min(80, [...text].length)))}`;
}

/** Escapes text for a GitHub Markdown table cell: `|` → `\|`, newlines → `<br>`. */
export function escapeMarkdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Escapes Markdown inline syntax in free text (for headings and paragraphs built from data). */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]<>#|~])/g, '\\$1');
}

/** Text as Markdown inline code, safe for any backticks inside. */
export function markdownCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A GitHub-flavoured Markdown table with alignment markers; `|` in cells is escaped. */
export function markdownTable(spec: TableSpec): string {
  const aligns = alignments(spec);
  const marker = (a: Align): string => (a === 'right' ? '---:' : a === 'center' ? ':---:' : '---');
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(spec.head.map(escapeMarkdownCell)),
    line(aligns.map(marker)),
    ...spec.rows.map((row) => line(spec.head.map((_, i) => escapeMarkdownCell(cellText(row[i]))))),
  ].join('\n');
}

/** Label/value pairs as a two-column Markdown table. */
export function markdownKeyValue(pairs: Array<[string, Cell]>, head: [string, string] = ['', '']): string {
  return markdownTable({ head, rows: pairs, align: ['left', 'left'] });
}

export interface HtmlTableSpec {
  head: string[];
  /** Cells are escaped; pass rawHtml(...) for trusted markup (badges, links). */
  rows: Array<Array<Cell | RawHtml>>;
  align?: Align[];
  caption?: string;
  /** Extra class on <table>, e.g. "compact". */
  className?: string;
}

/**
 * An HTML table; text cells are escaped, numeric columns right-aligned by default. Wide tables
 * scroll inside their own box (`table-scroll`) instead of widening the page.
 */
export function htmlTable(spec: HtmlTableSpec): string {
  const aligns = alignments({ head: spec.head, rows: [], ...(spec.align ? { align: spec.align } : {}) });
  const cls = (i: number): string => (aligns[i] === 'left' ? '' : ` class="${aligns[i] === 'right' ? 'num' : 'center'}"`);
  const cell = (value: Cell | RawHtml): string => (isRawHtml(value) ? value.html : escapeHtml(cellText(value)));
  const head = spec.head.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const body = spec.rows
    .map((row) => `<tr>${spec.head.map((_, i) => `<td${cls(i)}>${cell(row[i])}</td>`).join('')}</tr>`)
    .join('\n');
  const caption = spec.caption ? `<caption>${escapeHtml(spec.caption)}</caption>` : '';
  const tableClass = spec.className ? ` class="${escapeHtml(spec.className)}"` : '';
  return `<div class="table-scroll"><table${tableClass}>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

/** Label/value pairs as a two-column HTML table (class "kv"). */
export function htmlKeyValue(pairs: Array<[string, Cell | RawHtml]>): string {
  const rows = pairs
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${isRawHtml(v) ? v.html : escapeHtml(cellText(v))}</td></tr>`)
    .join('\n');
  return `<table class="kv"><tbody>\n${rows}\n</tbody></table>`;
}
