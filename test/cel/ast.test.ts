import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCel, CelSyntaxError, type CelNode } from '../../src/cel/ast.js';

function text(src: string, n: CelNode): string {
  return src.slice(n.start, n.end);
}

test('spans of binary nodes include a parenthesised left operand', () => {
  const src = '(a || b) && c';
  const root = parseCel(src);
  assert.equal(root.kind, 'and');
  assert.equal(text(src, root), '(a || b) && c');
  if (root.kind !== 'and') return;
  assert.equal(text(src, root.left), 'a || b');
  assert.equal(text(src, root.right), 'c');
});

test('spans stay balanced through selects on parenthesised operands and parens in strings', () => {
  const src = '(x).y == ")(" && f((1 + 2)) > 0';
  const root = parseCel(src);
  if (root.kind !== 'and') return assert.fail('expected &&');
  assert.equal(text(src, root.left), '(x).y == ")("');
  assert.equal(text(src, root.right), 'f((1 + 2)) > 0');
});

test('every node span is a balanced verbatim sub-expression that parses on its own', () => {
  const src = 'R.attr.groups.exists(g, (g.members.exists(m, (m == P.id)) || g.public)) && ((size(R.attr.x) + 1) * 2 > 3)';
  const visit = (n: CelNode): void => {
    const t = text(src, n);
    assert.doesNotThrow(() => parseCel(t), `span "${t}" does not parse`);
    for (const c of n.children) visit(c);
  };
  visit(parseCel(src));
});

test('macros become comprehensions; has and cel.bind are recognised', () => {
  const root = parseCel('R.attr.l.map(x, x > 1, x * 2).size() > 0 && has(R.attr.a) && cel.bind(v, 1, v + 1) == 2');
  const kinds: string[] = [];
  const visit = (n: CelNode): void => {
    kinds.push(n.kind === 'comprehension' ? `comprehension:${n.macro}` : n.kind);
    for (const c of n.children) visit(c);
  };
  visit(root);
  assert.ok(kinds.includes('comprehension:map'));
  assert.ok(kinds.includes('has'));
  assert.ok(kinds.includes('bind'));
});

test('syntax errors carry the offending offset range', () => {
  assert.throws(
    () => parseCel('a && (b'),
    (e: unknown) => e instanceof CelSyntaxError && e.start === 7 && /Expected RPAREN/.test(e.message),
  );
  assert.throws(() => parseCel('bad &&& x'), (e: unknown) => e instanceof CelSyntaxError && e.start === 6);
  assert.throws(() => parseCel('"unterminated'), CelSyntaxError);
});
