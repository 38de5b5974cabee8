/**
 * Test results as `cerbos compile` prints them: a tree (failed checks only, every check with
 * `verbose`), a JSON document (suites → testCases → principals → resources → actions, with
 * RESULT_PASSED / RESULT_FAILED / RESULT_SKIPPED and a summary per suite) and JUnit XML (a
 * testcase per action, classname `principal.resource.action`, name the test's).
 */
import { relative } from 'node:path';
import { canonicalJson, type ActionOutcome, type TestCounts, type TestRunResults } from './run.js';

interface TreeNode {
  label: string;
  children: TreeNode[];
}

export function renderTree(results: TestRunResults, options: { verbose: boolean; baseDir: string }): string {
  const roots: TreeNode[] = [];
  for (const suite of results.suites) {
    const suiteNode: TreeNode = { label: `${suite.name} (${relative(options.baseDir, suite.file)}) ${countsLabel(suite.counts)}`, children: [] };
    for (const test of suite.tests) {
      const testNode: TreeNode = { label: test.skipped ? `${test.name} [SKIPPED]` : test.name, children: [] };
      for (const p of test.principals) {
        const pNode: TreeNode = { label: p.name, children: [] };
        for (const r of p.resources) {
          const rNode: TreeNode = { label: r.name, children: [] };
          for (const a of r.actions) if (options.verbose || !a.passed) rNode.children.push(actionNode(a));
          if (rNode.children.length > 0) pNode.children.push(rNode);
        }
        if (pNode.children.length > 0) testNode.children.push(pNode);
      }
      if (testNode.children.length > 0 || (test.skipped && options.verbose)) suiteNode.children.push(testNode);
    }
    roots.push(suiteNode);
  }
  const lines = ['Test results'];
  roots.forEach((node, i) => drawTree(node, '', i === roots.length - 1, lines));
  lines.push('', `${results.counts.total} tests executed ${countsLabel(results.counts)}`);
  return lines.join('\n') + '\n';
}

function actionNode(a: ActionOutcome): TreeNode {
  if (a.passed) return { label: `${a.action} [OK]`, children: [{ label: `RESULT: ${a.actual}`, children: [] }] };
  const children: TreeNode[] = [];
  if (a.expected !== a.actual) children.push({ label: `OUTCOME: expected: ${a.expected}, actual: ${a.actual}`, children: [] });
  if (a.outputMismatches) {
    children.push({
      label: 'OUTCOME: output expectation unsatisfied',
      children: a.outputMismatches.map((m) => ({
        label: m.src,
        children: [
          { label: `EXPECTED: ${canonicalJson(m.expected)}`, children: [] },
          { label: `ACTUAL: ${'actual' in m ? canonicalJson(m.actual) : 'MISSING'}`, children: [] },
        ],
      })),
    });
  }
  return { label: `${a.action} [FAILED]`, children };
}

function drawTree(node: TreeNode, prefix: string, last: boolean, out: string[]): void {
  out.push(`${prefix}${last ? '└─' : '├─'}${node.children.length > 0 ? '┬' : '─'}${node.label}`);
  const childPrefix = prefix + (last ? '  ' : '│ ');
  node.children.forEach((c, i) => drawTree(c, childPrefix, i === node.children.length - 1, out));
}

function countsLabel(c: TestCounts): string {
  const parts = [`[${c.passed} OK]`];
  if (c.failed > 0) parts.push(`[${c.failed} FAILED]`);
  if (c.skipped > 0) parts.push(`[${c.skipped} SKIPPED]`);
  return parts.join(' ');
}

type ResultName = 'RESULT_PASSED' | 'RESULT_FAILED' | 'RESULT_SKIPPED';

