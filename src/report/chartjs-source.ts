import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

let cached: { code: string; version: string } | undefined;

/**
 * Chart.js's UMD build, read from node_modules once, for inlining into HTML reports (no CDN: the
 * page works offline). The package's exports map hides dist/, so resolve the package entry and
 * walk to dist/chart.umd.js (already minified in Chart.js 4).
 */
export function chartJsSource(): { code: string; version: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const entry = require.resolve('chart.js'); // .../node_modules/chart.js/dist/chart.cjs
  let dir = path.dirname(entry);
  while (path.basename(dir) !== 'chart.js' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  let code = readFileSync(path.join(dir, 'dist', 'chart.umd.js'), 'utf8');
  // the source map comment would make browsers look for a file that is not there
  code = code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  cached = { code, version: pkg.version };
  return cached;
}
