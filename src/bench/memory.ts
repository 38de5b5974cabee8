/**
 * Memory figures that need a clean heap: a child `node --expose-gc` runs alloc-probe.js for one
 * scenario and prints one JSON line. The child has a large young generation so a measured round
 * rarely meets a scavenge (rounds that do are dropped, see alloc.ts).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryResult } from './types.js';

export interface ProbeOutput {
  bytesPerCheck: number | null;
  bytesPerCachedCheck: number | null;
  retainedEngineBytes: number | null;
  rounds: { used: number; dropped: number };
}

const PROBE = fileURLToPath(new URL('./alloc-probe.js', import.meta.url));
const TIMEOUT_MS = 60_000;

export function probeArgs(scenario: string, seed: number, requests: number, globalsFile?: string, lenientScopes?: boolean): string[] {
  return ['--expose-gc', '--max-semi-space-size=64', '--min-semi-space-size=64', PROBE, JSON.stringify({ scenario, seed, requests, globalsFile, lenientScopes })];
}

/** Runs the probe; a failure becomes nulls plus the reason in `method` (memory is not worth failing a run). */
export function measureChildMemory(scenario: string, seed: number, requests: number, globalsFile?: string, lenientScopes?: boolean): Promise<Omit<MemoryResult, 'heapDeltaBytes'>> {
  return new Promise((resolve) => {
    execFile(process.execPath, probeArgs(scenario, seed, requests, globalsFile, lenientScopes), { timeout: TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const failed = (why: string): void =>
        resolve({ bytesPerCheck: null, bytesPerCachedCheck: null, retainedEngineBytes: null, method: `heap delta in-process; child measurement failed: ${why}` });
      if (err) return failed((stderr.trim().split('\n').pop() ?? err.message).slice(0, 200));
      try {
        const out = JSON.parse(stdout.trim().split('\n').pop() ?? '') as ProbeOutput;
        resolve({
          bytesPerCheck: out.bytesPerCheck,
          bytesPerCachedCheck: out.bytesPerCachedCheck,
          retainedEngineBytes: out.retainedEngineBytes,
          method: `heap delta in-process; bytes/check in a child with --expose-gc: median of ${out.rounds.used} GC-free rounds (${out.rounds.dropped} dropped)`,
        });
      } catch {
        failed('unreadable probe output');
      }
    });
  });
}
