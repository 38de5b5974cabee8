/**
 * Renderers for the `verify` section: pure functions of the report. The verdict, agreement per
 * resource kind and action, and the first differences in full (principal, resource, action, both
 * effects).
 */
import type { VerifyReport } from '../types.js';
import type { Headline, HtmlSection, RenderOptions, SectionRenderer } from '../render-types.js';
import type { VerifySection } from '../../targets/verify.js';
import type { DecisionDifference } from '../../targets/differential.js';
import {
  escapeHtml,
  escapeMarkdown,
  formatCount,
  formatDurationMs,
  formatPercent,
  htmlBadge,
  htmlHeading,
  htmlKeyValue,
  htmlParagraph,
  htmlStatCards,
  htmlTable,
  markdownKeyValue,
  markdownTable,
  paint,
  rawHtml,
  terminalHeading,
  terminalKeyValue,
  terminalTable,
  type TableSpec,
} from '../helpers.js';

// ── shared builders ──────────────────────────────────────────────────────────────────────

function verdict(s: VerifySection): string {
  return s.passed
    ? `all ${formatCount(s.actions)} actions agree`
    : `${formatCount(s.differingActions)} of ${formatCount(s.actions)} actions differ (${formatPercent(1 - s.agreement, 2)})`;
}

function sourceText(s: VerifySection): string {
  return s.source.kind === 'scenario'
    ? `scenario ${s.source.scenario}, seeded stream (seed ${s.source.seed})`
    : `${formatCount(s.source.pairs)} principal × resource pairs from ${formatCount(s.source.suites)} Cerbos test suite${s.source.suites === 1 ? '' : 's'}`;
}

function summaryPairs(s: VerifySection): Array<[string, string]> {
  return [
    ['verdict', verdict(s)],
    ['compared with', `Cerbos ${s.cerbos.version} (${s.cerbos.source}: ${s.cerbos.binary})`],
    ['policies', s.policyDir],
    ['requests', `${formatCount(s.requests)} · ${sourceText(s)}`],
    ['actions compared', formatCount(s.actions)],
    ['agreement', formatPercent(s.agreement, 2)],
    ['requests Cerbos refused', formatCount(s.cerbosErrors)],
    ['comparison time', formatDurationMs(s.durationMs)],
  ];
}

function perActionTable(s: VerifySection): TableSpec {
  return {
    head: ['resource kind', 'action', 'actions', 'differing', 'agreement'],
    rows: s.perAction.map((a) => [a.kind, a.action, formatCount(a.actions), formatCount(a.differing), formatPercent(a.actions === 0 ? 1 : (a.actions - a.differing) / a.actions, 2)]),
    align: ['left', 'left', 'right', 'right', 'right'],
  };
}

function effectText(effect: DecisionDifference['reference'], error: string | undefined, fallback: string): string {
  if (effect !== null) return effect.replace(/^EFFECT_/, '');
  return error !== undefined ? `error: ${error}` : fallback;
}

function scoped(name: string, scope: string | undefined, version: string | undefined): string {
  const parts = [scope ? `scope ${scope}` : '', version ? `version ${version}` : ''].filter(Boolean);
  return parts.length ? `${name} (${parts.join(', ')})` : name;
}

function differencesTable(s: VerifySection): TableSpec {
  return {
    head: ['request', 'principal', 'roles', 'resource', 'action', 'reference', 'cerbos'],
    rows: s.differences.map((d) => [
      String(d.requestIndex),
      scoped(d.principal.id, d.principal.scope, d.principal.policyVersion),
      d.principal.roles.join(', '),
      scoped(`${d.resource.kind}/${d.resource.id}`, d.resource.scope, d.resource.policyVersion),
      d.action,
      effectText(d.reference, d.referenceError, 'no effect'),
      effectText(d.cerbos, d.cerbosError, 'no effect'),
    ]),
    align: ['right', 'left', 'left', 'left', 'left', 'left', 'left'],
  };
}

function differencesHeading(s: VerifySection): string {
  const shown = s.differences.length;
  return shown < s.differingActions ? `First ${shown} of ${formatCount(s.differingActions)} differences` : `Differences (${shown})`;
}

// ── terminal ─────────────────────────────────────────────────────────────────────────────

function terminal(report: VerifyReport, options: RenderOptions): string {
  const s = report.verify;
  const c = paint(options);
  const out: string[] = [];
  out.push(terminalHeading('Decision check: reference engine vs Cerbos', options));
  out.push(s.passed ? c.green(verdict(s)) : c.red(verdict(s)));
  out.push(terminalKeyValue(summaryPairs(s), options));
  out.push('', terminalHeading('Agreement per action', options), terminalTable(perActionTable(s), options));
  if (s.differences.length) out.push('', terminalHeading(differencesHeading(s), options), terminalTable(differencesTable(s), options));
  return out.join('\n');
}

// ── Markdown ─────────────────────────────────────────────────────────────────────────────

function markdown(report: VerifyReport): string {
  const s = report.verify;
  const out: string[] = [];
  out.push('## Decision check: reference engine vs Cerbos', '');
  out.push(`**${escapeMarkdown(verdict(s))}**`, '');
  out.push(markdownKeyValue(summaryPairs(s), ['', '']), '');
  out.push('### Agreement per action', '', markdownTable(perActionTable(s)), '');
  if (s.differences.length) out.push(`### ${escapeMarkdown(differencesHeading(s))}`, '', markdownTable(differencesTable(s)), '');
  return out.join('\n').trimEnd();
}

// ── HTML ─────────────────────────────────────────────────────────────────────────────────

function html(report: VerifyReport): HtmlSection {
  const s = report.verify;
  const parts: string[] = [];
  parts.push(htmlHeading('Decision check: reference engine vs Cerbos', 2, 'verify'));
  parts.push(htmlParagraph(rawHtml(`${htmlBadge(s.passed ? 'agree' : 'differ', s.passed ? 'good' : 'bad')} ${escapeHtml(verdict(s))}`)));
  parts.push(
    htmlStatCards([
      { label: 'actions compared', value: formatCount(s.actions) },
      { label: 'differing actions', value: formatCount(s.differingActions), tone: s.passed ? 'good' : 'bad' },
      { label: 'agreement', value: formatPercent(s.agreement, 2), tone: s.passed ? 'good' : 'bad' },
      { label: 'Cerbos', value: s.cerbos.version },
    ]),
  );
  parts.push(htmlKeyValue(summaryPairs(s)));
  parts.push(htmlHeading('Agreement per action', 3), htmlTable(perActionTable(s)));
  if (s.differences.length) parts.push(htmlHeading(differencesHeading(s), 3), htmlTable(differencesTable(s)));
  return { body: parts.join('\n'), charts: [] };
}

// ── headlines ────────────────────────────────────────────────────────────────────────────

function headlines(report: VerifyReport): Headline[] {
  const s = report.verify;
  return [
    { key: 'verify/differingActions', label: 'differing actions', value: s.differingActions, unit: 'actions', better: 'lower' },
    { key: 'verify/agreement', label: 'agreement', value: s.agreement, unit: 'ratio', better: 'higher' },
    { key: 'verify/actions', label: 'actions compared', value: s.actions, unit: 'actions', better: 'higher' },
  ];
}

export const verifyRenderer: SectionRenderer<VerifyReport> = { terminal, markdown, html, headlines };
