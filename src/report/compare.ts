/**
 * Side-by-side comparison of two reports of the same command: every headline present in both,
 * joined on its key, with the change in percent and whether it moved the better way.
 */
import type { Environment, Report } from './types.js';
import type { Headline } from './render-types.js';
import { InputError } from '../util/errors.js';
import { formatBytes } from '../util/format.js';

/** 'unchanged' when the change is within ±thresholdPercent. */
export type Verdict = 'better' | 'worse' | 'unchanged';

export interface HeadlineComparison {
  key: string;
  label: string;
  unit: string;
  better: Headline['better'];
  a: number;
  b: number;
  /** (b − a) / |a| × 100; null when a is 0 and b is not (no meaningful percentage) */
  changePercent: number | null;
  verdict: Verdict;
}

export interface ComparedRun {
  /** file name as given */
  file: string;
  startedAt: string;
  version: string;
  gitSha: string | null;
  interrupted: boolean;
}

export interface ReportComparison {
  kind: 'comparison';
  command: Report['command'];
  /** A: the first file (baseline) */
  a: ComparedRun;
  /** B: the second file (candidate) */
  b: ComparedRun;
  thresholdPercent: number;
  rows: HeadlineComparison[];
  onlyInA: Headline[];
  onlyInB: Headline[];
  /** host differences that make figures less comparable, e.g. "cores: 2 → 8" */
  environmentDifferences: string[];
  summary: { better: number; worse: number; unchanged: number };
}

export interface CompareInput {
  report: Report;
  file: string;
  headlines: Headline[];
}

/** Default band within which a change counts as unchanged (run-to-run noise). */
export const DEFAULT_THRESHOLD_PERCENT = 1;

export function changePercent(a: number, b: number): number | null {
  if (a === b) return 0;
  if (a === 0) return null;
  return ((b - a) / Math.abs(a)) * 100;
}

export function verdictOf(change: number | null, a: number, b: number, better: Headline['better'], thresholdPercent: number): Verdict {
  if (change !== null && Math.abs(change) <= thresholdPercent) return 'unchanged';
  const up = change !== null ? change > 0 : b > a;
  return up === (better === 'higher') ? 'better' : 'worse';
}

function run(input: CompareInput): ComparedRun {
  return {
    file: input.file,
    startedAt: input.report.startedAt,
    version: input.report.version,
    gitSha: input.report.environment.gitSha,
    interrupted: input.report.interrupted === true,
  };
}

function environmentDifferences(a: Environment, b: Environment): string[] {
  const out: string[] = [];
  const field = (name: string, x: string | number | boolean | null, y: string | number | boolean | null): void => {
    if (x !== y) out.push(`${name}: ${String(x)} → ${String(y)}`);
  };
  field('CPU', a.cpuModel, b.cpuModel);
  field('cores', a.cores, b.cores);
  if (a.totalMemoryBytes !== b.totalMemoryBytes) out.push(`memory: ${formatBytes(a.totalMemoryBytes)} → ${formatBytes(b.totalMemoryBytes)}`);
  field('Node.js', a.nodeVersion, b.nodeVersion);
  field('OS', a.os, b.os);
  field('load generator on target host', a.loadGeneratorSharedHost, b.loadGeneratorSharedHost);
  return out;
}

/** Only reports of the same command compare; anything else is an InputError naming both. */
export function assertSameCommand(a: { report: Report; file: string }, b: { report: Report; file: string }): void {
  if (a.report.command !== b.report.command) {
    throw new InputError(
      `cannot compare a ${a.report.command} report with a ${b.report.command} report (${b.file}); give two reports of the same command`,
      { file: a.file },
    );
  }
}

/** Compares B against A. Reports of different commands are an InputError. */
export function compareReports(a: CompareInput, b: CompareInput, thresholdPercent = DEFAULT_THRESHOLD_PERCENT): ReportComparison {
  assertSameCommand(a, b);
  const bByKey = new Map<string, Headline>();
  for (const h of b.headlines) if (!bByKey.has(h.key)) bByKey.set(h.key, h);
  const aKeys = new Set<string>();
  const rows: HeadlineComparison[] = [];
  const onlyInA: Headline[] = [];
  for (const h of a.headlines) {
    if (aKeys.has(h.key)) continue;
    aKeys.add(h.key);
    const other = bByKey.get(h.key);
    if (!other) {
      onlyInA.push(h);
      continue;
    }
    const change = changePercent(h.value, other.value);
    rows.push({
      key: h.key,
      label: h.label,
      unit: h.unit,
      better: h.better,
      a: h.value,
      b: other.value,
      changePercent: change,
      verdict: verdictOf(change, h.value, other.value, h.better, thresholdPercent),
    });
  }
  const onlyInB = [...bByKey.values()].filter((h) => !aKeys.has(h.key));
  const summary = { better: 0, worse: 0, unchanged: 0 };
  for (const r of rows) summary[r.verdict]++;
  return {
    kind: 'comparison',
    command: a.report.command,
    a: run(a),
    b: run(b),
    thresholdPercent,
    rows,
    onlyInA,
    onlyInB,
    environmentDifferences: environmentDifferences(a.report.environment, b.report.environment),
    summary,
  };
}
