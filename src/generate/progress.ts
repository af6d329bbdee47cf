import cliProgress from 'cli-progress';
import type { GenerateProgress } from './generate.js';

export interface ProgressReporter {
  update(p: GenerateProgress): void;
  finish(): void;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function rateOf(p: GenerateProgress): number {
  return p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
}

/** A bar on a terminal; elsewhere (CI logs, files) a plain line every 10% or 30 seconds. */
export function progressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'generate [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | errors {errors} | cached {cached}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (p.total === 0) return;
        const payload = { rate: rateOf(p).toFixed(2), errors: p.errors, cached: p.cached };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else bar.update(p.done, payload);
      },
      finish() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let lastAt = 0;
  let lastTenth = -1;
  return {
    update(p) {
      if (p.total === 0) return;
      const tenth = p.total ? Math.floor((p.done * 10) / p.total) : 10;
      if (p.done !== 0 && p.done !== p.total && tenth === lastTenth && p.elapsedMs - lastAt < 30_000) return;
      if (p.done === 0 && lastTenth >= 0) return;
      lastTenth = tenth;
      lastAt = p.elapsedMs;
      const rate = rateOf(p);
      const eta = rate > 0 && p.done < p.total ? ` ETA ${duration(((p.total - p.done) / rate) * 1000)}` : '';
      stream.write(
        `generate: ${p.done}/${p.total} (${rate.toFixed(2)}/s${eta}) errors ${p.errors}, cached ${p.cached}, requests ${p.requests}\n`,
      );
    },
    finish() {},
  };
}

export { duration as formatDuration };
