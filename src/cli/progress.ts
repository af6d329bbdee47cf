import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

/**
 * A progress bar with done/total, rate and ETA on a TTY; on anything else (CI logs, pipes) a
 * plain line every 10 % so logs stay readable.
 */
export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(total, 0, { rate: '0.0' });
    return {
      update(done, newTotal) {
        if (newTotal !== undefined) bar.setTotal(newTotal);
        const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
        bar.update(done, { rate: rate.toFixed(1) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastDecile = -1;
  let currentTotal = total;
  const started = Date.now();
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) currentTotal = newTotal;
      const decile = currentTotal ? Math.floor((done / currentTotal) * 10) : 10;
      if (decile === lastDecile) return;
      lastDecile = decile;
      const secs = (Date.now() - started) / 1000;
      stream.write(`${label}: ${done}/${currentTotal} (${secs.toFixed(1)} s)\n`);
    },
    stop() {},
  };
}
