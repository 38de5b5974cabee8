/** A loadtest config shared by the runner-merge and k6-operator tests. */
import type { LoadtestConfig } from '../../src/load/types.js';

export const CONFIG: LoadtestConfig = {
  model: 'open',
  targetUrl: 'http://127.0.0.1:3592',
  bundledTarget: false,
  scenario: 'abac-cel',
  profile: null,
  seed: 42,
  stages: [{ durationS: 4, target: 5 }],
  plannedDurationS: 4,
  maxConnections: 64,
  timeoutMs: 2000,
  thinkTimeMs: null,
  requestPoolSize: 10,
  lateThresholdMs: 10,
};
