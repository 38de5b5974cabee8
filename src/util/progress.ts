/**
 * Progress for long work (anything over ~2 s): a live bar on stderr when it is a TTY, nothing
 * when it is not (CI logs, pipes). Redraws are throttled; the clock and stream are injected.
 *
 *   const progress = createProgress({ stream: ctx.stderr, color: wantsColor(ctx, ctx.stderr) });
 *   progress.update(0.4, 'scenario abac-cel: check-cached');
 *   progress.log('warm-up done');   // printed above the bar (also printed without a TTY)
 *   progress.done();                // clears the bar
 */

export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  /** terminal width, when known */
  columns?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** draw the live bar; default: only when the stream is a TTY */
  live?: boolean;
  /** milliseconds clock; default performance.now */
  now?: () => number;
  /** minimum time between redraws (default 100 ms); the first, the last and log() always draw */
  minIntervalMs?: number;
  /** colour the bar (pass wantsColor(ctx, ctx.stderr)) */
  color?: boolean;
  /** do not draw anything before this much time has passed (default 0) */
  showAfterMs?: number;
}

export interface Progress {
  /** Sets the done fraction (0..1, clamped) and optionally the label; redraws when due. */
  update(fraction: number, label?: string): void;
  /** Prints a line above the live bar (and plainly when there is no bar). */
  log(line: string): void;
  /** Removes the bar; later calls do nothing. */
  done(): void;
  /** Whether the live bar is drawn. */
  readonly live: boolean;
}

const CLEAR_LINE = '\r\u001b[2K';
const BAR_WIDTH = 24;

/** `1m 05s`, `42s`; for elapsed and remaining time on the bar. */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** One bar line (without control codes), fitted to `columns`. */
export function progressLine(fraction: number, label: string, elapsedMs: number, columns: number): string {
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  let timing = formatClock(elapsedMs);
  if (fraction >= 0.02 && fraction < 1 && elapsedMs >= 1000) timing += ` · ~${formatClock((elapsedMs * (1 - fraction)) / fraction)} left`;
  const head = `${bar} ${pct} ${timing}`;
  const room = columns - head.length - 3;
  if (!label || room < 4) return head.slice(0, Math.max(0, columns - 1));
  const text = [...label].length > room ? `${[...label].slice(0, room - 1).join('')}…` : label;
  return `${head} · ${text}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream;
  const live = options.live ?? stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const minInterval = options.minIntervalMs ?? 100;
  const showAfter = options.showAfterMs ?? 0;
  const started = now();
  let fraction = 0;
  let label = '';
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;

  const paintBar = (text: string): string => (options.color ? text.replace(/^([█░]+)/, '\u001b[36m$1\u001b[39m') : text);

  const draw = (): void => {
    const t = now();
    if (t - started < showAfter) return;
    lastDraw = t;
    drawn = true;
    stream.write(CLEAR_LINE + paintBar(progressLine(fraction, label, t - started, stream.columns ?? 80)));
  };

  return {
    live,
    update(value: number, newLabel?: string): void {
      if (finished || Number.isNaN(value)) return;
      fraction = Math.min(1, Math.max(0, value));
      if (newLabel !== undefined) label = newLabel;
      if (!live) return;
      if (!drawn || fraction === 1 || now() - lastDraw >= minInterval) draw();
    },
    log(line: string): void {
      if (finished || !live) {
        stream.write(`${line}\n`);
        return;
      }
      if (drawn) stream.write(CLEAR_LINE);
      stream.write(`${line}\n`);
      if (drawn) draw();
    },
    done(): void {
      if (finished) return;
      finished = true;
      if (live && drawn) stream.write(CLEAR_LINE);
    },
  };
}
