/**
 * The `bench` section of a report: per scenario, the measured tasks, the engine overhead ratio,
 * the stage breakdown beside the fixed per-stage p99 budget, memory, and optionally the CEL engine comparison;
 * plus the baseline verdicts when `--baseline` was given.
 *
 * Field names of BenchSection.scenarios, BenchScenarioResult.{scenario,tasks,overheadRatio,memory}
 * and BenchTaskResult are a cross-room contract (`size --from` reads them): do not rename.
 */

/** One measured task. Times are nanoseconds per operation; ops/s is 1e9 / meanNs. */
export interface BenchTaskResult {
  /** 'check-uncached' | 'check-cached' | 'load-compile' | 'http-roundtrip' | `cel:${conditionId}` | 'cel-analysis' | ... */
  id: string;
  /** human label */
  name: string;
  opsPerSec: number;
  meanNs: number;
  p50Ns: number;
  p75Ns: number;
  p99Ns: number;
  p999Ns: number;
  minNs: number;
  maxNs: number;
  /** relative margin of error of the mean, 95% confidence (Student's t), in percent */
  rmePercent: number;
  samples: number;
  /** what one operation is, when it is not one call (e.g. "1 expression", "1 check") */
  unit?: string;
  /**
   * operations timed together per sample (sub-microsecond tasks); every figure above is per
   * operation (sample time ÷ batch), so percentiles are those of batch means. Absent: 1.
   */
  batch?: number;
  /** extra runs of a task whose rme was above NOISY_RME_PERCENT (the quietest run is kept); absent: 0 */
  repeats?: number;
}

/** A figure whose rme is above this is marked noisy wherever it is shown. */
export const NOISY_RME_PERCENT = 5;

/** Engine cost beyond CEL: uncached check time ÷ summed time of the CEL evaluations it performed. */
export interface OverheadRatio {
  ratio: number;
  /** mean time of one uncached check over the sampled requests */
  checkMeanNs: number;
  /** mean summed time of the CEL evaluations one of those checks performed (same programs, same inputs) */
  celSumMeanNs: number;
  checkRmePercent: number;
  celSumRmePercent: number;
  /** requests in the measured set (each iteration runs all of them) */
  requests: number;
  /** CEL evaluations the engine performed for the whole set (from traceCheck) */
  evaluations: number;
  evaluationsPerCheck: number;
  /** the ratio the engine's overhead beyond CEL should stay within: ≤ 1.5 */
  goal: number;
}

export type StageName = 'parse' | 'cacheLookup' | 'policyLookup' | 'celEval' | 'serialise';

/** One row of the stage breakdown. */
export interface StageRow {
  stage: StageName;
  label: string;
  /** this stage's p99 allowance in the fixed budget (STAGE_BUDGET), in ms */
  budgetMs: number;
  /** budgetMs as a share of the stages' summed budget (25 ms), 0..1 */
  budgetShare: number;
  meanNs: number;
  p99Ns: number;
  /** this stage's share of the measured total (sum of stage means), 0..1 */
  measuredShare: number;
  /** measured p99 ÷ budget (1 = the whole allowance used) */
  budgetUsed: number;
}

export interface StageBreakdown {
  /** checks measured in the stage pass (cache off, so every stage runs) */
  sampledChecks: number;
  /** the budget's end-to-end p99 (50 ms) */
  totalBudgetMs: number;
  stages: StageRow[];
  /** sum of stage means */
  totalMeanNs: number;
  /** p99 of the per-check stage totals */
  totalP99Ns: number;
}

export interface MemoryResult {
  /** heapUsed after building the engine and running the scenario's tasks minus before (in-process, no forced GC) */
  heapDeltaBytes: number;
  /** bytes allocated per uncached check, measured in a child process run with --expose-gc; null when unavailable */
  bytesPerCheck: number | null;
  /** bytes allocated per cached check (cache hit), child process; null when unavailable */
  bytesPerCachedCheck: number | null;
  /** heap retained by the loaded policy set + engine after a full GC (child process) */
  retainedEngineBytes: number | null;
  /** how the figures were taken, or why the child measurement is missing */
  method: string;
}

/** One condition compared between the two CEL libraries. */
export interface CelEngineConditionResult {
  conditionId: string;
  expr: string;
  inputs: number;
  /** ns per evaluation with @marcbachmann/cel-js; null when it could not parse the condition */
  marcbachmannNs: number | null;
  /** ns per evaluation with cel-js (ChromeGG); null when it could not parse the condition */
  chromeggNs: number | null;
  /** chromeggNs ÷ marcbachmannNs (> 1: cel-js is slower) */
  ratio: number | null;
  /** inputs where both evaluated and returned the same normalised result (errors count as a result) */
  agreements: number;
  /** inputs where the normalised results differ (0 when a library could not parse the condition) */
  disagreementCount: number;
  /** the first few disagreements, with the input's index and both results */
  disagreements: Array<{ input: number; marcbachmann: string; chromegg: string }>;
  /** inputs on which each library threw during evaluation */
  evalErrors: { marcbachmann: number; chromegg: number };
  /** parse errors, one per library that failed */
  parseErrors: Array<{ engine: 'marcbachmann' | 'chromegg'; message: string }>;
}

