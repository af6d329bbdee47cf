/**
 * Benchmark of `codeseceval view` on big samples (issue 18): a 100 MB solution and a
 * 400,000-line one. Prints how long the viewer takes to index the file, to answer each big
 * sample page and its whole text, and how long `/api/version` takes while a big page is being
 * prepared (before: 4.9 s, as highlighting ran on the request path).
 *
 *   npm run bench:view-big [-- --mb 100] [--lines 400000] [--pings 20]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dataset } from '../src/core/task.js';
import { ViewData } from '../src/view/data.js';
import { startViewServer } from '../src/view/server.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i !== -1 ? Number(process.argv[i + 1]) : fallback;
}

const MB = flag('--mb', 100);
const LINES = flag('--lines', 400_000);
const PINGS = flag('--pings', 20);

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const LINE = 'value = compute(1, 2, 3)  # a line of a very long answer\n';

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-bench-view-big-'));
  try {
    const result = (i: number, solution: string) =>
      JSON.stringify({ task_id: 'T', sample_index: i, model: 'm', experiment: 'e', passed: false, status: 'failed', detail: '', duration_ms: 1, solution });
    writeFileSync(
      path.join(dir, 'results.jsonl'),
      [result(0, 'x = 1\n'), result(1, LINE.repeat(Math.ceil((MB * 1024 * 1024) / LINE.length))), result(2, 'value = compute(1, 2, 3)\n'.repeat(LINES))].join('\n') + '\n',
    );
    const dataset: Dataset = { kind: 'bench', source: 'bench', tasks: [], byId: new Map() };
    let t0 = process.hrtime.bigint();
    const data = ViewData.open([dir], { dataset, pollMs: 0 });
    const server = await startViewServer({ data, port: 0 });
    data.start();
    const overview = (await (await fetch(`${server.url}api/overview`)).json()) as { runs: { key: string }[] };
    console.log(`index and overview: ${ms(t0).toFixed(0)} ms`);
    const key = overview.runs[0]!.key;
    const page = (i: number) => `${server.url}api/sample?${new URLSearchParams({ run: key, task: 'T', index: String(i) })}`;
    for (const [i, what] of [
      [1, `${MB} MB solution`],
      [2, `${LINES}-line solution`],
    ] as const) {
      t0 = process.hrtime.bigint();
      const big = fetch(page(i)).then(async (r) => ({ status: r.status, body: (await r.json()) as { truncated: { field: string; url: string }[] }, at: ms(t0) }));
      // /api/version, one after another, until the big page is answered.
      const pings: number[] = [];
      let done = false;
      void big.then(() => (done = true));
      while (!done && pings.length < PINGS) {
        const p0 = process.hrtime.bigint();
        await fetch(`${server.url}api/version`).then((r) => r.arrayBuffer());
        pings.push(ms(p0));
      }
      const b = await big;
      pings.sort((a, c) => a - c);
      const median = pings.length ? pings[pings.length >> 1]!.toFixed(1) : 'none made';
      const worst = pings.length ? pings.at(-1)!.toFixed(1) : 'none made';
      console.log(`${what}: page ${b.status} in ${b.at.toFixed(0)} ms; /api/version meanwhile: ${pings.length} answered, median ${median} ms, worst ${worst} ms`);
      const url = b.body.truncated.find((t) => t.field === 'program')?.url;
      if (url) {
        t0 = process.hrtime.bigint();
        const whole = await (await fetch(`${server.url}${url.slice(1)}`)).arrayBuffer();
        console.log(`${what}: whole text (${(whole.byteLength / 1e6).toFixed(1)} MB) in ${ms(t0).toFixed(0)} ms`);
      }
    }
    console.log(`RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    data.stop();
    await server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
