import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReport } from '../src/report/index.js';
import { writeFileAtomicSync as writeFileAtomic } from '../src/io/write.js';
import { loadValidation } from '../src/score/validation.js';
import { fixtureDataset, resultLines, T, tempDir, validationFor, writeJsonl } from './helpers/report.js';

const CHROMIUM = process.env.CODESECEVAL_CHROMIUM ?? '/usr/bin/chromium';

const COUNTS: Record<string, [number, number]> = {
  [T.age]: [4, 1],
  [T.port]: [4, 0],
  [T.profile]: [4, 4],
  [T.quantity]: [4, 2],
  [T.del]: [4, 1],
  [T.read]: [4, 3],
};

let dir: string;
let htmlFile: string;
let html: string;
let context: BrowserContext;

beforeAll(async () => {
  const ds = fixtureDataset();
  dir = tempDir();
  const results = writeJsonl(path.join(dir, 'results.jsonl'), [
    ...resultLines({ model: 'model-a', experiment: 'direct-generation', counts: COUNTS }),
    ...resultLines({ model: 'model-a', experiment: 'vuln-aware-generation', counts: COUNTS }),
    ...resultLines({ model: 'model-a', experiment: 'explained-repair', counts: COUNTS }),
    ...resultLines({ model: '<b>model-b</b>', experiment: 'direct-generation', counts: COUNTS }),
  ]);
  const vfile = path.join(dir, 'validation.json');
  writeFileSync(vfile, JSON.stringify(validationFor({ [T.profile]: 'secure-fails' })));
  ({ text: html } = await createReport({
    resultsFiles: [results],
    dataset: ds,
    validation: loadValidation(vfile, ds),
    compare: true,
    ks: [1, 3],
    format: 'html',
  }));
  htmlFile = path.join(dir, 'report.html');
  writeFileAtomic(htmlFile, html);

  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)`);
  context = await chromium.launchPersistentContext(tempDir('codeseceval-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
});

afterAll(async () => {
  await context?.close();
});

describe('html report', () => {
  it('is one self-contained file with no script and nothing to fetch', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).toContain("default-src 'none'");
    // Every src/href stays inside the page; the only URL is the SVG namespace.
    for (const m of html.matchAll(/\s(?:src|href)="([^"]*)"/g)) expect(m[1]!.startsWith('#')).toBe(true);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '').replaceAll('http://www.w3.org/1999/xlink', '')).not.toMatch(/https?:\/\//);
    // Model names are escaped, never markup.
    expect(html).not.toContain('<b>model-b</b>');
    expect(html).toContain('&lt;b&gt;model-b&lt;/b&gt;');
  });

  it('renders in headless Chromium with its tables, charts and drill-down, without any network request', async () => {
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${htmlFile}`);
    expect(requests).toEqual([`file://${htmlFile}`]);

    for (const id of ['table-generation', 'table-steps', 'table-repair', 'table-intervals', 'table-compare', 'table-runs', 'table-broken']) {
      expect(await page.locator(`#${id} table`).count(), id).toBe(1);
    }
    const headline = await page.locator('#table-generation tbody tr').allInnerTexts();
    expect(headline).toHaveLength(3);
    const modelA = headline.find((row) => row.startsWith('model-a'))!;
    // pass@1 over the six tasks: (1+0+4+2+1+3)/24.
    expect(modelA).toContain(((11 / 24) * 100).toFixed(1));
    expect(await page.locator('#table-generation thead th.group').allInnerTexts()).toEqual(['CodeSecEval', 'SecEvalBase', 'SecEvalPlus']);

    // Two models: one chart per experiment comparing them, not one per model; only the first
    // is open, the others are folded under their titles.
    const charts = page.locator('#cwe figure svg');
    expect(await charts.count()).toBe(3);
    expect(await page.locator('#cwe details.figure').count()).toBe(2);
    const box = await charts.first().boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(150);
    const chartText = (await charts.allTextContents()).find((t) => t.includes('direct-generation'))!;
    expect(chartText).toContain('models compared');
    expect(chartText).toContain('CWE-20 (3)');
    expect(chartText).toContain('CWE-200 (1)');
    expect(chartText).toContain('model-a');
    expect(chartText).toContain('<b>model-b</b>');
    expect(await page.locator('#cwe details.figure summary').allInnerTexts()).toEqual([
      'Chart: vuln-aware-generation: pass@1 per CWE, models compared',
      'Chart: explained-repair: pass@1 per CWE, models compared',
    ]);

    // Drill-down: one <details> per task; open one and read a sample's code and output.
    const tasks = page.locator('#drilldown details.task');
    expect(await tasks.count()).toBe(6);
    const profile = page.locator(`#drilldown details.task:has(summary code:text-is("${T.profile}"))`);
    expect(await profile.locator('summary .badge').first().innerText()).toContain('broken: secure-fails');
    const age = page.locator(`#drilldown details.task:has(summary code:text-is("${T.age}"))`);
    await age.locator('summary').first().click();
    const run = age.locator('details.run').first();
    await run.locator('summary').first().click();
    const sample = run.locator('details.sample').nth(1);
    expect(await sample.locator('summary').innerText()).toContain('error');
    await sample.locator('summary').click();
    expect(await sample.locator('pre code').innerText()).toContain(`return 1  # ${T.age} <&>`);
    expect(await sample.locator('pre.err').innerText()).toContain(`Traceback <${T.age}> #1`);

    const png = path.join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(statSync(png).size).toBeGreaterThan(10_000);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(requests).toHaveLength(1);
    await page.close();
  });
});