function summary(c: TestCounts): { overallResult: ResultName; testsCount: number; resultCounts: Array<{ result: ResultName; count: number }> } {
  const resultCounts: Array<{ result: ResultName; count: number }> = [];
  if (c.passed > 0) resultCounts.push({ result: 'RESULT_PASSED', count: c.passed });
  if (c.failed > 0) resultCounts.push({ result: 'RESULT_FAILED', count: c.failed });
  if (c.skipped > 0) resultCounts.push({ result: 'RESULT_SKIPPED', count: c.skipped });
  const overallResult: ResultName = c.failed > 0 ? 'RESULT_FAILED' : c.passed > 0 ? 'RESULT_PASSED' : 'RESULT_SKIPPED';
  return { overallResult, testsCount: c.total, resultCounts };
}

/** The JSON document `cerbos compile -o json` writes, with the files relative to `baseDir`. */
export function toJsonResults(results: TestRunResults, baseDir: string): unknown {
  return {
    suites: results.suites.map((suite) => ({
      file: relative(baseDir, suite.file),
      name: suite.name,
      ...(suite.description ? { description: suite.description } : {}),
      summary: summary(suite.counts),
      testCases: suite.tests.map((test) => ({
        name: test.name,
        ...(test.skipped ? { skipped: true } : {}),
        principals: test.principals.map((p) => ({
          name: p.name,
          resources: p.resources.map((r) => ({ name: r.name, actions: r.actions.map((a) => ({ name: a.action, details: actionDetails(a) })) })),
        })),
      })),
    })),
    summary: summary(results.counts),
  };
}

function actionDetails(a: ActionOutcome): unknown {
  const outputs = a.outputs?.map((o) => ({ ...o, action: a.action }));
  if (a.passed) return { result: 'RESULT_PASSED', success: { effect: a.actual, ...(outputs ? { outputs } : {}) } };
  const mismatches = a.outputMismatches?.map((m) =>
    'actual' in m ? { src: m.src, mismatched: { expected: m.expected, actual: m.actual } } : { src: m.src, missing: { expected: m.expected } },
  );
  return { result: 'RESULT_FAILED', failure: { expected: a.expected, actual: a.actual, ...(mismatches ? { outputs: mismatches } : {}) } };
}

const xml = (s: string): string => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** JUnit XML: a testsuite per suite, a testcase per principal × resource × action. */
export function toJunit(results: TestRunResults, baseDir: string): string {
  const c = results.counts;
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites errors="0" failures="${c.failed}" skipped="${c.skipped}" tests="${c.total}">`];
  for (const suite of results.suites) {
    const file = xml(relative(baseDir, suite.file));
    const s = suite.counts;
    out.push(`  <testsuite description="${xml(suite.description)}" name="${xml(suite.name)}" file="${file}" errors="0" failures="${s.failed}" skipped="${s.skipped}" tests="${s.total}">`);
    for (const test of suite.tests) {
      if (test.skipped) {
        out.push(`    <testcase file="${file}" classname="${xml(test.name)}" name="${xml(test.name)}">`, '      <skipped></skipped>', '    </testcase>');
        continue;
      }
      for (const p of test.principals) {
        for (const r of p.resources) {
          for (const a of r.actions) {
            out.push(`    <testcase file="${file}" classname="${xml(`${p.name}.${r.name}.${a.action}`)}" name="${xml(test.name)}">`);
            const message = a.expected !== a.actual ? 'Effect expectation unsatisfied' : 'Output expectation unsatisfied';
            out.push(a.passed ? '      <success type="RESULT_PASSED">' : `      <failure type="RESULT_FAILED" message="${message}">`);
            out.push(`        <actual>${a.actual}</actual>`, `        <expected>${a.expected}</expected>`);
            for (const m of a.outputMismatches ?? []) {
              out.push(`        <output src="${xml(m.src)}" expected="${xml(canonicalJson(m.expected))}" actual="${'actual' in m ? xml(canonicalJson(m.actual)) : 'MISSING'}"></output>`);
            }
            out.push(a.passed ? '      </success>' : '      </failure>');
            out.push('      <properties>');
            for (const [k, v] of [['principal', p.name], ['resource', r.name], ['action', a.action]] as const) out.push(`        <property name="${k}" value="${xml(v)}"></property>`);
            out.push('      </properties>', '    </testcase>');
          }
        }
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
