/**
 * The one report model. Every run produces exactly one of these; `--json` prints it, files in
 * reports/ are it and its renderings. Command sections are typed in their own rooms.
 */
import type { BenchSection } from '../bench/types.js';
import type { LoadtestSection } from '../load/types.js';
import type { CelAnalysisSection } from '../cel/types.js';
import type { ExplainSection } from '../query/types.js';
import type { SizeSection } from '../sizing/types.js';
import type { VerifySection } from '../targets/verify.js';
import type { DoctorSection } from '../doctor/types.js';
import type { CompareSection } from '../compare/types.js';

/**
 * Bump when a saved report's shape changes incompatibly; loaders refuse newer versions and
 * upgrade older ones (src/report/upgrade.ts).
 *  1: first version.
 *  2: analyze-cel lists only its worst expressions in full and adds `index` (every expression's
 *     figures, compact), `policies` and `distributions`.
 */
export const SCHEMA_VERSION = 2;
export { TOOL_NAME } from '../util/version.js';
import type { TOOL_NAME } from '../util/version.js';

export type CommandName = 'bench' | 'loadtest' | 'analyze-cel' | 'explain' | 'size' | 'verify' | 'doctor' | 'compare';

import type { HostLoad } from '../util/host-load.js';

export interface Environment {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  nodeVersion: string;
  /** e.g. `linux 6.1.0 x64` */
  os: string;
  /** git SHA of the working directory, null outside a checkout */
  gitSha: string | null;
  /** loadtest: whether the load generator and the target ran on the same host (null: not applicable) */
  loadGeneratorSharedHost: boolean | null;
  /** load average and CPU steal while the command ran (absent in older reports) */
  hostLoad?: HostLoad;
}

export interface ReportEnvelope<C extends CommandName> {
  schemaVersion: number;
  tool: typeof TOOL_NAME;
  /** authz-perf version */
  version: string;
  command: C;
  /** argv after the command name, as given */
  args: string[];
  /** ISO 8601 UTC */
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  /** true when the run was stopped early (Ctrl-C) and the report holds what was measured so far */
  interrupted?: boolean;
  /** warnings a reader should see before the figures (e.g. the policies' own test suites failed) */
  warnings?: string[];
}

export interface BenchReport extends ReportEnvelope<'bench'> { bench: BenchSection }
export interface LoadtestReport extends ReportEnvelope<'loadtest'> { loadtest: LoadtestSection }
export interface CelAnalysisReport extends ReportEnvelope<'analyze-cel'> { celAnalysis: CelAnalysisSection }
export interface ExplainReport extends ReportEnvelope<'explain'> { explain: ExplainSection }
export interface SizeReport extends ReportEnvelope<'size'> { size: SizeSection }
export interface VerifyReport extends ReportEnvelope<'verify'> { verify: VerifySection }
export interface DoctorReport extends ReportEnvelope<'doctor'> { doctor: DoctorSection }
export interface CompareReport extends ReportEnvelope<'compare'> { compare: CompareSection }

export type Report = BenchReport | LoadtestReport | CelAnalysisReport | ExplainReport | SizeReport | VerifyReport | DoctorReport | CompareReport;

export type ReportFor<C extends CommandName> = Extract<Report, { command: C }>;
