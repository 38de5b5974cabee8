/**
 * Inputs → expressions with file positions. Text files hold one expression per line (blank lines
 * and `#` comment lines ignored, a line ending in `\` continues on the next line); Cerbos policy
 * files are read with the engine's policy-source parser (no second Cerbos parser here).
 */
import { exprPosition, parsePolicyDocuments, walkExpressions, type PolicyDocument } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import type { ExpressionInput, Position } from './analyze.js';
import { standalonePosition } from './analyze.js';
import type { ExpressionError } from './types.js';

interface Segment {
  /** offset in the expression text */
  offset: number;
  line: number;
  /** column of the segment's first character */
  column: number;
}

function segmentPosition(segments: Segment[]): (offset: number) => Position {
  return (offset) => {
    let seg = segments[0]!;
    for (const s of segments) {
      if (s.offset <= offset) seg = s;
      else break;
    }
    return { line: seg.line, column: seg.column + (offset - seg.offset) };
  };
}

/** Expressions of a text file (`file` as displayed, `-` for stdin). */
export function expressionsFromText(text: string, file: string): ExpressionInput[] {
  return [...textExpressions(text, file)];
}

/**
 * Expressions of a text file one at a time, as the caller asks for them: a large file is never
 * held as an array of lines or of inputs (fewer objects for the garbage collector to copy).
 */
export function* textExpressions(text: string, file: string): Generator<ExpressionInput> {
  const origin = { kind: 'text' as const, file };
  let start = 0;
  let lineNo = 0;
  /** the next line (without its newline and a trailing CR), or null at the end */
  const nextLine = (): string | null => {
    if (start > text.length || (start === text.length && lineNo > 0)) return null;
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = end > start && text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    lineNo++;
    return line;
  };
  for (let first = nextLine(); first !== null; first = nextLine()) {
    const trimmed = first.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const lead = first.length - first.trimStart().length;
    const firstLine = lineNo;
    let body = first.slice(lead);
    if (!CONTINUES.test(body)) {
      // the common case: one line, positions are a column offset
      const expr = body.trimEnd();
      yield { text: expr, origin, position: (offset) => ({ line: firstLine, column: lead + 1 + offset }) };
      continue;
    }
    const segments: Segment[] = [{ offset: 0, line: firstLine, column: lead + 1 }];
    let expr = '';
    for (;;) {
      if (!CONTINUES.test(body)) {
        expr += body;
        break;
      }
      expr += body.replace(CONTINUES, '') + '\n';
      const next = nextLine();
      if (next === null) break;
      body = next;
      segments.push({ offset: expr.length, line: lineNo, column: 1 });
    }
    const trimmedEnd = expr.replace(/\s+$/, '');
    if (trimmedEnd.trim() === '') continue;
    yield { text: trimmedEnd, origin, position: segmentPosition(segments) };
  }
}

/** a line ending in `\` (then optional spaces) continues on the next line */
const CONTINUES = /\\\s*$/;

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** One `--expr` value. */
export function expressionFromFlag(text: string): ExpressionInput {
  return { text, origin: { kind: 'expr', file: null }, position: standalonePosition(text) };
}

export interface PolicyExpressions {
  inputs: ExpressionInput[];
  /** a file that is not a valid policy: reported like a syntax error, analysis continues */
  errors: ExpressionError[];
  /** true for files that are not policies (Cerbos test suites / test data) */
  ignored: boolean;
}

/**
 * Every condition and variable of one Cerbos policy file (YAML or JSON). With `skipNonPolicy`
 * (files found by walking a directory) a YAML/JSON document that is not a policy at all — a
 * scenario file, request fixtures — is `ignored` instead of an error.
 */
export function expressionsFromPolicy(text: string, file: string, skipNonPolicy = false): PolicyExpressions {
  let docs: PolicyDocument[];
  try {
    docs = parsePolicyDocuments(text, file);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    if (skipNonPolicy && /^(not a Cerbos policy|the document must be a mapping|empty policy file)/.test(err.message)) {
      return { inputs: [], errors: [], ignored: true };
    }
    const line = err.location.line ?? 1;
    const column = err.location.column ?? 1;
    return {
      inputs: [],
      errors: [{ origin: { kind: 'policy', file }, expression: '', span: { line, column, endLine: line, endColumn: column }, message: err.message }],
      ignored: false,
    };
  }
  if (docs.every((d) => d.kind === 'ignored')) return { inputs: [], errors: [], ignored: true };
  const inputs: ExpressionInput[] = [];
  // one file may hold several documents (YAML `---`); each is analysed with its own scope
  for (const doc of docs) if (doc.kind !== 'ignored') addDocumentExpressions(doc, text, file, inputs);
  return { inputs, errors: [], ignored: false };
}

