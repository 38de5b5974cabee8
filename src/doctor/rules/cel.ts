/** High Latency playbook step 2: CEL expressions that are slow at run time, joined with analyze-cel's static cost. */
import { formatCount, formatDurationNs } from '../../util/format.js';
import type { CelExpressionStat, CollectedMetrics, Finding } from '../types.js';
import { THRESHOLDS } from './thresholds.js';
import { gauge, pct, windowed } from './evidence.js';

function describe(e: CelExpressionStat): string {
  const what = e.kind === 'variable' ? `variable ${e.owner}` : e.kind === 'derivedRole' ? `derived role ${e.owner}` : `condition of rule ${e.owner}`;
  return `${what} of ${e.policy} (${e.location})`;
}

function staticCost(e: CelExpressionStat): string {
  if (e.staticUnbounded)
    return `analyze-cel's static cost is unbounded: it grows with ${e.growsWith.length ? e.growsWith.slice(0, 3).join(', ') : 'a list of unknown size'}`;
  return e.staticCostMax === null ? "analyze-cel could not cost it" : `analyze-cel's static cost ${formatCount(e.staticCostMax)}`;
}

export function celHotExpression(m: CollectedMetrics): Finding[] {
  const list = m.cel?.perExpression;
  const top = list?.[0];
  if (!top || top.share < THRESHOLDS.celExpressionShare) return [];
  const checkShare = m.cel?.shareOfCheckTime ?? null;
  const latencyBad = (m.load?.p99Ms ?? m.latency?.p99Ms ?? 0) > m.slo.p99Ms;
  const source = m.cel!.perExpressionSource ?? undefined;
  const evidence = [
    // measured in-process after the window, not over it: windowS 0, the source says how
    gauge(`share of CEL time: ${top.id}`, top.share, 'ratio', THRESHOLDS.celExpressionShare, source),
    gauge(`ns per evaluation: ${top.id}`, Math.round(top.nsPerEval), 'ns', null, source),
  ];
  if (top.staticCostMax !== null) evidence.push({ metric: `analyze-cel max cost: ${top.id}`, value: top.staticCostMax, unit: 'cost units', windowS: 0, threshold: null, source: 'analyze-cel (static)' });
  if (checkShare !== null) evidence.push(windowed(m, 'authz_perf_cel_evaluation_seconds_total ÷ check time', checkShare, 'ratio', THRESHOLDS.celCheckShare));
  const errorShare = top.evaluations > 0 ? top.errors / top.evaluations : 0;
  if (top.errors > 0) evidence.push(gauge(`evaluations ending in an error: ${top.id}`, Math.round(errorShare * 1000) / 1000, 'ratio', null, source));
  // a failing evaluation throws (and builds an error) before counting as false: often the whole cost
  const fix =
    errorShare >= 0.5
      ? `; ${pct(errorShare, 0)} of its evaluations fail (${top.errorSample ?? 'error'}), and a failure costs a thrown error: guard the attribute with has(), e.g. \`has(R.attr.x) && …\`, or give it a default in the data`
      : top.suggestion
        ? `; suggested: ${top.suggestion}`
        : top.staticUnbounded
          ? '; cap those lists in the data model, or list a cheaper condition before it (all.of stops at the first false item) so it runs less often'
          : '; put its cheapest operands first, or move it behind a cheaper guard';
  return [
    {
      ruleId: 'cel.hot-expression',
      playbook: 'high-latency',
      // profiled on the bundled engine: against another engine (Cerbos) a hint, not a measurement of it
      severity: m.flavour === 'authz-perf' && (latencyBad || (checkShare !== null && checkShare >= THRESHOLDS.celCheckShare)) ? 'warning' : 'info',
      title: `${describe(top)} takes ${pct(top.share, 0)} of CEL time at ${formatDurationNs(top.nsPerEval)} per evaluation`,
      evidence,
      action: `${staticCost(top)}${fix} (\`authz-perf analyze-cel ${top.location.replace(/:\d+:\d+$/, '')}\` shows every rewrite)`,
    },
  ];
}

export function celTimeShare(m: CollectedMetrics): Finding[] {
  const c = m.cel;
  if (!c || c.perExpression || c.shareOfCheckTime === null || c.shareOfCheckTime < THRESHOLDS.celCheckShare) return [];
  return [
    {
      ruleId: 'cel.time-share',
      playbook: 'high-latency',
      severity: 'warning',
      title: `CEL evaluation takes ${pct(c.shareOfCheckTime, 0)} of the engine's check time`,
      evidence: [windowed(m, 'authz_perf_cel_evaluation_seconds_total ÷ authz_perf_check_duration_seconds_sum', c.shareOfCheckTime, 'ratio', THRESHOLDS.celCheckShare)],
      action: 'run doctor with --scenario NAME (or --policies DIR) for the time of each expression, and `authz-perf analyze-cel POLICY_DIR` for rewrites',
    },
  ];
}
