/**
 * wrk (the Debian package) as a reference generator for the project's benchmark scripts: a Lua
 * script cycling through pre-formatted POST requests, and the parsing of its summary.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { findOnPath } from '../util/which.js';
import { parseThreadStat } from './thread-cpu.js';

/** wrk's Lua script cycling through the pre-formatted requests. */
export function wrkScript(pathName: string, bodies: readonly Buffer[]): string {
  const lines = bodies.map((b) => {
    const text = b.toString('utf8');
    if (text.includes(']==]')) throw new Error('a request body contains ]==]');
    return `  [==[${text}]==],`;
  });
  return [
    'local bodies = {',
    ...lines,
    '}',
    'local reqs = {}',
    'local n = 0',
    'init = function(args)',
    '  for i, b in ipairs(bodies) do',
    `    reqs[i] = wrk.format("POST", "${pathName}", { ["Content-Type"] = "application/json" }, b)`,
    '  end',
    '  n = #reqs',
    'end',
    'local i = 0',
    'request = function()',
    '  i = i % n + 1',
    '  return reqs[i]',
    'end',
    '',
  ].join('\n');
}

export const hasWrk = (): boolean => findOnPath('wrk', process.env.PATH ?? '') !== null;

export interface WrkResult {
  rps: number;
  non2xx: number;
  /** CPU seconds wrk used (user + system), from /proc; null where /proc is not readable */
  cpuS: number | null;
}

/** A process's user + system CPU seconds from /proc/PID/stat (Linux), or null. */
export async function procCpuSeconds(pid: number): Promise<number | null> {
  try {
    const { user, system } = parseThreadStat(await readFile(`/proc/${pid}/stat`, 'latin1'));
    return (user + system) / 1e6;
  } catch {
    return null;
  }
}

/**
 * Runs wrk (optionally under `taskset -c cpus`, which execs it in the same process) and samples
 * its CPU time every 100 ms while it runs; the last sample is at most 100 ms short.
 */
export function runWrk(o: { url: string; script: string; connections: number; threads: number; durationS: number; cpus?: string }): Promise<WrkResult> {
  const wrkArgs = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationS}s`, '-s', o.script, o.url];
  const child = o.cpus !== undefined ? spawn('taskset', ['-c', o.cpus, 'wrk', ...wrkArgs]) : spawn('wrk', wrkArgs);
  let out = '';
  let cpuS: number | null = null;
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const sampler = setInterval(() => {
    if (child.pid !== undefined) void procCpuSeconds(child.pid).then((s) => (cpuS = s ?? cpuS));
  }, 100);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearInterval(sampler);
      reject(err);
    });
    child.once('exit', (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`wrk exited with code ${code}`));
      resolve({
        rps: Number(/Requests\/sec:\s*([\d.]+)/.exec(out)?.[1] ?? NaN),
        non2xx: Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(out)?.[1] ?? 0),
        cpuS,
      });
    });
  });
}
