/**
 * Engine globals (Cerbos's `engine.globals`, `G` / `globals` in CEL) from YAML or JSON: a mapping
 * of names to values. As in Cerbos, an integer written without a decimal point or exponent is a
 * CEL int (a bigint here), so `4.0 * G.limit` is a type error there and here alike.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { InputError } from '../util/errors.js';
import type { GlobalValue, Globals } from './types.js';

/** Reads a globals file; anything but a mapping is an InputError at file:line:column. */
export async function readGlobalsFile(file: string): Promise<Globals> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'globals file not found' : `cannot read globals file (${code ?? 'error'})`, { file });
  }
  return parseGlobals(text, file);
}

export function parseGlobals(text: string, file: string): Globals {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    throw new InputError(`invalid YAML: ${first.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col });
  }
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw new InputError('globals must be a mapping of names to values', { file, line: 1, column: 1 });
  return globalsFromYaml(doc.contents, text);
}

const INTEGER = /^[-+]?(?:0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+)$/;

/** A parsed YAML mapping (`text` is the source it was parsed from) as globals. */
export function globalsFromYaml(node: YamlNode, text: string): Globals {
  return toGlobal(node, text) as Globals;
}

function toGlobal(node: YamlNode | null, text: string): GlobalValue {
  if (node === null) return null;
  if (isMap(node)) {
    const out: Record<string, GlobalValue> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      Object.defineProperty(out, key, { value: toGlobal(pair.value as YamlNode | null, text), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => toGlobal(item as YamlNode | null, text));
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number' && Number.isInteger(v) && node.range && INTEGER.test(text.slice(node.range[0], node.range[1]).trim())) return BigInt(v);
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' || typeof v === 'bigint') return v;
    return String(v);
  }
  return (node as { toJSON(): GlobalValue }).toJSON();
}
