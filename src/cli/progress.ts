import cliProgress from 'cli-progress';
import { EtaEstimator } from './eta.js';

export interface Progress {
  /** `note`: extra counters shown after the rate (errors, cached answers, ...). */
  update(done: number, opts?: { total?: number; note?: string }): void;
  stop(): void;
}

/** 59.6 s is "1m00s", never "0m60s": round to whole seconds first, then split. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The one progress display of every long command: a bar with done/total, rate and ETA on a
 * terminal; elsewhere (CI logs, pipes) a plain line every 10 % or 30 s, so logs stay readable.
 */
export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  const rate = (done: number) => done / Math.max(0.001, (Date.now() - started) / 1000);
  const eta = new EtaEstimator(started);
  let etaTotal = total;
  const etaText = (done: number): string => {
    eta.update(done, Date.now());
    const ms = eta.etaMs(etaTotal - done);
    return ms === null ? '-' : formatDuration(ms);
  };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | {rate}/s | ETA {eta_text}{note}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', note: '', eta_text: '-' });
    return {
      update(done, opts = {}) {
        if (opts.total !== undefined) {
          bar.setTotal(opts.total);
          etaTotal = opts.total;
        }
        bar.update(done, { rate: rate(done).toFixed(1), note: opts.note ? ` | ${opts.note}` : '', eta_text: etaText(done) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let currentTotal = total;
  let lastTenth = -1;
  let lastAt = 0;
  return {
    update(done, opts = {}) {
      if (opts.total !== undefined) currentTotal = opts.total;
      etaTotal = currentTotal;
      const smoothed = etaText(done);
      const tenth = currentTotal ? Math.floor((done * 10) / currentTotal) : 10;
      const now = Date.now();
      const edge = done === currentTotal;
      if (!edge && tenth === lastTenth && now - lastAt < 30_000) return;
      if (edge && lastTenth === 10) return;
      lastTenth = tenth;
      lastAt = now;
      const r = rate(done);
      const eta = done < currentTotal && smoothed !== '-' ? ` ETA ${smoothed}` : '';
      const secs = (now - started) / 1000;
      // A rate over less than a second says nothing.
      const speed = secs >= 1 ? `, ${r.toFixed(2)}/s${eta}` : '';
      stream.write(`${label}: ${done}/${currentTotal} (${secs.toFixed(1)} s${speed})${opts.note ? ` ${opts.note}` : ''}\n`);
    },
    stop() {},
  };
}

/** What generation reports; the bar starts at the first report, once the total is known. */
export interface GenerationProgress {
  done: number;
  total: number;
  errors: number;
  cached: number;
  requests: number;
  batches?: { submitted: number; waiting: number; completed: number; failed: number; total: number; status: string } | undefined;
}

/** The batches a generation waits for, in a few words: "1 in_progress, 40/120 answered, 2 failed". */
function batchNote(b: NonNullable<GenerationProgress['batches']>): string {
  return `; batches: ${b.status || `${b.submitted} submitted`}, ${b.completed}/${b.total} answered, ${b.failed} failed`;
}

/** ", 40 by batch (half price)" for the final line, when any request went by batch. */
export function batchedText(s: { batched?: number }): string {
  return s.batched ? `, ${s.batched} of them by batch at batch prices` : '';
}

/** Batches left with the provider (--batch-detach, or still running): how to collect them. */
export function inFlightLine(s: { batch?: { inFlight: string[]; ledger: string } | undefined }): string | null {
  const b = s.batch;
  if (!b?.inFlight.length) return null;
  const ids = b.inFlight.length > 3 ? `${b.inFlight.slice(0, 3).join(', ')} and ${b.inFlight.length - 3} more` : b.inFlight.join(', ');
  return `${b.inFlight.length} batch(es) in flight at the provider (${ids}), recorded in ${b.ledger}; run the same command to collect them (results within 24 h)`;
}

export interface ProgressReporter {
  update(p: GenerationProgress): void;
  finish(): void;
}

export function progressReporter(stream: NodeJS.WriteStream, label = 'generate'): ProgressReporter {
  let bar: Progress | null = null;
  return {
    update(p) {
      if (p.total === 0) return;
      bar ??= createProgress(label, p.total, stream);
      bar.update(p.done, { total: p.total, note: `errors ${p.errors}, cached ${p.cached}, requests ${p.requests}${p.batches ? batchNote(p.batches) : ''}` });
    },
    finish() {
      bar?.stop();
      bar = null;
    },
  };
}

const PHASE_LABELS: Record<string, string> = { calibrate: 'measuring task runtimes', evaluate: 'evaluating' };

/** One bar per evaluation phase (timeout calibration, then the samples), for `evaluate` and `run`. */
export function phaseProgress(stream: NodeJS.WriteStream = process.stderr): {
  update(p: { phase: string; done: number; total: number }): void;
  stop(): void;
} {
  let bar: Progress | null = null;
  let phase = '';
  return {
    update(p) {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = createProgress(PHASE_LABELS[p.phase] ?? p.phase, p.total, stream);
      }
      bar?.update(p.done);
    },
    stop() {
      bar?.stop();
      bar = null;
      phase = '';
    },
  };
}
