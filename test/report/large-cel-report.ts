/**
 * An analyze-cel report of N generated Cerbos-style expressions (one `.cel` file of N lines),
 * built through the command's front door with a fake clock: what `analyze-cel big.cel` saves.
 */
import { analyzeCel } from '../../src/cel/run.js';
import { generateCorpus } from '../../src/cel/corpus.js';
import { DEFAULT_ANALYZE_OPTIONS } from '../../src/cel/analyze.js';
import { reportEnvelope } from '../../src/report/build.js';
import type { CelAnalysisReport } from '../../src/report/types.js';

const ENVIRONMENT = {
  cpuModel: 'test CPU',
  cores: 2,
  totalMemoryBytes: 8 * 2 ** 30,
  nodeVersion: 'v20.0.0',
  os: 'linux test x64',
  gitSha: null,
  loadGeneratorSharedHost: null,
};

export async function largeCelReport(n: number, seed = 7): Promise<CelAnalysisReport> {
  let ns = 0n;
  let us = 0;
  const clock = { wallNs: () => (ns += 1_000n), cpuUs: () => (us += 1) };
  async function* sources() {
    yield { file: `big-${n}.cel`, text: generateCorpus(n, seed).join('\n'), policy: false, fromDirectory: false };
  }
  const { section } = await analyzeCel({ sources: sources(), expressions: [], options: DEFAULT_ANALYZE_OPTIONS, failOverUnits: null, clock });
  const at = new Date('2026-12-06T08:00:00Z');
  return { ...reportEnvelope('analyze-cel', [`big-${n}.cel`], at, at, ENVIRONMENT), celAnalysis: section };
}
