/**
 * Benchmark of `codeseceval view` on 72,000 results (10 models x 4 experiments x 180 tasks x
 * 10 samples), the data `npm run bench:report` synthesises. Prints how long the viewer takes
 * to index the file and score it, how fast each API answers, how long the pages take to
 * render in headless Chromium, and the memory it holds. Targets: overview < 2 s, task page
 * < 0.3 s.
 *
 *   npm run bench:view [-- --results FILE] [--dataset DIR] [--rounds N]
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadDataset } from '../src/benchmarks/index.js';
import { PACKAGE_ROOT } from '../src/io/paths.js';
import { ViewData } from '../src/view/data.js';
import { startViewServer } from '../src/view/server.js';

const CHROMIUM = process.env.CODESECEVAL_CHROMIUM ?? '/usr/bin/chromium';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i !== -1 ? process.argv[i + 1] : undefined;
}

function datasetDir(): string {
  return flag('--dataset') ?? process.env.CODESECEVAL_DATASET ?? path.join(PACKAGE_ROOT, '..', 'shared', 'datasets', 'codeseceval');
}

/** The report benchmark's own data maker, run as-is with --keep; returns the results file. */
async function synthesise(): Promise<{ file: string; cleanup: () => void }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'report.ts');
  const tsx = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [script, '--keep', '--dataset', datasetDir()], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    process.stdout.write(`  [bench:report] ${c.toString().trimEnd().split('\n').join('\n  [bench:report] ')}\n`);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const m = /files kept in (.+)$/m.exec(out);
  if (code !== 0 || !m) throw new Error(`bench/report.ts --keep failed (exit ${code})`);
  const dir = m[1]!.trim();
  return { file: path.join(dir, 'results.jsonl'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const rounds = Number(flag('--rounds') ?? 5);
  const given = flag('--results');
  const data = given ? { file: path.resolve(given), cleanup: () => {} } : await synthesise();
  try {
    const dataset = loadDataset(datasetDir());
    const t0 = performance.now();
    const view = ViewData.open([data.file], { dataset, pollMs: 0 });
    const indexMs = performance.now() - t0;
    const server = await startViewServer({ data: view, port: 0 });
    const get = async (p: string) => {
      const res = await fetch(`${server.url.replace(/\/$/, '')}${p}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`${p}: ${res.status} ${text}`);
      return text;
    };
    // The first overview waits for the scores (buildReport on the whole file).
    const [overview, firstOverviewMs] = await timed(() => get('/api/overview'));
    const startToOverview = performance.now() - t0;
    const runs = (JSON.parse(overview) as { runs: { key: string }[] }).runs;
    const task = dataset.tasks[Math.floor(dataset.tasks.length / 2)]!.id;

    const measure = async (p: string) => {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < rounds; i++) {
        const [body, t] = await timed(() => get(p));
        times.push(t);
        bytes = body.length;
      }
      return { t: median(times), bytes };
    };
    const enc = encodeURIComponent;
    const rows: [string, { t: number; bytes: number }][] = [
      ['overview (scores cached)', await measure('/api/overview')],
      ['tasks, no filter (40 runs)', await measure('/api/tasks')],
      ['tasks, CWE + model filter', await measure('/api/tasks?cwe=CWE-79&model=synthetic:model-03')],
      ['tasks, free text over all code', await measure(`/api/tasks?q=${enc('sample 7 of synthetic:model-05')}`)],
      ['task, all 40 runs (400 samples)', await measure(`/api/task?id=${enc(task)}`)],
      ['one sample (program, 2 diffs)', await measure(`/api/sample?run=${enc(runs[0]!.key)}&task=${enc(task)}&index=3`)],
      ['compare two runs', await measure(`/api/compare?a=${enc(runs[0]!.key)}&b=${enc(runs[5]!.key)}`)],
    ];
    // What a task page asks for: the task, then one sample for each of the 6 runs it shows.
    const pageTimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const [, t] = await timed(async () => {
        await get(`/api/task?id=${enc(task)}`);
        await Promise.all(runs.slice(0, 6).map((r) => get(`/api/sample?run=${enc(r.key)}&task=${enc(task)}&index=0`)));
      });
      pageTimes.push(t);
    }
    const mem = process.memoryUsage();

    console.log(`\n${view.runs().length} runs, ${view.sources.reduce((s, x) => s + x.lines, 0)} results from ${data.file}`);
    console.log('step                                   time      answer');
    console.log(`index the results file (start-up)   ${ms(indexMs)}`);
    console.log(`first overview (waits for scores)   ${ms(firstOverviewMs)}   ${(overview.length / 1024).toFixed(0)} KiB`);
    console.log(`start to overview answered          ${ms(startToOverview)}   (target < 2 s)`);
    for (const [name, r] of rows) console.log(`${name.padEnd(36)}${ms(r.t)}   ${(r.bytes / 1024).toFixed(0)} KiB`);
    console.log(`task page data (task + 6 samples)   ${ms(median(pageTimes))}   (target < 0.3 s)`);
    console.log(`memory: RSS ${mib(mem.rss)}, heap used ${mib(mem.heapUsed)} (index of 72,000 samples and the scores)`);

    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        const shown = async (hash: string, selector: string) => {
          const t = performance.now();
          await page.goto(`${server.url}${hash}`);
          await page.waitForSelector(selector);
          return performance.now() - t;
        };
        const o: number[] = [];
        const tp: number[] = [];
        const tl: number[] = [];
        for (let i = 0; i < Math.max(1, Math.min(rounds, 3)); i++) {
          o.push(await shown('#/', 'table.runs tbody tr'));
          tl.push(await shown('#/tasks', 'table.tasks tbody tr'));
          tp.push(await shown(`#/task/${enc(task)}`, '.run-card .sample .code'));
        }
        console.log(`in Chromium, page load to drawn: overview ${median(o).toFixed(0)} ms, task explorer ${median(tl).toFixed(0)} ms, task page ${median(tp).toFixed(0)} ms`);
      } finally {
        await browser.close();
      }
    } else {
      console.log(`(no ${CHROMIUM}: page render times not measured)`);
    }
    await server.close();
  } finally {
    data.cleanup();
  }
}

await main();
