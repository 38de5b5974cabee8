/**
 * Source positions for JSON text: where a syntax error is (V8's messages do not always say) and
 * where the value at a JSON pointer starts (to point schema errors at a line). A small strict
 * RFC 8259 scanner; it only runs after JSON.parse or validation has already failed.
 */

import { textPosition } from '../util/text-position.js';

export interface JsonPosition {
  offset: number;
  /** 1-based */
  line: number;
  /** 1-based, in UTF-16 code units */
  column: number;
}

class Failure {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {}
}

class Scanner {
  i = 0;

  constructor(
    readonly text: string,
    readonly wantPointer?: string,
  ) {}

  fail(expected: string): never {
    throw new Failure(this.i, expected);
  }

  ws(): void {
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  value(pointer: string): void {
    this.ws();
    if (this.wantPointer === pointer) throw new Found(this.i);
    const c = this.text[this.i];
    if (c === '{') return this.object(pointer);
    if (c === '[') return this.array(pointer);
    if (c === '"') return void this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    this.fail(c === undefined ? 'a value, found the end of the input' : 'a value (object, array, string, number, true, false or null)');
  }

  object(pointer: string): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail('a double-quoted property name');
      const key = this.string();
      this.ws();
      if (this.text[this.i] !== ':') this.fail("':' after the property name");
      this.i++;
      this.value(`${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      this.ws();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return;
      }
      this.fail("',' or '}' after a property value");
    }
  }

  array(pointer: string): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (let n = 0; ; n++) {
      this.value(`${pointer}/${n}`);
      this.ws();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return;
      }
      this.fail("',' or ']' after an array element");
    }
  }

  string(): string {
    const start = ++this.i;
    let out = '';
    let chunk = start;
    for (;;) {
      if (this.i >= this.text.length) this.fail('a closing \'"\' (unterminated string)');
      const c = this.text.charCodeAt(this.i);
      if (c === 0x22) {
        out += this.text.slice(chunk, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('no raw control character inside a string');
      if (c === 0x5c) {
        out += this.text.slice(chunk, this.i);
        const e = this.text[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) this.fail('four hex digits after \\u');
          out += String.fromCharCode(parseInt(this.text.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e === undefined || map[e] === undefined) this.fail('a valid escape sequence');
          out += map[e]!;
          this.i += 2;
        }
        chunk = this.i;
        continue;
      }
      this.i++;
    }
  }

  number(): void {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (!m) this.fail('a number');
    this.i += m[0].length;
  }

  document(): void {
    this.value('');
    this.ws();
    if (this.i < this.text.length) this.fail('the end of the input after the top-level value');
  }
}

class Found {
  constructor(readonly offset: number) {}
}

/** Line and column of a character offset. */
export function positionOf(text: string, offset: number): JsonPosition {
  return { offset, ...textPosition(text, offset) };
}

/** The first syntax error in `text` with what was expected there; undefined for valid JSON. */
export function findJsonSyntaxError(text: string): (JsonPosition & { expected: string }) | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.document();
    return undefined;
  } catch (err) {
    if (err instanceof Failure) return { ...positionOf(text, err.offset), expected: err.expected };
    throw err;
  }
}

/** Where the value at a JSON pointer (`/environment/cores`, `` for the root) starts in valid JSON text. */
export function locateJsonPointer(text: string, pointer: string): JsonPosition | undefined {
  const scanner = new Scanner(text, pointer);
  try {
    scanner.document();
    return undefined;
  } catch (err) {
    if (err instanceof Found) return positionOf(text, err.offset);
    return undefined;
  }
}
