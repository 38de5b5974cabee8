/** An executable found on PATH, as `which` finds it. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The first executable `name` in the folders of `envPath`, or null. */
export function findOnPath(name: string, envPath: string): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
