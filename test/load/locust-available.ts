/** Whether Locust can run here; tests that need it skip with this one line otherwise. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function locustOnPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, 'locust'), constants.X_OK);
      return path.join(dir, 'locust');
    } catch {
      // not here
    }
  }
  return null;
}

export const NO_LOCUST: string | false = locustOnPath() ? false : 'Locust is not installed (apt-get install -y python3-locust)';
