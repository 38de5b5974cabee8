/**
 * One import for section renderers: formatting (numbers, durations ns→µs/ms/s, bytes, percent),
 * tables for terminal / Markdown / HTML, HTML escaping and markup helpers.
 *
 *   import { formatDurationNs, terminalTable, markdownTable, htmlTable, escapeHtml } from '../helpers.js';
 */
export * from '../util/format.js';
export * from './html.js';
export * from './table.js';
