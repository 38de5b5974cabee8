/** A `serve` child process for tests: started with the given node arguments, ready once it prints its listening line. */
import { spawn } from 'node:child_process';

export interface ServeChild {
  url: string;
  port: number;
  /** everything it wrote to stderr so far */
  stderr(): string;
  /** SIGTERM, then its exit code */
  stop(): Promise<number | null>;
}

export async function startServeChild(nodeArgs: string[]): Promise<ServeChild> {
  const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited early (${String(code)}): ${stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    stderr: () => stderr,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
