import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlKeyValue, htmlTable, markdownCode, markdownTable, paint, terminalTable } from '../../src/report/table.js';
import { escapeHtml, htmlBadge, rawHtml } from '../../src/report/html.js';

const ANSI = /\u001b\[/;
const spec = { head: ['task', 'ops/s'], rows: [['check | cached', '12.3k'], ['miss', null]] };

test('terminal table: plain without colour, styled with it', () => {
  const plain = terminalTable(spec, { color: false });
  assert.doesNotMatch(plain, ANSI);
  assert.match(plain, /check \| cached/);
  assert.match(plain, /│ miss\s+│\s+– │/);
  assert.match(terminalTable(spec, { color: true }), ANSI);
  assert.doesNotMatch(paint({ color: false }).red('x'), ANSI);
  assert.match(paint({ color: true }).red('x'), ANSI);
});

test('markdown table escapes pipes and right-aligns numeric columns', () => {
  const md = markdownTable(spec);
  assert.equal(md.split('\n')[1], '| --- | ---: |');
  assert.match(md, /\| check \\\| cached \| 12\.3k \|/);
  assert.equal(markdownCode('a`b'), '``a`b``');
});

test('html table escapes text cells and keeps raw markup', () => {
  const html = htmlTable({ head: ['<h>', 'v'], rows: [['<script>', rawHtml(htmlBadge('FAIL', 'bad'))]] });
  assert.match(html, /&lt;script&gt;/);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /<span class="badge badge-bad">FAIL<\/span>/);
  assert.match(htmlKeyValue([['a&b', 1]]), /<th>a&amp;b<\/th><td>1<\/td>/);
  assert.equal(escapeHtml(`"'&`), '&quot;&#39;&amp;');
});
