import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliContext } from './context.js';
import type { LoadtestReport } from '../report/types.js';
import { InputError } from '../util/errors.js';
import { importK6Summary } from '../load/k6.js';

/** A k6 end-of-test JSON summary file as a loadtest report (also for `report --import-k6`). */
export async function readK6Report(ctx: CliContext, file: string): Promise<LoadtestReport> {
  let text: string;
  try {
    text = await readFile(path.resolve(ctx.cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`--import-k6: cannot read (${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)})`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`--import-k6: not valid JSON (${(err as Error).message.split('\n')[0]})`, { file });
  }
  return importK6Summary(json, file);
}
