/**
 * The playbooks' thresholds as monitoring artefacts: a Grafana dashboard (JSON model, one panel
 * per signal with its bounds drawn as thresholds) and Prometheus alerting rules (YAML), for our
 * `serve`'s metric names or Cerbos's. One table of signals feeds both, so the dashboard and the
 * alerts never disagree with doctor's rules.
 */
import { stringify } from 'yaml';
import { THRESHOLDS } from './rules/index.js';
import type { EngineFlavour } from './types.js';

export type EmitKind = 'grafana' | 'prometheus-rules';
export const EMIT_KINDS: readonly EmitKind[] = ['grafana', 'prometheus-rules'];

/** One monitored figure: a PromQL expression, its unit and the bounds doctor applies to it. */
export interface Signal {
  /** doctor rule id this signal stands for */
  ruleId: string;
  title: string;
  expr: string;
  /** Grafana unit id */
  unit: 'ms' | 'percentunit' | 'reqps' | 'bytes' | 'short';
  /** alert when the value is above (`>`) or below (`<`) the bound */
  op: '>' | '<';
  warning: number | null;
  critical: number | null;
  action: string;
}

const W = '5m';

function authzPerfSignals(): Signal[] {
  const check = 'route="/api/check/resources"';
  return [
    {
      ruleId: 'latency.slo',
      title: 'Check p99 latency',
      expr: `histogram_quantile(0.99, sum by (le) (rate(authz_perf_check_duration_seconds_bucket[${W}]))) * 1000`,
      unit: 'ms',
      op: '>',
      warning: THRESHOLDS.sloP99Ms,
      critical: THRESHOLDS.latencyCriticalMs,
      action: 'run `authz-perf doctor --target URL` and work down the High Latency playbook',
    },
    {
      ruleId: 'errors.rate',
      title: 'Check error rate',
      expr: `sum(rate(authz_perf_http_requests_total{${check},code!~"2.."}[${W}])) / sum(rate(authz_perf_http_requests_total{${check}}[${W}]))`,
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.errorRate,
      critical: THRESHOLDS.errorRateCritical,
      action: 'read the engine log for the failing status codes; 5xx and timeouts under load mean overload',
    },
    {
      ruleId: 'saturation.rate',
      title: 'Check requests per second',
      expr: `sum(rate(authz_perf_http_requests_total{${check}}[1m]))`,
      unit: 'reqps',
      op: '>',
      warning: null,
      critical: null,
      action: '',
    },
    {
      ruleId: 'saturation.server-cpu',
      title: 'CPU (cores; the event loop is one)',
      expr: `rate(process_cpu_seconds_total[1m])`,
      unit: 'short',
      op: '>',
      warning: THRESHOLDS.cpuWarn,
      critical: THRESHOLDS.cpuCritical,
      action: 'run more serve processes or replicas (`authz-perf size --rps N`)',
    },
    {
      ruleId: 'cache.hit-rate',
      title: 'Decision-cache hit rate',
      expr: `sum(rate(authz_perf_decision_cache_hits_total[${W}])) / (sum(rate(authz_perf_decision_cache_hits_total[${W}])) + sum(rate(authz_perf_decision_cache_misses_total[${W}])))`,
      unit: 'percentunit',
      op: '<',
      warning: THRESHOLDS.hitRateGoal,
      critical: null,
      action: 'if the cache is full (entries = max), raise --cache-size; else the requests rarely repeat within --cache-ttl',
    },
    {
      ruleId: 'cache.fill',
      title: 'Decision-cache fill (entries ÷ capacity)',
      expr: 'authz_perf_decision_cache_entries / authz_perf_decision_cache_max_entries',
      unit: 'percentunit',
      op: '>',
      warning: null,
      critical: null,
      action: '',
    },
    {
      ruleId: 'cel.time-share',
      title: 'CEL share of check time',
      expr: `rate(authz_perf_cel_evaluation_seconds_total[${W}]) / rate(authz_perf_check_duration_seconds_sum[${W}])`,
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.celCheckShare,
      critical: null,
      action: 'run `authz-perf doctor --scenario NAME` for the cost of each expression, and `authz-perf analyze-cel`',
    },
    {
      ruleId: 'memory.heap-limit',
      title: 'Heap used ÷ V8 heap limit',
      expr: 'nodejs_heap_size_used_bytes / nodejs_heap_size_limit_bytes',
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.heapWarn,
      critical: THRESHOLDS.heapCritical,
      action: 'lower --cache-size or raise --max-old-space-size',
    },
    {
      ruleId: 'memory.external',
      title: 'Heap and external memory',
      expr: 'nodejs_external_memory_bytes',
      unit: 'bytes',
      op: '>',
      warning: null,
      critical: null,
      action: '',
    },
    {
      ruleId: 'memory.gc',
      title: 'GC time share',
      expr: `sum(rate(nodejs_gc_duration_seconds_sum[${W}]))`,
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.gcShareWarn,
      critical: THRESHOLDS.gcShareCritical,
      action: 'heap near its limit: lower --cache-size or raise --max-old-space-size; else cut allocation per check',
    },
    {
      ruleId: 'event-loop.delay',
      title: 'Event-loop delay p99',
      // the monitor records its own 10 ms timer interval too: less the minimum, the delay itself
      expr: '(nodejs_eventloop_lag_p99_seconds - nodejs_eventloop_lag_min_seconds) * 1000',
      unit: 'ms',
      op: '>',
      warning: THRESHOLDS.eventLoopWarnMs,
      critical: THRESHOLDS.eventLoopCriticalMs,
      action: 'CPU-bound work blocks the loop: spread load over more processes, see CEL and GC',
    },
  ];
}

