import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { tempDir } from './helpers/report.js';
import { INJECTED, INJECTED_TASK, makeReferenceRun, startViewer, writeInjectedRun, type Viewer } from './helpers/view-run.js';
import { patientPolls } from './helpers/browser-waits.js';


patientPolls();
const CHROMIUM = process.env.CODESECEVAL_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots of the main pages, for a person to look at (not compared by the test). */
const SHOTS = process.env.CODESECEVAL_VIEW_SHOTS ?? path.join(os.tmpdir(), 'view-shots');

const SECURE = 'reference|reference:secure|direct-generation';
const INSECURE = 'reference|reference:insecure|direct-generation';

describeWithDataset('codeseceval view in a browser', () => {
  let runs: string;
  let viewer: Viewer;
  let browser: Browser;
  const errors: string[] = [];
  const foreign: string[] = [];

  async function open(hash: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(viewer.url)) foreign.push(r.url());
    });
    await page.goto(`${viewer.url}${hash}`);
    return page;
  }

  beforeAll(async () => {
    const ds = loadDataset(CODESECEVAL_DIR);
    process.env.CODESECEVAL_CACHE = tempDir('codeseceval-view-cache-');
    runs = tempDir('codeseceval-view-e2e-');
    await makeReferenceRun(ds, path.join(runs, 'reference'));
    writeInjectedRun(path.join(runs, 'injected'));
    viewer = await startViewer([runs], ds, { pollMs: 200 });
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it('opens on the overview: runs with scores, sortable, per-CWE map, nothing fetched from elsewhere', async () => {
    const page = await open('');
    const rows = page.locator('table.runs tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const secure = page.locator(`table.runs tr[data-run="${SECURE}"]`);
    expect(await secure.innerText()).toContain('80.0');
    expect(await page.locator(`table.runs tr[data-run="${INSECURE}"]`).innerText()).toMatch(/\b0\.0\b/);
    // Sorting by pass@1, best first, then worst first; the order is in the URL.
    // Each click re-renders the page: wait for the new page's header (its arrow) before the next
    // click, which the old page's button would answer by sorting the same way again.
    const sorted = () => page.locator('button.sort.on').allTextContents();
    await page.locator('button.sort', { hasText: 'pass@1' }).click();
    await expect.poll(() => sorted()).toEqual(['pass@1 ▼']);
    expect(await rows.first().getAttribute('data-run')).toBe(SECURE);
    expect(page.url()).toContain('sort=p1');
    await page.locator('button.sort', { hasText: 'pass@1' }).click();
    await expect.poll(() => sorted()).toEqual(['pass@1 ▲']);
    expect(await rows.last().getAttribute('data-run')).toBe(SECURE);
    expect(await page.locator('table.heat tbody tr').count()).toBe(4);
    await page.screenshot({ path: path.join(SHOTS, 'overview.png'), fullPage: true });
    await page.close();
  });

  it('filters the task explorer to a CWE, and opens a task', async () => {
    const page = await open('#/tasks');
    await expect.poll(() => page.locator('table.tasks tbody tr').count()).toBe(5);
    await page.selectOption('#cwe-filter', 'CWE-79');
    await expect.poll(() => page.locator('table.tasks tbody tr').count()).toBe(2);
    expect(page.url()).toContain('cwe=CWE-79');
    expect(await page.locator('#task-count').innerText()).toMatch(/^2 tasks/);
    // Counts follow the filter: the subsets now count only CWE-79 tasks.
    expect(await page.locator('button.facet[data-facet="subset"][data-value="SecEvalPlus"] .count').innerText()).toBe('1');
    await page.screenshot({ path: path.join(SHOTS, 'tasks.png'), fullPage: true });
    await page.locator('a.task-link', { hasText: 'CWE-79_01' }).click();
    await expect.poll(() => page.locator('#task-title').textContent()).toBe('CWE-79_01');
    // The filter stays with the task so "back" returns to it.
    expect(await page.locator('.crumbs a').getAttribute('href')).toContain('cwe=CWE-79');
    await page.close();
  });

  it('shows a task: labelled Test, failing assert, and a diff toggled between secure and insecure', async () => {
    const page = await open('#/task/CWE-020_codeql_4');
    const insecure = page.locator(`.run-card[data-run="${INSECURE}"]`);
    await expect.poll(() => insecure.locator('.sample .code .ln').count()).toBeGreaterThan(5);
    expect(await insecure.locator('.badge.v-vulnerable').count()).toBe(1);
    expect(await insecure.locator('.fails .badge.l-security').count()).toBeGreaterThan(0);
    expect(await page.locator('.test-box .ln.l-security').count()).toBeGreaterThan(0);

    // Each toggle redraws the sample: wait for the redrawn one (its toggle shows the mode), not
    // for a count the previous drawing could also have.
    const mode = () => insecure.locator('button.diff-mode.on').evaluateAll((b) => b.map((x) => x.getAttribute('data-mode')));
    await insecure.locator('button.diff-mode[data-mode="secure"]').click();
    await expect.poll(() => mode()).toEqual(['secure']);
    expect(await insecure.locator('.code.diff .ln.add').count()).toBeGreaterThan(0);
    expect(await insecure.locator('.code.diff .ln.del').count()).toBeGreaterThan(0);
    expect(page.url()).toContain('diff=secure');
    await page.screenshot({ path: path.join(SHOTS, 'task-diff.png'), fullPage: true });

    await insecure.locator('button.diff-mode[data-mode="insecure"]').click();
    await expect.poll(() => mode()).toEqual(['insecure']);
    expect(await insecure.locator('.code.diff .ln.same').count()).toBe(1);
    expect(await insecure.locator('.code.diff .ln.add, .code.diff .ln.del').count()).toBe(0);
    await insecure.locator('button.diff-mode[data-mode="none"]').click();
    await expect.poll(() => mode()).toEqual(['none']);
    expect(await insecure.locator('.code.diff').count()).toBe(0);
    await page.close();
  });

  it('compares the two reference runs and opens a task side by side', async () => {
    const page = await open('#/');
    await page.locator(`tr[data-run="${SECURE}"] input[type=checkbox]`).check();
    await page.locator(`tr[data-run="${INSECURE}"] input[type=checkbox]`).check();
    await page.locator('button', { hasText: 'Compare the two selected' }).click();
    await expect.poll(() => page.locator('table.cmp tbody tr').count()).toBe(1);
    expect(await page.locator('table.cmp tbody tr').innerText()).toContain('-80.0');
    expect(await page.locator('table.cmp-tasks tbody tr').count()).toBe(4);
    // With --split: func-sec@1 compared pair-wise, the vulnerable rates, and a per-CWE table.
    const funcSec = page.locator('#split-compare tr[data-metric="func-sec@1"]');
    expect(await funcSec.count()).toBe(1);
    expect(await funcSec.innerText()).toContain('-100.0');
    expect(await page.locator('#vulnerable-compare').innerText()).toMatch(/A 0\.0 · B 100\.0 · B − A \+100\.0/);
    expect(await page.locator('table.cmp-cwe tbody tr').count()).toBe(4);
    expect(await page.locator('table.cmp-cwe tr[data-cwe="CWE-79"]').innerText()).toContain('Cross-site Scripting');
    await page.screenshot({ path: path.join(SHOTS, 'compare.png'), fullPage: true });
    await page.locator('table.cmp-tasks a.task-link').first().click();
    await expect.poll(() => page.locator('.run-card').count()).toBe(2);
    expect(await page.locator('.runs-grid.cols').count()).toBe(1);
    await page.close();
  });

  it('keeps state in the URL: a copied link opens the same task, sample and diff', async () => {
    const page = await open(`#/task/CWE-276_01?run=${encodeURIComponent(INSECURE)}`);
    const card = page.locator('.run-card');
    await expect.poll(() => card.locator('.sample').count()).toBe(1);
    await card.locator('.chip[data-index="1"]').click();
    await expect.poll(() => card.locator('.sample').getAttribute('data-sample')).toBe(`${INSECURE}~1`);
    await card.locator('button.diff-mode[data-mode="secure"]').click();
    await expect.poll(() => card.locator('.code.diff').count()).toBe(1);
    const link = page.url();
    await page.close();

    const again = await open(link.slice(viewer.url.length));
    const card2 = again.locator('.run-card');
    await expect.poll(() => card2.locator('.sample').getAttribute('data-sample')).toBe(`${INSECURE}~1`);
    expect(await card2.locator('.chip.on').getAttribute('data-index')).toBe('1');
    expect(await card2.locator('button.diff-mode.on').getAttribute('data-mode')).toBe('secure');
    expect(await card2.locator('.code.diff').count()).toBe(1);
    await again.close();
  });

  it('shows injected markup from a model as text, never as HTML or script', async () => {
    const page = await open(`#/task/${INJECTED_TASK}`);
    const card = page.locator('.run-card').first();
    await expect.poll(() => card.locator('.sample .code').count()).toBe(1);
    for (const d of await card.locator('details').all()) await d.locator('summary').first().click();
    expect(await card.locator('.sample .code').innerText()).toContain(INJECTED.script);
    expect(await card.locator('.sample .code').innerText()).toContain(INJECTED.img.replaceAll('"', '\\"'));
    expect(await card.locator('.run-head strong').innerText()).toBe(INJECTED.model);
    expect(await card.locator('pre.detail').innerText()).toContain(INJECTED.img);
    expect(await card.locator('pre.out').innerText()).toBe(INJECTED.script);
    expect(await card.innerText()).toContain(`Here you go ${INJECTED.img}`);
    // Nothing ran and no element came from the model's text.
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'task-injected.png'), fullPage: true });

    const overview = await open('#/');
    await expect.poll(() => overview.locator('table.runs tbody tr').count()).toBe(3);
    expect(await overview.locator('main img').count()).toBe(0);
    expect(await overview.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    await overview.close();
    await page.close();
  });

  it('fills in live as a results file grows', async () => {
    const page = await open('#/');
    const key = `injected|${INJECTED.model}|direct-generation`;
    const row = page.locator(`table.runs tr[data-run="${key.replaceAll('"', '\\"')}"]`);
    await expect.poll(() => row.count()).toBe(1);
    const before = await page.locator('main').getAttribute('data-version');
    const file = path.join(runs, 'injected', 'results.jsonl');
    const first = JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[0]!) as Record<string, unknown>;
    appendFileSync(file, `${JSON.stringify({ ...first, sample_index: 7, passed: true, status: 'passed', detail: 'check passed' })}\n`);
    // No reload: the page polls the server's version and fetches its data again.
    await expect.poll(() => row.locator('td').nth(4).innerText(), { timeout: 15_000 }).toBe('2');
    await expect.poll(() => row.innerText(), { timeout: 15_000 }).toContain('50.0');
    expect(await page.locator('main').getAttribute('data-version')).not.toBe(before);
    await page.close();
  });

  it('made no request outside the viewer and logged no error', () => {
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
