/**
 * The analyze-cel pipeline (command.ts is the command's front door): inputs (read lazily by the
 * caller, one file at a time) → parse + analysis → optional measurement → the report section. Expression files stream straight into
 * the section tally, so only compact figures stay in memory; policy expressions are held until
 * every file is read, because a condition's cost includes the variables it reads, which other
 * files may export (only those that define, read or sit beside others are held). The clock is injected; nothing here touches the process or the file system.
 */
import {
  analyzeExpression,
  measuredOperandAdvice,
  sortRecommendations,
  type AnalyzeOptions,
  type ExpressionInput,
} from './analyze.js';
import { expressionFromFlag, expressionsFromPolicy, textExpressions } from './sources.js';
import { buildSection, SectionTally } from './section.js';
import { corpusInputs } from './corpus.js';
import { applyVariableCosts } from './variables.js';
import { applyConditionOrder, isListItem } from './condition-order.js';
import { generateRequest, measureExpression, spearman, type RequestInput } from './measure.js';
import { fitCalibration, type CalibrationPoint } from './calibration.js';
import type { CelNode } from './ast.js';
import type { CostResult } from './cost.js';
import type { CelAnalysisSection, ExpressionAnalysis, ExpressionError, MeasureSummary } from './types.js';

/** One input, read by the caller when the pipeline asks for it. */
export interface CelSource {
  /** as displayed in the report (`-` for stdin) */
  file: string;
  text: string;
  /** a Cerbos policy file (YAML/JSON) rather than an expression-per-line file */
  policy: boolean;
  /** found by walking a directory: a YAML/JSON file that is not a policy is skipped, not an error */
  fromDirectory: boolean;
}

export interface CelClock {
  /** monotonic wall clock, ns */
  wallNs(): bigint;
  /** process CPU time (user + system, all threads), µs */
  cpuUs(): number;
}

export interface AnalyzeCelRequest {
  sources: AsyncIterable<CelSource>;
  /** --expr values, analysed after the sources */
  expressions: readonly string[];
  options: AnalyzeOptions;
  failOverUnits: number | null;
  /** --measure: evaluate each expression on generated inputs (or `input`) */
  measure?: { seed: number; listSize: number; input?: { request: RequestInput; name: string } };
  /** --corpus: analyse `size` generated expressions (after a JIT warm-up on another corpus) */
  corpus?: { size: number; seed: number };
  clock: CelClock;
}

export interface AnalyzeCelResult {
  section: CelAnalysisSection;
  /** parse errors and invalid policy files, in input order (also in the section) */
  errors: ExpressionError[];
}

interface Held {
  analysis: ExpressionAnalysis;
  source: ExpressionInput;
  /** kept for --measure only */
  root?: CelNode;
  cost?: CostResult;
}

/**
 * Whether a policy expression's figures depend on other expressions: it defines a variable
 * (others' costs include it), reads one (its cost includes theirs), or is an item of an
 * all/any/none list (ordering advice compares it with its siblings). The rest need nothing more.
 */
function dependsOnOthers(source: ExpressionInput, analysis: ExpressionAnalysis): boolean {
  if (source.defines || isListItem(source.conditionPath)) return true;
  for (const p of analysis.metrics.paths) if (p.startsWith('V.')) return true;
  return false;
}

