/**
 * The import rules of docs/ARCHITECTURE.md, checked on the source: every relative import and
 * re-export of src/ (static, type-only and dynamic `import()`, and modules started by file URL
 * such as a child process's entry) is an arrow; the arrows form no cycle, between files or between
 * rooms (the folders under src/; between files, a process entry may import the module that starts
 * it); no room imports src/cli/ or src/report/ (report imports the
 * rooms' section types); outside src/engine/, the engine is imported only through engine/index.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

interface Arrow {
  from: string;
  to: string;
  /** import: loaded with the file; start: run as another process's entry (node:cluster, a child) */
  kind: 'import' | 'start';
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** `src/`-relative path of a module specifier written in `file` (.js → .ts), or null for a package. */
function target(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return path.relative(SRC, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
}

/** Imports and re-exports (TypeScript's own scanner), plus `new URL('./x.js', import.meta.url)`. */
export function arrowsOf(file: string, text: string): Arrow[] {
  const from = path.relative(SRC, file);
  const imported = ts.preProcessFile(text, true, true).importedFiles.map((f) => ({ specifier: f.fileName, kind: 'import' as const }));
  const started = [...text.matchAll(/new URL\(\s*'(\.[^']+\.js)'\s*,\s*import\.meta\.url\s*\)/g)].map((m) => ({ specifier: m[1]!, kind: 'start' as const }));
  return [...imported, ...started].flatMap(({ specifier, kind }) => {
    const to = target(file, specifier);
    return to === null ? [] : [{ from, to, kind }];
  });
}

/** The folder under src/ a file belongs to ('' for a file directly in src/). */
const roomOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '');

/** Every cycle found by a depth-first walk, each as its path (first node repeated at the end). */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

function graph(arrows: readonly Arrow[], key: (file: string) => string): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const a of arrows) {
    const from = key(a.from);
    const to = key(a.to);
    if (from === to && key !== identity) continue;
    const list = edges.get(from) ?? [];
    if (!list.includes(to)) list.push(to);
    edges.set(from, list);
  }
  return edges;
}
const identity = (s: string): string => s;

const files = sourceFiles(SRC);
const arrows = files.flatMap((f) => arrowsOf(f, readFileSync(f, 'utf8')));
const describe = (list: readonly Arrow[]): string => list.map((a) => `${a.from} → ${a.to}`).join('\n');

test('the scanner sees static, type-only, dynamic and file-URL imports, and no package imports', () => {
  const file = path.join(SRC, 'load/x.ts');
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../engine/types.js';",
    "export { c } from '../util/c.js';",
    "const d = await import('../serve/run.js');",
    "const e = new URL('../serve/child-entry.js', import.meta.url);",
    "import grpc from '@grpc/grpc-js';",
  ].join('\n');
  assert.deepEqual(
    arrowsOf(file, text).map((a) => `${a.kind} ${a.to}`).sort(),
    ['import engine/types.ts', 'import load/a.ts', 'import serve/run.ts', 'import util/c.ts', 'start serve/child-entry.ts'],
  );
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c', 'a']]);
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', []], ['c', ['b']]])), []);
});

test('src/ has source files and imports to check', () => {
  assert.ok(files.length > 100, `${files.length} files`);
  assert.ok(arrows.length > 500, `${arrows.length} arrows`);
  for (const a of arrows) assert.ok(files.includes(path.join(SRC, a.to)), `${a.from} imports ${a.to}, which does not exist`);
});

test('no import cycle between files (a process entry may import the module that starts it)', () => {
  assert.deepEqual(cycles(graph(arrows.filter((a) => a.kind === 'import'), identity)).map((c) => c.join(' → ')), []);
});

test('no import cycle between rooms (the folders under src/)', () => {
  assert.deepEqual(cycles(graph(arrows, roomOf)).map((c) => c.join(' → ')), []);
});

test('no room imports src/cli/', () => {
  assert.equal(describe(arrows.filter((a) => roomOf(a.from) !== 'cli' && roomOf(a.to) === 'cli')), '');
});

test('only src/cli/ imports src/report/', () => {
  assert.equal(describe(arrows.filter((a) => roomOf(a.from) !== 'cli' && roomOf(a.from) !== 'report' && roomOf(a.to) === 'report')), '');
});

test('outside src/engine/, the engine is imported only through engine/index.ts', () => {
  assert.equal(describe(arrows.filter((a) => roomOf(a.from) !== 'engine' && roomOf(a.to) === 'engine' && a.to !== 'engine/index.ts')), '');
});

test('the engine and util import no room', () => {
  assert.equal(describe(arrows.filter((a) => roomOf(a.from) === 'engine' && !['engine', 'util'].includes(roomOf(a.to)))), '');
  assert.equal(describe(arrows.filter((a) => roomOf(a.from) === 'util' && roomOf(a.to) !== 'util')), '');
});