function addDocumentExpressions(doc: Exclude<PolicyDocument, { kind: 'ignored' }>, text: string, file: string, inputs: ExpressionInput[]): void {
  const ownScope = doc.kind === 'exportVariables' ? exportScope(doc.name) : `${file}#${doc.name}`;
  const imports = 'variables' in doc ? doc.variables.import.map(exportScope) : [];
  const variableScopes = [ownScope, ...imports];
  const knownSizes = 'constants' in doc ? constantSizes(doc.constants.local) : null;
  let lineStarts: number[] | null = null;
  for (const e of walkExpressions(doc)) {
    const source = { text: e.text, location: e.location };
    const fallback = (offset: number): Position => exprPosition(source, offset);
    let aligned: ((offset: number) => Position) | null = null;
    inputs.push({
      text: e.text,
      origin: { kind: 'policy', file, policy: e.policyName, rule: e.ownerName, role: e.kind },
      variableScopes,
      ...(e.kind === 'variable' ? { defines: { scope: ownScope, name: e.ownerName } } : { conditionPath: e.path }),
      ...(knownSizes ? { knownSizes } : {}),
      position: (offset) => {
        lineStarts ??= computeLineStarts(text);
        aligned ??= alignedPosition(text, lineStarts, e.location.line, e.location.column, e.text, fallback);
        return aligned(offset);
      },
    });
  }
}

type SizeRange = { min: number; max: number };

/**
 * Sizes of a policy's constants from their values: `C.name` → length of the list / map / string,
 * and `C.name.@items` → the range of its elements' sizes (nested maps: `C.name.key`). Null when
 * there are no sized constants.
 */
export function constantSizes(constants: Record<string, unknown>): Map<string, SizeRange> | null {
  const out = new Map<string, SizeRange>();
  const sizeOf = (v: unknown): number | null => {
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (v !== null && typeof v === 'object') return Object.keys(v).length;
    return null;
  };
  const visit = (path: string, v: unknown, depth: number): void => {
    const size = sizeOf(v);
    if (size === null || depth > 8) return;
    out.set(path, { min: size, max: size });
    if (Array.isArray(v)) {
      let min = Infinity;
      let max = -Infinity;
      for (const item of v) {
        const s = sizeOf(item);
        if (s === null) return;
        min = Math.min(min, s);
        max = Math.max(max, s);
      }
      if (v.length > 0) out.set(`${path}.@items`, { min, max });
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k)) visit(`${path}.${k}`, item, depth + 1);
    }
  };
  for (const [name, value] of Object.entries(constants)) visit(`C.${name}`, value, 0);
  return out.size ? out : null;
}

/** exportVariables documents are found by name from any policy's `variables.import`. */
function exportScope(name: string): string {
  return `export:${name}`;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

/**
 * Maps offsets in a YAML scalar's value back to the file by aligning the value with the raw
 * text from where it starts: folded (`>`) newlines, block indentation and quoted-string escapes
 * make the value differ from the raw text, so a plain "start + offset" is wrong past line one.
 * Falls back to `fallback` if the alignment fails.
 */
export function alignedPosition(
  fileText: string,
  lineStarts: number[],
  line: number,
  column: number,
  value: string,
  fallback: (offset: number) => Position,
): (offset: number) => Position {
  const start = (lineStarts[line - 1] ?? 0) + column - 1;
  const map = new Int32Array(value.length + 1);
  let f = start;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (isSpace(ch)) {
      map[i] = f;
      if (isSpace(fileText[f])) f++;
      continue;
    }
    let k = f;
    const limit = Math.min(fileText.length, f + 400);
    while (k < limit && fileText[k] !== ch) k++;
    if (k >= limit) return fallback;
    map[i] = k;
    f = k + 1;
  }
  map[value.length] = f;
  const toPosition = (fileOffset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= fileOffset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: fileOffset - lineStarts[lo]! + 1 };
  };
  return (offset) => {
    const o = Math.max(0, Math.min(offset, value.length));
    // an end offset maps just past the previous character (not onto following indentation)
    if (o > 0 && (o === value.length || isSpace(value[o]))) {
      const p = toPosition(map[o - 1]!);
      return { line: p.line, column: p.column + 1 };
    }
    return toPosition(map[o]!);
  };
}

/** Policy files by extension; everything else is read as an expression text file. */
export function isPolicyFile(file: string): boolean {
  return /\.(ya?ml|json)$/i.test(file);
}
