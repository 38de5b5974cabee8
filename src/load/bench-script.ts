/** What the benchmark scripts (`npm run bench:generator`, `bench:workers`) share: their flags and the median they print. */

/** The value after `--name` on the command line, or `fallback`. */
export function scriptArg(name: string, fallback: number | string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : String(fallback);
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
