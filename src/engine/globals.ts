/**
 * Engine globals (Cerbos's `engine.globals`, `G` / `globals` in CEL) from a YAML or JSON file: a
 * mapping of names to values.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap } from 'yaml';
import { InputError } from '../util/errors.js';
import type { Attributes } from './types.js';

/** Reads a globals file; anything but a mapping is an InputError at file:line:column. */
export async function readGlobalsFile(file: string): Promise<Attributes> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'globals file not found' : `cannot read globals file (${code ?? 'error'})`, { file });
  }
  return parseGlobals(text, file);
}

export function parseGlobals(text: string, file: string): Attributes {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    throw new InputError(`invalid YAML: ${first.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col });
  }
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw new InputError('globals must be a mapping of names to values', { file, line: 1, column: 1 });
  return doc.toJSON() as Attributes;
}
