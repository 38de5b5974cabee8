/**
 * `size --format k8s`: a Deployment carrying the container resources block (replicas left to the
 * HPA, as Kubernetes recommends when an HPA owns the scale) and an autoscaling/v2
 * HorizontalPodAutoscaler, as one multi-document YAML stream.
 */
import { Document } from 'yaml';
import type { SizeSection } from './types.js';

export interface K8sOptions {
  /** Deployment, container and HPA name */
  name: string;
  namespace?: string;
}

const MiB = 1024 * 1024;

export function cpuQuantity(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

export function memoryQuantity(bytes: number): string {
  return `${Math.ceil(bytes / MiB)}Mi`;
}

export function k8sManifests(section: SizeSection, options: K8sOptions): string {
  const { result, calibration, inputs } = section;
  const metadata = { name: options.name, ...(options.namespace ? { namespace: options.namespace } : {}) };
  const resources = {
    requests: { cpu: cpuQuantity(result.cpu.requestMillicores), memory: memoryQuantity(result.memory.requestBytes) },
    limits: { cpu: cpuQuantity(result.cpu.limitMillicores), memory: memoryQuantity(result.memory.limitBytes) },
  };
  const deployment = new Document({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      template: {
        spec: {
          containers: [{ name: options.name, resources }],
        },
      },
    },
  });
  deployment.commentBefore = [
    ` authz-perf size --rps ${inputs.peakRps}: ${result.replicas} replicas at peak (${result.profile.name} profile)`,
    ` calibration: ${calibration.source}`,
    ' Merge the resources block into your Deployment; spec.replicas is left to the HPA below.',
  ].join('\n');

  const hpa = new Document({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: options.name },
      minReplicas: result.hpa.minReplicas,
      maxReplicas: result.hpa.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: result.hpa.targetCpuUtilisationPercent } },
        },
      ],
    },
  });
  hpa.commentBefore = ` settles at ${result.hpa.replicasAtPeak} replicas at ${inputs.peakRps} RPS (ceil(current × utilisation ÷ target))`;
  return `${deployment.toString()}---\n${hpa.toString()}`;
}