function cerbosSignals(): Signal[] {
  return [
    {
      ruleId: 'latency.slo',
      title: 'HTTP request p99 latency',
      expr: `histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[${W}]))) * 1000`,
      unit: 'ms',
      op: '>',
      warning: THRESHOLDS.sloP99Ms,
      critical: THRESHOLDS.latencyCriticalMs,
      action: 'run `authz-perf doctor --target URL` against Cerbos and work down the High Latency playbook',
    },
    {
      ruleId: 'latency.engine',
      title: 'Engine check p99 latency (cerbos_dev_engine_check_latency)',
      expr: `histogram_quantile(0.99, sum by (le) (rate(cerbos_dev_engine_check_latency_milliseconds_bucket[${W}])))`,
      unit: 'ms',
      op: '>',
      warning: null,
      critical: null,
      action: '',
    },
    {
      ruleId: 'errors.rate',
      title: 'HTTP error rate',
      expr: `sum(rate(http_server_request_duration_seconds_count{http_response_status_code!~"2.."}[${W}])) / sum(rate(http_server_request_duration_seconds_count[${W}]))`,
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.errorRate,
      critical: THRESHOLDS.errorRateCritical,
      action: 'read the Cerbos log for the failing calls',
    },
    {
      ruleId: 'saturation.rate',
      title: 'Requests per second (HTTP + gRPC)',
      expr: `sum(rate(http_server_request_duration_seconds_count[1m])) + sum(rate(rpc_server_call_duration_seconds_count[1m]))`,
      unit: 'reqps',
      op: '>',
      warning: null,
      critical: null,
      action: '',
    },
    {
      ruleId: 'saturation.server-cpu',
      title: 'CPU ÷ GOMAXPROCS',
      expr: 'rate(process_cpu_seconds_total[1m]) / go_sched_gomaxprocs_threads',
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.cpuWarn,
      critical: THRESHOLDS.cpuCritical,
      action: 'raise the CPU limit (and GOMAXPROCS) or add replicas (`authz-perf size --rps N`)',
    },
    {
      ruleId: 'memory.go-gc',
      title: 'Go GC share of used CPU',
      expr: `rate(go_cpu_classes_gc_total_cpu_seconds_total[${W}]) / (rate(go_cpu_classes_total_cpu_seconds_total[${W}]) - rate(go_cpu_classes_idle_cpu_seconds_total[${W}]))`,
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.goGcCpuShare,
      critical: null,
      action: 'set GOMEMLIMIT to about 90 % of the memory limit and raise GOGC (e.g. 200)',
    },
    {
      ruleId: 'memory.heap-limit',
      title: 'Go heap ÷ GOMEMLIMIT',
      expr: 'go_memstats_heap_alloc_bytes / go_gc_gomemlimit_bytes',
      unit: 'percentunit',
      op: '>',
      warning: THRESHOLDS.heapWarn,
      critical: THRESHOLDS.heapCritical,
      action: 'raise GOMEMLIMIT and the memory limit with it',
    },
    {
      ruleId: 'memory.rss',
      title: 'Resident memory',
      expr: 'process_resident_memory_bytes',
      unit: 'bytes',
      op: '>',
      warning: null,
      critical: null,
      action: '',
    },
    {
      ruleId: 'batch.size',
      title: 'Check batch size p99',
      expr: `histogram_quantile(0.99, sum by (le) (rate(cerbos_dev_engine_check_batch_size_bucket[${W}])))`,
      unit: 'short',
      op: '>',
      warning: null,
      critical: null,
      action: '',
    },
  ];
}

