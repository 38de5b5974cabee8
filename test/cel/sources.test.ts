import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { constantSizes, expressionsFromPolicy, expressionsFromText } from '../../src/cel/sources.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8');

test('text files: blank lines and # comments are skipped, positions are file lines', () => {
  const inputs = expressionsFromText('# comment\n\n  a == 1\n   # indented comment\nb\n', 'f.cel');
  assert.deepEqual(
    inputs.map((i) => [i.text, i.position(0)]),
    [
      ['a == 1', { line: 3, column: 3 }],
      ['b', { line: 5, column: 1 }],
    ],
  );
  assert.deepEqual(inputs[0]!.origin, { kind: 'text', file: 'f.cel' });
});

test('text files: a trailing backslash continues the expression, offsets map into the continuation lines', () => {
  const [e, next] = expressionsFromText('a && \\\r\n  b.c == 1 \\\n  || d\nz\n', 'f.cel');
  assert.equal(e!.text, 'a && \n  b.c == 1 \n  || d');
  assert.deepEqual(e!.position(e!.text.indexOf('b.c')), { line: 2, column: 3 });
  assert.deepEqual(e!.position(e!.text.indexOf('d')), { line: 3, column: 6 });
  assert.equal(next!.text, 'z');
  assert.deepEqual(next!.position(0), { line: 4, column: 1 });
});

test('text files: a continuation at end of file ends the expression; CRLF is handled', () => {
  const inputs = expressionsFromText('x \\', '-');
  assert.deepEqual(inputs.map((i) => i.text), ['x']);
  assert.deepEqual(expressionsFromText('a\r\nb\r\n', '-').map((i) => i.text), ['a', 'b']);
});

test('policy files: every condition (nested all/any) and variable, with rule names and kinds', () => {
  const r = expressionsFromPolicy(fixture('cel-policies/album.yaml'), 'album.yaml');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.inputs.map((i) => [i.origin.rule, i.origin.role, i.position(0).line]),
    [
      ['is_owner', 'variable', 10],
      ['shared_groups', 'variable', 11],
      ['view-public', 'condition', 19],
      ['edit-member', 'condition', 29],
      ['edit-member', 'condition', 31],
      ['tag-admin', 'condition', 40],
      ['tag-admin', 'condition', 41],
      ['share', 'condition', 48],
    ],
  );
});

test('policy files: positions inside folded blocks, literal blocks and quoted strings point into the file', () => {
  const album = expressionsFromPolicy(fixture('cel-policies/album.yaml'), 'album.yaml').inputs;
  const folded = album[3]!;
  assert.deepEqual(folded.position(0), { line: 29, column: 19 });
  assert.deepEqual(folded.position(folded.text.indexOf('t.members')), { line: 30, column: 21 });
  const quoted = album[5]!;
  assert.equal(quoted.text, 'R.attr.name.matches("^admin-")');
  assert.deepEqual(quoted.position(0), { line: 40, column: 24 });
  // past the escaped quote: file column counts the backslash
  assert.deepEqual(quoted.position(quoted.text.indexOf('^')), { line: 40, column: 46 });
  const roles = expressionsFromPolicy(fixture('cel-policies/nested/roles.yaml'), 'roles.yaml').inputs;
  const literal = roles[0]!;
  assert.deepEqual(literal.position(literal.text.indexOf('R.attr.owner.manager')), { line: 11, column: 18 });
});

test('policy files: an invalid policy is a per-file error with its position; test suites are ignored', () => {
  const bad = expressionsFromPolicy('resourcePolicy:\n  resource: x\n  rules: 3\n', 'bad.yaml');
  assert.equal(bad.inputs.length, 0);
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0]!.span.line, 3);
  assert.match(bad.errors[0]!.message, /rules must be a list/);
  assert.equal(expressionsFromPolicy(fixture('cel-policies/nested/album_test.yaml'), 'album_test.yaml').ignored, true);
});

test('policy constants: their sizes come from their values and reach every expression of the policy', () => {
  assert.deepEqual(
    [...(constantSizes({ classes: ['pii', 'secret'], max: 3, name: 'abc', nested: { list: [[1, 2], [3]] } }) ?? [])],
    [
      ['C.classes', { min: 2, max: 2 }],
      ['C.classes.@items', { min: 3, max: 6 }],
      ['C.name', { min: 3, max: 3 }],
      ['C.nested', { min: 1, max: 1 }],
      ['C.nested.list', { min: 2, max: 2 }],
      ['C.nested.list.@items', { min: 1, max: 2 }],
    ],
  );
  assert.equal(constantSizes({ n: 1, b: true }), null);
  const yaml = [
    'apiVersion: api.cerbos.dev/v1',
    'resourcePolicy:',
    '  version: default',
    '  resource: doc',
    '  constants:',
    '    local:',
    '      classes: [pii, secret]',
    '  rules:',
    '    - actions: [view]',
    '      effect: EFFECT_ALLOW',
    '      roles: [user]',
    '      condition:',
    '        match:',
    '          expr: P.attr.c in C.classes',
    '',
  ].join('\n');
  const [input] = expressionsFromPolicy(yaml, 'doc.yaml').inputs;
  assert.deepEqual(input!.knownSizes?.get('C.classes'), { min: 2, max: 2 });
});

test('a policy file: rule outputs are analysed too, named by their rule and marked as outputs', () => {
  const text = `resourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - name: viewers\n      actions: [view]\n      effect: EFFECT_ALLOW\n      roles: [user]\n      condition:\n        match:\n          expr: R.attr.x == 1\n      output:\n        when:\n          ruleActivated: '{"who": P.id}'\n`;
  const { inputs, errors } = expressionsFromPolicy(text, 'doc.yaml');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    inputs.map((i) => [i.text, i.origin.kind === 'policy' ? i.origin.role : '', i.position(0).line]),
    [
      ['R.attr.x == 1', 'condition', 11],
      ['{"who": P.id}', 'output', 14],
    ],
  );
});
