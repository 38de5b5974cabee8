import type { CommandName, ReportFor } from '../types.js';
import type { SectionRenderer } from '../render-types.js';
import { benchRenderer } from './bench.js';
import { loadtestRenderer } from './loadtest.js';
import { celAnalysisRenderer } from './analyze-cel.js';
import { explainRenderer } from './explain.js';
import { sizeRenderer } from './size.js';
import { verifyRenderer } from './verify.js';
import { doctorRenderer } from './doctor.js';
import { compareRenderer } from './compare.js';

const renderers: { [C in CommandName]: SectionRenderer<ReportFor<C>> } = {
  bench: benchRenderer,
  loadtest: loadtestRenderer,
  'analyze-cel': celAnalysisRenderer,
  explain: explainRenderer,
  size: sizeRenderer,
  verify: verifyRenderer,
  doctor: doctorRenderer,
  compare: compareRenderer,
};

export function sectionRenderer<C extends CommandName>(command: C): SectionRenderer<ReportFor<C>> {
  return renderers[command] as SectionRenderer<ReportFor<C>>;
}
