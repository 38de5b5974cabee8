/** Helpers shared by the explain tests: saved fixture plans and tiny synthetic plans. */
import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from '../../src/util/version.js';
import { parsePlanJson, type ParsedPlan } from '../../src/query/plan.js';

export const FIXTURE_DIR = `${PACKAGE_ROOT}test/fixtures/explain-plans/`;

export function fixturePlan(name: string): ParsedPlan {
  return parsePlanJson(JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.json`, 'utf8')));
}

export type RawNode = Record<string, unknown> & { 'Node Type': string; Plans?: RawNode[] };

/** A node with ANALYZE figures: per-loop rows/time like PostgreSQL prints them. */
export function node(type: string, fields: Record<string, unknown>, children: RawNode[] = []): RawNode {
  return {
    'Node Type': type,
    'Startup Cost': 0,
    'Total Cost': 100,
    'Plan Rows': 10,
    'Plan Width': 32,
    'Actual Startup Time': 0,
    'Actual Total Time': 1,
    'Actual Rows': 10,
    'Actual Loops': 1,
    ...fields,
    ...(children.length ? { Plans: children } : {}),
  };
}

export function plan(root: RawNode, executionTimeMs?: number): ParsedPlan {
  return parsePlanJson([{ Plan: root, 'Planning Time': 0.1, 'Execution Time': executionTimeMs ?? (root['Actual Total Time'] as number) }]);
}
