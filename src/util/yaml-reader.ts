/**
 * Typed reads of a parsed YAML document (the `yaml` package's node tree), shared by the policy
 * parser (engine/policy-source.ts) and the scenario parser: every failure is an InputError at the offending node's
 * file:line:column.
 */
import { isMap, isScalar, type LineCounter, type Node as YamlNode, type YAMLMap } from 'yaml';
import { InputError } from './errors.js';

export class YamlReader {
  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  /** 1-based line and column of a node (of the document start when the node is missing). */
  position(node: YamlNode | null | undefined): { line: number; column: number } {
    const pos = this.lines.linePos(node?.range?.[0] ?? 0);
    return { line: Math.max(1, pos.line), column: Math.max(1, pos.col) };
  }

  error(node: YamlNode | null | undefined, message: string): InputError {
    return new InputError(message, { file: this.file, ...this.position(node) });
  }

  map(node: YamlNode | null | undefined, what: string): YAMLMap {
    if (!isMap(node)) throw this.error(node, `${what} must be a mapping`);
    return node;
  }

  has(m: YAMLMap, key: string): boolean {
    return m.items.some((pair) => isScalar(pair.key) && pair.key.value === key);
  }

  get(m: YAMLMap, key: string): YamlNode | null {
    for (const pair of m.items) if (isScalar(pair.key) && pair.key.value === key) return (pair.value as YamlNode | null) ?? null;
    return null;
  }

  keyName(key: YamlNode | null, what: string): string {
    if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) throw this.error(key, `${what}: keys must be strings`);
    return String(key.value);
  }

  /** Rejects keys outside `allowed` so a typo is an error, not a silently ignored field. */
  only(m: YAMLMap, allowed: readonly string[], what: string): void {
    for (const pair of m.items) {
      const key = this.keyName(pair.key as YamlNode, what);
      if (!allowed.includes(key)) throw this.error(pair.key as YamlNode, `${what}: unknown field "${key}" (expected one of ${allowed.join(', ')})`);
    }
  }
}
