/**
 * `cerbos compile` on a policy folder and its test suites: are they valid Cerbos, and do the
 * suites pass on the real PDP? The policies and tests are copied into one temporary folder
 * (tests under `tests/`), the layout `cerbos compile DIR` reads without its deprecated --tests flag.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireCerbos, type CerbosBinary } from './cerbos-binary.js';

export interface CerbosCompileOptions {
  policyDir: string;
  /** Cerbos test suites (`*_test.yaml`); default: only those inside policyDir */
  testsDir?: string | null;
  /** default: requireCerbos() */
  binary?: CerbosBinary;
  /** default 120 s */
  timeoutMs?: number;
}

export interface CerbosCompileResult {
  /** compiled, and every test passed */
  ok: boolean;
  version: string;
  testsCount: number;
  failedTests: number;
  /** `file:line:column: message`, files relative to the policy folder */
  compileErrors: string[];
  /** `suite / test / principal / resource / action: expected X, got Y` */
  testFailures: string[];
  /** Cerbos's exit code */
  exitCode: number;
}

interface CompileJson {
  compileErrors?: { errors?: Array<{ file?: string; error?: string; description?: string; position?: { line?: number; column?: number } }> };
  summary?: { overallResult?: string; testsCount?: number; resultCounts?: Array<{ result?: string; count?: number }> };
  suites?: unknown[];
}

export async function compileWithCerbos(options: CerbosCompileOptions): Promise<CerbosCompileResult> {
  const binary = options.binary ?? (await requireCerbos());
  const work = await mkdtemp(join(tmpdir(), 'authz-perf-cerbos-compile-'));
  try {
    const dir = join(work, 'repo');
    await cp(resolve(options.policyDir), dir, { recursive: true });
    if (options.testsDir) await cp(resolve(options.testsDir), join(dir, 'tests'), { recursive: true });
    const { code, stdout, stderr } = await run(binary.path, ['compile', '--no-color', '--output=json', dir], options.timeoutMs ?? 120_000);
    let parsed: CompileJson;
    try {
      parsed = JSON.parse(stdout) as CompileJson;
    } catch {
      const why = (stderr.trim() || stdout.trim()).split('\n').pop() ?? `exit code ${code}`;
      throw new Error(`cerbos compile gave no JSON report: ${why}`);
    }
    const compileErrors = (parsed.compileErrors?.errors ?? []).map((e) => {
      const where = [e.file ?? '?', e.position?.line, e.position?.column].filter((p) => p !== undefined).join(':');
      return `${where}: ${(e.description ?? e.error ?? 'error').replace(/\s*\n\s*/g, ' ')}`;
    });
    const counts = parsed.summary?.resultCounts ?? [];
    const failedTests = counts.filter((c) => c.result !== 'RESULT_PASSED' && c.result !== 'RESULT_SKIPPED').reduce((n, c) => n + (c.count ?? 0), 0);
    const testFailures: string[] = [];
    collectFailures(parsed.suites ?? [], [], testFailures);
    return {
      ok: code === 0 && compileErrors.length === 0 && failedTests === 0,
      version: binary.version,
      testsCount: parsed.summary?.testsCount ?? 0,
      failedTests,
      compileErrors,
      testFailures,
      exitCode: code,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Walks suites → testCases → principals → resources → actions, naming each level. */
function collectFailures(nodes: unknown[], path: string[], out: string[]): void {
  for (const node of nodes) {
    if (node === null || typeof node !== 'object') continue;
    const n = node as Record<string, unknown>;
    const name = typeof n['name'] === 'string' ? n['name'] : '?';
    const details = n['details'] as { result?: string; failure?: { expected?: string; actual?: string }; error?: string } | undefined;
    if (details && (details.result === 'RESULT_FAILED' || details.result === 'RESULT_ERRORED')) {
      const why = details.failure ? `expected ${details.failure.expected ?? '?'}, got ${details.failure.actual ?? '?'}` : (details.error ?? details.result);
      out.push(`${[...path, name].join(' / ')}: ${why}`);
    }
    for (const key of ['testCases', 'principals', 'resources', 'actions']) {
      const children = n[key];
      if (Array.isArray(children)) collectFailures(children, [...path, name], out);
    }
  }
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(err.killed ? `cerbos compile did not finish within ${timeoutMs} ms` : `cerbos compile failed to run: ${err.message}`));
        return;
      }
      resolvePromise({ code: err ? Number(err.code) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