/** Runs the whole analysis; resolves to the section (the caller wraps and writes the report). */
export async function analyzeCel(request: AnalyzeCelRequest): Promise<AnalyzeCelResult> {
  const { options, clock } = request;
  const runWall0 = clock.wallNs();
  const runCpu0 = clock.cpuUs();
  const tally = new SectionTally(request.failOverUnits);
  const errors: ExpressionError[] = [];
  const skipped: Array<{ file: string; reason: string }> = [];
  const held: Held[] = [];
  const measuring = request.measure !== undefined;
  let analysisNs = 0n;
  let analysisCpuUs = 0;

  /** Analyses a batch; expressions whose figures depend on others (or on measuring) are held. */
  const analyse = (inputs: Iterable<ExpressionInput>, hold: boolean): void => {
    const w0 = clock.wallNs();
    const c0 = clock.cpuUs();
    for (const source of inputs) {
      const r = analyzeExpression(source, options);
      if (!r.ok) errors.push(r.error);
      else if (measuring) held.push({ analysis: r.analysis, source, root: r.root, cost: r.cost });
      else if (hold && dependsOnOthers(source, r.analysis)) held.push({ analysis: r.analysis, source });
      else tally.add(r.analysis);
    }
    analysisNs += clock.wallNs() - w0;
    analysisCpuUs += clock.cpuUs() - c0;
  };

  for await (const src of request.sources) {
    if (!src.policy) {
      analyse(textExpressions(src.text, src.file), false);
      continue;
    }
    const r = expressionsFromPolicy(src.text, src.file, src.fromDirectory);
    for (const e of r.errors) errors.push(e);
    if (r.ignored) skipped.push({ file: src.file, reason: 'not a policy (test suite, scenario or data file)' });
    analyse(r.inputs, true);
  }
  if (request.expressions.length) analyse(request.expressions.map(expressionFromFlag), false);
  if (request.corpus) {
    // warm the JIT on a different corpus first, so the figure is the steady-state throughput
    const warm = corpusInputs(Math.min(5_000, request.corpus.size), request.corpus.seed + 1);
    for (const w of warm) analyzeExpression(w, options);
    analyse(corpusInputs(request.corpus.size, request.corpus.seed), false);
  }

  const w0 = clock.wallNs();
  const c0 = clock.cpuUs();
  applyVariableCosts(held);
  analysisNs += clock.wallNs() - w0;
  analysisCpuUs += clock.cpuUs() - c0;

  const measure = request.measure ? measureHeld(held, request.measure, clock) : undefined;
  // after --measure, which replaces only the static && / || operand advice with measured advice
  applyConditionOrder(held);
  for (const h of held) tally.add(h.analysis);

  const section = buildSection({
    tally,
    errors,
    options,
    failOverUnits: request.failOverUnits,
    analysisMs: Number(analysisNs) / 1e6,
    analysisCpuMs: analysisCpuUs / 1000,
    run: { wallMs: Number(clock.wallNs() - runWall0) / 1e6, cpuMs: (clock.cpuUs() - runCpu0) / 1000 },
    skipped,
    ...(measure ? { measure } : {}),
    ...(request.corpus ? { corpus: { seed: request.corpus.seed } } : {}),
  });
  return { section, errors };
}

/** Times every held expression, replaces static operand-order advice with measured advice, fits cost to time. */
function measureHeld(held: Held[], m: NonNullable<AnalyzeCelRequest['measure']>, clock: CelClock): MeasureSummary {
  const measureOptions = { seed: m.seed, listSize: m.listSize, clock: () => clock.wallNs(), ...(m.input ? { input: m.input.request } : {}) };
  const points: CalibrationPoint[] = [];
  for (let i = 0; i < held.length; i++) {
    const a = held[i] as Required<Held>;
    const req = m.input?.request ?? generateRequest(a.root, a.cost, m.seed + i, m.listSize);
    a.analysis.measured = measureExpression(a.analysis.expression, req, measureOptions);
    // operand order advice from measured operand costs instead of static ones
    const operandNs = new Map<string, number>();
    const timed = (text: string): number => {
      let ns = operandNs.get(text);
      if (ns === undefined) operandNs.set(text, (ns = measureExpression(text, req, { ...measureOptions, batchNs: 300_000, batches: 3 }).nsPerEval));
      return ns;
    };
    const advice = measuredOperandAdvice(a.source, a.root, a.cost, timed);
    a.analysis.recommendations = sortRecommendations([...a.analysis.recommendations.filter((r) => r.rule !== 'cheaper-operand-first'), ...advice]);
    if (a.analysis.measured.error === null) {
      points.push({ id: a.analysis.id, costUnits: a.analysis.cost.rankCostUnits, nsPerEval: a.analysis.measured.nsPerEval });
    }
    // the trees were kept for this only
    delete (a as Held).root;
    delete (a as Held).cost;
  }
  return {
    input: m.input ? m.input.name : `generated (seed ${m.seed}, ${m.listSize} elements per list)`,
    spearman: spearman(
      points.map((p) => p.costUnits),
      points.map((p) => p.nsPerEval),
    ),
    points: points.length,
    fit: fitCalibration(points),
  };
}
