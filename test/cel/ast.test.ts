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

test('every kind exposes its own fields (one node class: the named fields are slots underneath)', () => {
  /** the root of `src`, which must be of `kind` */
  const of = <K extends CelNode['kind']>(src: string, kind: K): CelNode & { kind: K } => {
    const n = parseCel(src);
    assert.equal(n.kind, kind, src);
    return n as CelNode & { kind: K };
  };
  const sel = of('a.b', 'select');
  assert.deepEqual([sel.field, sel.optional, sel.operand.kind], ['b', false, 'ident']);
  const idx = of('a["k"]', 'index');
  assert.deepEqual([idx.optional, idx.operand.kind, idx.index.kind], [false, 'ident', 'literal']);
  const bin = of('x in y', 'binary');
  assert.deepEqual([bin.op, bin.left.kind, bin.right.kind], ['in', 'ident', 'ident']);
  const and = of('x && f()', 'and');
  assert.deepEqual([and.left.kind, and.right.kind], ['ident', 'call']);
  const tern = of('c ? 1 : f()', 'ternary');
  assert.deepEqual([tern.cond.kind, tern.then.kind, tern.else.kind], ['ident', 'literal', 'call']);
  assert.equal(of('-x', 'neg').operand.kind, 'ident');
  assert.equal(of('!f()', 'not').operand.kind, 'call');
  assert.equal(of('has(m.n)', 'has').operand.kind, 'select');
  assert.equal(of('abc', 'ident').name, 'abc');
  const map = of('{1: "two"}', 'map');
  assert.deepEqual(map.entries.map(([k, v]) => [k.kind, v.kind]), [['literal', 'literal']]);
  const list = of('[true, null, 2.5, 3u, 4, b"ab", "çé"]', 'list');
  assert.deepEqual(
    list.elements.map((e) => (e.kind === 'literal' ? [e.type, e.value, e.size] : e.kind)),
    [['bool', true, 1], ['null', null, 1], ['double', 2.5, 1], ['uint', 3, 1], ['int', 4, 1], ['bytes', 'b[2]', 2], ['string', 'çé', 2]],
  );
  const mapMacro = of('xs.map(v, v > 0, v * 2)', 'comprehension');
  assert.deepEqual([mapMacro.macro, mapMacro.iterVar, mapMacro.range.kind, mapMacro.predicate?.kind, mapMacro.transform?.kind], ['map', 'v', 'ident', 'binary', 'binary']);
  assert.equal(mapMacro.transform && (mapMacro.transform as CelNode & { kind: 'binary' }).op, '*');
  const one = of('[1].exists_one(i, i != 0)', 'comprehension');
  assert.deepEqual([one.macro, one.iterVar, one.range.kind, one.predicate?.kind, one.transform], ['exists_one', 'i', 'list', 'binary', null]);
  const bind = of('cel.bind(w, f(1), w.g(2))', 'bind');
  assert.deepEqual([bind.varName, bind.init.kind, bind.body.kind], ['w', 'call', 'call']);
  const method = of('w.g(2)', 'call');
  assert.deepEqual([method.fn, method.target?.kind, method.args.map((a) => a.kind)], ['g', 'ident', ['literal']]);
  const plain = of('f(1, x)', 'call');
  assert.deepEqual([plain.fn, plain.target, plain.args.map((a) => a.kind)], ['f', null, ['literal', 'ident']]);
});
