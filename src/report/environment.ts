import os from 'node:os';
import { execFileSync } from 'node:child_process';
import type { Environment } from './types.js';
import { hostLoad } from '../util/host-load.js';

/** Reads the host's description. The git SHA is looked up in `cwd`; null outside a checkout. */
export function collectEnvironment(cwd: string, loadGeneratorSharedHost: boolean | null = null): Environment {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryBytes: os.totalmem(),
    nodeVersion: process.version,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    gitSha: gitSha(cwd),
    loadGeneratorSharedHost,
    hostLoad: hostLoad(cpus.length),
  };
}

function gitSha(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .toString()
      .trim() || null;
  } catch {
    return null;
  }
}
