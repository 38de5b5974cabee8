/** HTML escaping and small markup helpers for section renderers (bodies are fragments, not pages). */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string | number | boolean | null | undefined): string {
  if (text === null || text === undefined) return '';
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Markup that is already safe; table and list helpers insert it without escaping. */
export interface RawHtml {
  html: string;
}

/** Marks trusted markup (built from escaped parts) so helpers do not escape it again. */
export function rawHtml(html: string): RawHtml {
  return { html };
}

export function isRawHtml(value: unknown): value is RawHtml {
  return typeof value === 'object' && value !== null && typeof (value as RawHtml).html === 'string';
}

/** Escaped text or trusted raw markup, as markup. */
export function toHtml(value: string | number | RawHtml | null | undefined): string {
  return isRawHtml(value) ? value.html : escapeHtml(value);
}

/** `<h2>` (or another level) with escaped text and an optional id. */
export function htmlHeading(text: string, level: 2 | 3 | 4 = 2, id?: string): string {
  const idAttr = id ? ` id="${escapeHtml(id)}"` : '';
  return `<h${level}${idAttr}>${escapeHtml(text)}</h${level}>`;
}

/** A paragraph of escaped text (or raw markup). `className` e.g. "note", "warn", "bad", "good". */
export function htmlParagraph(text: string | RawHtml, className?: string): string {
  const cls = className ? ` class="${escapeHtml(className)}"` : '';
  return `<p${cls}>${toHtml(text)}</p>`;
}

/** A bulleted list of escaped items (or raw markup). */
export function htmlList(items: Array<string | RawHtml>): string {
  return `<ul>${items.map((item) => `<li>${toHtml(item)}</li>`).join('')}</ul>`;
}

/**
 * A status badge the HTML shell styles: tone `good` (green), `warn` (amber), `bad` (red) or
 * `info` (grey). Use for verdicts such as PASS/FAIL, severity, regressions.
 */
export function htmlBadge(text: string, tone: 'good' | 'warn' | 'bad' | 'info'): string {
  return `<span class="badge badge-${tone}">${escapeHtml(text)}</span>`;
}

/** Figures shown large at the top of a section: [{ label, value }] → a row of "stat cards". */
export function htmlStatCards(cards: Array<{ label: string; value: string; tone?: 'good' | 'warn' | 'bad' }>): string {
  const items = cards
    .map((c) => {
      const tone = c.tone ? ` stat-${c.tone}` : '';
      return `<div class="stat${tone}"><div class="stat-value">${escapeHtml(c.value)}</div><div class="stat-label">${escapeHtml(c.label)}</div></div>`;
    })
    .join('');
  return `<div class="stats">${items}</div>`;
}

/** The placeholder a section puts where the shell draws chart `id` (a ChartSpec with that id). */
export function htmlChart(id: string): string {
  return `<figure class="chart"><canvas id="${escapeHtml(id)}" role="img"></canvas></figure>`;
}
