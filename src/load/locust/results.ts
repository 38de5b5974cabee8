/** The Locust workers' result files (worker-K.json) of a folder, read and parsed for merge.ts. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../util/errors.js';
import { LOCUST_RESULT_PATTERN } from './locustfile.js';
import type { LocustResultFile } from './merge.js';

/** `dir` relative to `cwd`; the files are named relative to it as given. */
export async function locustResultFiles(cwd: string, dir: string): Promise<LocustResultFile[]> {
  const full = path.resolve(cwd, dir);
  let names: string[];
  try {
    names = (await readdir(full)).filter((n) => LOCUST_RESULT_PATTERN.test(n)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`--import-locust: cannot read the folder (${code === 'ENOENT' ? 'no such folder' : (code ?? (err as Error).message)})`, { file: dir });
  }
  if (names.length === 0) throw new InputError('--import-locust: no worker result files (worker-K.json) in this folder', { file: dir });
  const out: LocustResultFile[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = await readFile(path.resolve(cwd, file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? (err as Error).message}`, { file });
    }
    try {
      out.push({ file, json: JSON.parse(text) as unknown });
    } catch (err) {
      throw new InputError(`not valid JSON (${(err as Error).message.split('\n')[0]})`, { file });
    }
  }
  return out;
}
