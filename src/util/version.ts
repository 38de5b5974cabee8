import { readFileSync } from 'node:fs';

/** The command's name, as reports and generated files give it. */
export const TOOL_NAME = 'authz-perf';

/** The package version, read once from package.json (dist/src/util → repo root). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Repository root (where package.json and scenarios/ live), as a file path. */
export const PACKAGE_ROOT: string = new URL('../../../', import.meta.url).pathname;
