/** Checklist: CPU saturation of the server and of the load generator, and load above capacity. */
import { formatCount } from '../../util/format.js';
import type { CollectedMetrics, Finding } from '../types.js';
import { THRESHOLDS } from './thresholds.js';
import { pct, windowed } from './evidence.js';

export function serverCpu(m: CollectedMetrics): Finding[] {
  if (m.serverCpu === null) return [];
  const share = m.serverCpu / Math.max(1, m.engineCores);
  if (share < THRESHOLDS.cpuWarn) return [];
  const node = m.flavour !== 'cerbos';
  const what = node ? 'one core (its JavaScript runs on one event loop)' : `its ${m.engineCores} cores (GOMAXPROCS)`;
  return [
    {
      ruleId: 'saturation.server-cpu',
      playbook: 'checklist',
      severity: share >= THRESHOLDS.cpuCritical ? 'critical' : 'warning',
      title: `the engine used ${pct(share, 0)} of ${what}, above the ${pct(THRESHOLDS.cpuWarn, 0)} goal`,
      evidence: [windowed(m, 'process_cpu_seconds_total rate', m.serverCpu, 'cores', THRESHOLDS.cpuWarn * Math.max(1, m.engineCores))],
      action: node
        ? 'run more `serve` processes (one per core) behind a load balancer, or more replicas (`authz-perf size --rps N` works out how many); cut CEL cost or raise the cache hit rate to need less CPU per check'
        : 'give Cerbos more CPU (raise its CPU limit and GOMAXPROCS with it) or more replicas (`authz-perf size --rps N`)',
    },
  ];
}

export function generatorCpu(m: CollectedMetrics): Finding[] {
  const l = m.load;
  if (!l || !l.generatorSaturated) return [];
  return [
    {
      ruleId: 'saturation.generator',
      playbook: 'checklist',
      severity: 'warning',
      title: `the load generator used ${pct(l.generatorCpu, 0)} of a core: latency and rate figures are partly its own limit`,
      evidence: [windowed(m, 'load generator CPU seconds ÷ wall seconds', l.generatorCpu, 'cores', 0.9)],
      action: 'drive the load from another host (`authz-perf loadtest --target URL` there), or lower --load',
    },
  ];
}

export function capacity(m: CollectedMetrics): Finding[] {
  const l = m.load;
  if (!l || l.targetRps <= 0 || l.sent === 0) return [];
  const share = l.achievedRps / l.targetRps;
  const lateShare = l.late / l.sent;
  const behind = share < THRESHOLDS.capacityShare || l.dropped > 0;
  if (!behind && lateShare < THRESHOLDS.lateShare) return [];
  const evidence = [
    windowed(m, 'achieved ÷ target rate', Math.round(share * 1000) / 1000, 'ratio', THRESHOLDS.capacityShare, 'load generator'),
    windowed(m, 'requests sent late', l.late, 'requests', Math.round(THRESHOLDS.lateShare * l.sent), 'load generator'),
  ];
  if (l.dropped > 0) evidence.push(windowed(m, 'requests dropped (no free connection within the timeout)', l.dropped, 'requests', 0, 'load generator'));
  const generatorBound = l.generatorSaturated;
  return [
    {
      ruleId: 'saturation.capacity',
      playbook: 'checklist',
      severity: behind ? 'critical' : 'warning',
      title: behind
        ? `the target held ${formatCount(l.achievedRps)} of the ${formatCount(l.targetRps)} req/s offered (${pct(share, 0)}): load above capacity`
        : `${pct(lateShare, 1)} of requests were sent late: the target is close to its capacity at ${formatCount(l.targetRps)} req/s`,
      evidence,
      action: generatorBound
        ? 'the generator itself was saturated (see saturation.generator): repeat from another host before resizing'
        : `find the ceiling with \`authz-perf loadtest --scenario ${l.scenario} --find-max\`, then \`authz-perf size --rps ${l.targetRps}\` for the replicas this rate needs`,
    },
  ];
}