export function signalsFor(flavour: EngineFlavour): Signal[] {
  return flavour === 'cerbos' ? cerbosSignals() : authzPerfSignals();
}

const engineName = (flavour: EngineFlavour): string => (flavour === 'cerbos' ? 'Cerbos' : 'authz-perf serve');

/** A Grafana dashboard JSON model (import it, pick the Prometheus data source). */
export function grafanaDashboard(flavour: EngineFlavour): Record<string, unknown> {
  const panels = signalsFor(flavour).map((s, i) => {
    const steps: Array<{ color: string; value: number | null }> = [{ color: s.op === '>' ? 'green' : 'red', value: null }];
    const bounds = [s.warning, s.critical].filter((b): b is number => b !== null);
    if (s.op === '>') {
      if (s.warning !== null) steps.push({ color: 'orange', value: s.warning });
      if (s.critical !== null) steps.push({ color: 'red', value: s.critical });
    } else if (bounds.length) {
      if (s.critical !== null) steps.push({ color: 'orange', value: s.critical });
      steps.push({ color: 'green', value: s.warning ?? s.critical! });
    }
    return {
      id: i + 1,
      type: 'timeseries',
      title: s.title,
      description: s.action || undefined,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: {
        defaults: {
          unit: s.unit,
          thresholds: { mode: 'absolute', steps },
          custom: { thresholdsStyle: { mode: bounds.length ? 'line' : 'off' } },
        },
        overrides: [],
      },
      targets: [{ refId: 'A', expr: s.expr, legendFormat: s.title }],
    };
  });
  return {
    title: `${engineName(flavour)}: authz-perf doctor playbooks`,
    uid: flavour === 'cerbos' ? 'authz-perf-doctor-cerbos' : 'authz-perf-doctor-serve',
    tags: ['authz-perf', 'doctor'],
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' }] },
    panels,
  };
}

/** Prometheus alerting rules (rule-file YAML): a warning and a critical alert per bounded signal. */
export function prometheusRules(flavour: EngineFlavour): string {
  const rules: Array<Record<string, unknown>> = [];
  for (const s of signalsFor(flavour)) {
    for (const [severity, bound] of [
      ['warning', s.warning],
      ['critical', s.critical],
    ] as const) {
      if (bound === null) continue;
      const name = `AuthzPerf${pascal(s.ruleId)}${severity === 'critical' ? 'Critical' : ''}`;
      rules.push({
        alert: name,
        expr: `(${s.expr}) ${s.op} ${bound}`,
        for: severity === 'critical' ? '2m' : '10m',
        labels: { severity, doctor_rule: s.ruleId },
        annotations: {
          summary: `${engineName(flavour)}: ${s.title} ${s.op} ${bound}`,
          description: `${s.title} is {{ $value }} (bound ${s.op} ${bound}). ${s.action}`,
        },
      });
    }
  }
  const doc = { groups: [{ name: `authz-perf-doctor-${flavour === 'cerbos' ? 'cerbos' : 'serve'}`, rules }] };
  return `# Prometheus alerting rules written by authz-perf doctor --emit prometheus-rules\n${stringify(doc, { lineWidth: 0 })}`;
}

function pascal(id: string): string {
  return id
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

export function emitArtefact(kind: EmitKind, flavour: EngineFlavour): string {
  return kind === 'grafana' ? `${JSON.stringify(grafanaDashboard(flavour), null, 2)}\n` : prometheusRules(flavour);
}