export interface CelEngineComparison {
  engines: { marcbachmann: string; chromegg: string };
  conditions: CelEngineConditionResult[];
  /** geometric mean of the per-condition ratios where both ran */
  geomeanRatio: number | null;
  totalDisagreements: number;
  unparsable: number;
}

export interface BenchScenarioResult {
  /** e.g. 'abac-cel' */
  scenario: string;
  description?: string;
  tasks: BenchTaskResult[];
  overheadRatio: OverheadRatio | null;
  stageBreakdown: StageBreakdown | null;
  memory: MemoryResult;
  /** uncached ÷ cached mean per check over the same requests, timed in alternating rounds in its own pass (goal ≥ 8) */
  cacheSpeedup: {
    ratio: number;
    uncachedMeanNs: number;
    cachedMeanNs: number;
    goal: number;
    /**
     * the floor of a hit per check: reading the values the decisions depend on and comparing them
     * with stored copies, nothing else (cache-floor.ts); timed against the hits in alternating rounds
     */
    floorMeanNs?: number;
    /** hit ÷ floor, from that pass */
    hitFloorRatio?: number;
    /** hit ÷ floor goal */
    hitFloorGoal?: number;
  } | null;
  celEngines?: CelEngineComparison;
  /** `bench --http`: serve's throughput ÷ a bare node:http server answering the same bytes */
  httpBaseline?: HttpBaseline;
  /** non-fatal problems met while measuring (a task that errored, a missing engine feature) */
  warnings: string[];
}

/**
 * `serve` (child process, cache on) against a bare node:http server (child process) that parses the
 * same JSON bodies and writes the same response bytes, under the same autocannon load, in
 * alternating rounds. Ratios are serve ÷ bare requests/s per round.
 */
/** Throughput of two servers in alternating rounds under the same load: per-round ratios and their spread. */
export interface AlternatingRatios {
  ratios: number[];
  min: number;
  median: number;
  max: number;
  connections: number;
  roundMs: number;
  /** goal for the median ratio */
  goal: number;
}

/** `serve` ÷ the bare node:http server (goal: the median ratio at least `goal`). */
export interface HttpBaseline extends AlternatingRatios {
  serveRps: number[];
  bareRps: number[];
  /** the same load on `serve` and on `serve --no-cache` (absent in reports before it was measured) */
  cacheOnOff?: CacheOnOff;
}

/** `serve` with its decision cache ÷ `serve --no-cache`, the scenario's own requests (goal ≥ 1: the cache never slows serve down). */
export interface CacheOnOff extends AlternatingRatios {
  onRps: number[];
  offRps: number[];
}

export type BaselineVerdict = 'regression' | 'improvement' | 'unchanged' | 'new' | 'missing';

export interface BaselineTaskComparison {
  scenario: string;
  taskId: string;
  name: string;
  verdict: BaselineVerdict;
  baselineMeanNs: number | null;
  currentMeanNs: number | null;
  /** (current − baseline) ÷ baseline × 100; positive = slower */
  changePercent: number | null;
  /** combined margin of error: baseline moe + current moe (95% CI half-widths, ns) */
  combinedMoeNs: number | null;
  /** why the verdict is what it is, in one phrase */
  reason: string;
}

export interface BaselineComparison {
  /** file the baseline came from */
  file: string;
  baselineStartedAt: string;
  baselineGitSha: string | null;
  maxRegressionPercent: number;
  /** how significance is decided, stated in the report */
  rule: string;
  regressions: number;
  improvements: number;
  unchanged: number;
  tasks: BaselineTaskComparison[];
}

export interface BenchSettings {
  timeMs: number;
  iterations: number;
  warmupMs: number;
  warmupIterations: number;
  quick: boolean;
  http: boolean;
  celEngines: boolean;
  seed: number;
  /** requests drawn from each scenario's stream */
  requests: number;
  /** --http: alternating rounds of each serve comparison (absent in reports before it existed: 3) */
  httpRounds?: number;
}

export interface BenchSection {
  settings: BenchSettings;
  scenarios: BenchScenarioResult[];
  baseline?: BaselineComparison;
  /** where --save-baseline wrote the baseline */
  savedBaseline?: string;
}
