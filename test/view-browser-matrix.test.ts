import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset, mergeDatasets } from '../src/benchmarks/index.js';
import { CODESECEVAL_DIR, describeWithDataset, describeWithSallm, SALLM_DIR } from './helpers/datasets.js';
import { tempDir } from './helpers/report.js';
import { passes, writeMatrixRun } from './helpers/view-matrix.js';
import { startViewer, VIEW_TASKS, type Viewer } from './helpers/view-run.js';
import { patientPolls } from './helpers/browser-waits.js';


patientPolls();
const CHROMIUM = process.env.CODESECEVAL_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots for a person to look at (not compared by the test). */
const SHOTS = process.env.CODESECEVAL_VIEW_SHOTS ?? path.join(os.tmpdir(), 'view-shots');
const N = 4;
/** Two run folders both called "good": 6 + 5 result sets, "model-06" in both. */
const FOLDER_A = [1, 2, 3, 4, 5, 6].map((i) => ({ index: i, name: `model-0${i}` }));
const FOLDER_B = [{ index: 12, name: 'model-06' }, ...[7, 8, 9].map((i) => ({ index: i, name: `model-0${i}` })), { index: 10, name: 'model-10' }];
const key = (folder: string, model: string) => `${folder}|${model}|direct-generation`;

async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

describeWithDataset('codeseceval view: eleven result sets in two run folders of the same name', () => {
  let viewer: Viewer;
  let browser: Browser;
  const errors: string[] = [];
  /** Ties keep the dataset's order. */
  let datasetOrder: (ids: string[]) => string[];

  async function open(hash: string, width = 1440): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${viewer.url}${hash}`);
    return page;
  }

  beforeAll(async () => {
    const ds = loadDataset(CODESECEVAL_DIR);
    datasetOrder = (ids) => [...ids].sort((a, b) => ds.tasks.findIndex((t) => t.id === a) - ds.tasks.findIndex((t) => t.id === b));
    const root = tempDir('codeseceval-view-matrix-');
    writeMatrixRun(path.join(root, 'a', 'good'), FOLDER_A, VIEW_TASKS, N);
    writeMatrixRun(path.join(root, 'b', 'good'), FOLDER_B, VIEW_TASKS, N);
    viewer = await startViewer([path.join(root, 'a', 'good'), path.join(root, 'b', 'good')], ds);
    browser = await launch();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it('reaches every result set on a task page: a picker kept in the URL, labels naming the run folder', async () => {
    const page = await open('#/task/CWE-276_01');
    await expect.poll(() => page.locator('.run-card').count()).toBe(6);
    const items = page.locator('ul.run-pick li');
    expect(await items.count()).toBe(11);
    // The two "model-06" result sets are told apart by their run folder.
    expect(await page.locator(`li[data-pick="${key('good', 'model-06')}"]`).innerText()).toContain('run good');
    expect(await page.locator(`li[data-pick="${key('good-2', 'model-06')}"]`).innerText()).toContain('run good-2');
    // Pick the last one: it is shown, and the URL names what is shown.
    const last = key('good-2', 'model-10');
    await page.locator(`li[data-pick="${last}"] input[type=checkbox]`).check();
    await expect.poll(() => page.locator('.run-card').count()).toBe(7);
    expect(await page.locator(`.run-card[data-run="${last}"] .run-head`).innerText()).toContain('run good-2');
    const url = new URL(page.url().replace('#/', '/'));
    expect(new URLSearchParams(url.hash || url.search).getAll('run')).toHaveLength(7);
    // Filtering the list by name is kept in the URL too.
    await page.fill('#run-filter', 'good-2');
    await expect.poll(() => items.filter({ hasNot: page.locator('[hidden]') }).evaluateAll((li) => li.filter((x) => !(x as HTMLElement).hidden).length)).toBe(5);
    expect(page.url()).toContain('rf=good-2');
    await page.screenshot({ path: path.join(SHOTS, 'task-eleven.png'), fullPage: true });
    const link = page.url().slice(viewer.url.length);
    await page.close();

    const again = await open(link);
    await expect.poll(() => again.locator('.run-card').count()).toBe(7);
    await expect.poll(() => again.locator('ul.run-pick li').evaluateAll((li) => li.filter((x) => !(x as HTMLElement).hidden).length)).toBe(5);
    await again.close();
  });

  it('shows a task x result-set matrix that sorts by any column and stays usable sideways at 1440 px', async () => {
    const page = await open('#/tasks');
    const rows = page.locator('table.tasks tbody tr');
    await expect.poll(() => rows.count()).toBe(VIEW_TASKS.length);
    expect(await page.locator('table.tasks thead th.rot').count()).toBe(11);
    // Every cell: samples passed / samples, from the known pattern.
    for (const [j, task] of VIEW_TASKS.entries()) {
      const cells = await page.locator(`tr[data-task="${task}"] td.mx`).allInnerTexts();
      const want = [...FOLDER_A, ...FOLDER_B].map((m) => `${[0, 1, 2, 3].filter((s) => passes(m.index, j, s)).length}/${N}`);
      expect(cells).toEqual(want);
    }
    // The sort buttons the page shows as on, with their direction: a click re-renders the page, and
    // the next click must reach the new page's button, not the old one (which sorts the same way again).
    const sorted = () => page.locator('th[aria-sort] button.sort.on').evaluateAll((b) => b.map((x) => `${x.getAttribute('data-sort')} ${x.parentElement?.getAttribute('aria-sort')}`));
    // Sort by one result set, best first: its 2/4 tasks come first.
    const rs = `rs:${key('good', 'model-01')}`;
    await page.locator(`th.rot button[data-sort="${rs}"]`).click();
    await expect.poll(() => sorted()).toEqual([`${rs} ascending`]);
    await page.locator(`th.rot button[data-sort="${rs}"]`).click();
    await expect.poll(() => sorted()).toEqual([`${rs} descending`]);
    expect(page.url()).toContain('dir=desc');
    const best = VIEW_TASKS.filter((_, j) => passes(1, j, 0));
    await expect.poll(() => rows.evaluateAll((tr) => tr.map((x) => x.getAttribute('data-task')))).toEqual([...datasetOrder(best), ...datasetOrder(VIEW_TASKS.filter((t) => !best.includes(t)))]);
    // By task ID (numbers in IDs by value: CWE-79 before CWE-276), then reversed.
    await page.locator('button[data-sort="task"]').click();
    await expect.poll(() => sorted()).toEqual(['task ascending']);
    await expect.poll(() => rows.first().getAttribute('data-task')).toBe([...VIEW_TASKS].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))[0]);
    await page.locator('button[data-sort="task"]').click();
    await expect.poll(() => sorted()).toEqual(['task descending']);
    await expect.poll(() => rows.first().getAttribute('data-task')).toBe([...VIEW_TASKS].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1));
    // Every other sortable header is one the server sorts by.
    for (const id of await page.locator('thead button[data-sort]:not([data-sort^="rs:"])').evaluateAll((b) => b.map((x) => x.getAttribute('data-sort')!))) {
      await page.locator(`button[data-sort="${id}"]`).click();
      await expect.poll(() => sorted()).toEqual([`${id} ascending`]);
      expect(page.url()).toContain(`sort=${id}`);
      await expect.poll(() => rows.count()).toBe(VIEW_TASKS.length);
      expect(await page.locator('main .error').count()).toBe(0);
    }
    // Scrolled to its right end, the matrix keeps the task column in view.
    const scroller = page.locator('.matrix-scroll');
    await scroller.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    const lastHead = await page.locator('table.tasks thead th.rot').last().boundingBox();
    const firstTask = await page.locator('table.tasks tbody th.sticky').first().boundingBox();
    const box = await scroller.boundingBox();
    expect(lastHead!.x + lastHead!.width).toBeLessThanOrEqual(box!.x + box!.width + 1);
    expect(firstTask!.x).toBeGreaterThanOrEqual(box!.x - 1);
    expect(await page.locator('#tasks-legend').innerText()).toContain('passed');
    await page.screenshot({ path: path.join(SHOTS, 'tasks-matrix.png') });
    await page.close();
  });

  it('exports the filtered, sorted view as CSV', async () => {
    const page = await open('#/tasks?cwe=CWE-79&sort=task&dir=desc');
    const rows = page.locator('table.tasks tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const href = await page.locator('#csv-export').getAttribute('href');
    expect(href).toContain('cwe=CWE-79');
    const csv = await page.evaluate(async (u) => (await fetch(u!)).text(), href);
    const lines = csv.trim().split('\r\n').map((l) => l.split(','));
    const header = lines[0]!;
    expect(header.filter((h) => h.startsWith('pass_rate: '))).toHaveLength(11);
    expect(header).toContain('cwe_name');
    expect(lines.slice(1).map((l) => l[0])).toEqual(await rows.evaluateAll((tr) => tr.map((x) => x.getAttribute('data-task'))));
    const name = lines[1]![header.indexOf('cwe_name')];
    expect(name).toBe('Cross-site Scripting');
    await page.close();
  });

  it('logged no error in the page', () => expect(errors).toEqual([]));
});

describeWithDataset('codeseceval view: several benchmarks', () => {
  describeWithSallm('CodeSecEval and SALLM in one run', () => {
    let viewer: Viewer;
    let browser: Browser;
    const sallmTasks: string[] = [];

    beforeAll(async () => {
      const sallm = loadDataset(SALLM_DIR);
      const ds = mergeDatasets([loadDataset(CODESECEVAL_DIR), sallm]);
      sallmTasks.push(...sallm.tasks.slice(0, 2).map((t) => t.id));
      const root = tempDir('codeseceval-view-bench-');
      writeMatrixRun(path.join(root, 'mixed'), FOLDER_A.slice(0, 2), [...VIEW_TASKS.slice(0, 2), ...sallmTasks], 2, (line) =>
        sallmTasks.includes(line.task_id)
          ? {
              ...line,
              detail: line.passed ? 'all test cases passed' : '1 of 2 test cases failed',
              cases: [
                { name: 'test_correctness', role: 'functionality', outcome: 'passed' },
                { name: 'test_vulnerability', role: 'security', outcome: line.passed ? 'passed' : 'failed', detail: line.passed ? undefined : 'AssertionError: pickle.loads reached' },
              ],
            }
          : line,
      );
      viewer = await startViewer([path.join(root, 'mixed')], ds);
      browser = await launch();
    });

    afterAll(async () => {
      await browser?.close();
      await viewer?.close();
    });

    it('filters tasks by benchmark and shows a test-file sample case by case with its role', async () => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${viewer.url}#/tasks`);
      const rows = page.locator('table.tasks tbody tr');
      await expect.poll(() => rows.count()).toBe(4);
      await page.locator('button.facet[data-facet="benchmark"][data-value="sallm"]').click();
      await expect.poll(() => rows.evaluateAll((tr) => tr.map((x) => x.getAttribute('data-task')))).toEqual(sallmTasks);
      expect(page.url()).toContain('benchmark=sallm');
      await page.locator('a.task-link').first().click();
      const card = page.locator('.run-card').first();
      await expect.poll(() => card.locator('.sample').count()).toBe(1);
      // Sample 0 of model-01 on the first SALLM task (j = 2) fails: (1 + 2 + 0) % 3 === 0 passes, so pick sample 1.
      await card.locator('.chip[data-index="1"]').click();
      // Sample 0 (passed) also has a cases table, folded: wait for sample 1 itself.
      const chosen = `${await card.getAttribute('data-run')}~1`;
      await expect.poll(() => card.locator('.sample').evaluateAll((s) => s.map((x) => x.getAttribute('data-sample')))).toEqual([chosen]);
      expect(await card.locator('table.cases tbody tr').count()).toBe(2);
      expect(await card.locator('tr[data-case="test_vulnerability"]').innerText()).toContain('security');
      expect(await card.locator('tr[data-case="test_vulnerability"]').innerText()).toContain('failed');
      expect(await card.locator('tr[data-case="test_correctness"]').innerText()).toContain('functional');
      // Without --split, the cases' roles still say why it failed: a security case, so vulnerable.
      expect(await card.locator('.sample-head .badge.v-vulnerable').count()).toBe(1);
      // SALLM publishes no secure reference: the page says so instead of an empty code box.
      expect(await page.locator('#no-secure').innerText()).toContain('no secure reference');
      await page.screenshot({ path: path.join(SHOTS, 'task-cases.png'), fullPage: true });
      await page.close();
    });
  });
});

describeWithDataset('codeseceval view: an interrupted, analysed run with a raised exception', () => {
  let viewer: Viewer;
  let browser: Browser;
  const TASK = VIEW_TASKS[1]!;

  beforeAll(async () => {
    const ds = loadDataset(CODESECEVAL_DIR);
    const dir = path.join(tempDir('codeseceval-view-extra-'), 'stopped');
    // Sample 1 of the task raised inside the Test at line 3 (the runner names the Test `<test>`).
    writeMatrixRun(dir, [{ index: 1, name: 'm' }], [TASK], 2, (line) =>
      line.sample_index === 1
        ? ({ ...line, passed: false, status: 'error', detail: 'KeyError: x', stderr_tail: 'Traceback (most recent call last):\n  File "/w/<test>", line 3, in check\n    candidate(1)\nKeyError: x\n' })
        : line,
    );
    const lines = readFileSync(path.join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { sample_index: number; solution: string });
    // Three samples were made, two judged, and no command holds the run: interrupted.
    writeFileSync(path.join(dir, 'samples.jsonl'), [...lines, lines[0]].map((l) => JSON.stringify(l)).join('\n') + '\n');
    const header = { kind: 'header', format: 'codeseceval-analysis', version: 1, analyzer: 'bandit', analyzer_version: '1.7.10', rule_table: 'test', results: ['results.jsonl'], dataset: null, created_at: '2026-01-01T00:00:00Z' };
    const analysed = lines.map((l) => ({
      kind: 'sample', model: 'm', experiment: 'direct-generation', task_id: TASK, sample_index: l.sample_index,
      program_sha256: createHash('sha256').update(l.solution, 'utf8').digest('hex'), empty: false, error: null,
      findings: [{ rule: 'B307', severity: 'MEDIUM', confidence: 'HIGH', cwe: 'CWE-78', line: 2, message: 'use of possibly insecure function' }],
    }));
    writeFileSync(path.join(dir, 'analysis.jsonl'), [header, ...analysed].map((x) => JSON.stringify(x)).join('\n') + '\n');
    viewer = await startViewer([dir], ds);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it('calls the run interrupted, marks the Test line the exception came from, and puts findings on code lines', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${viewer.url}#/`);
    await expect.poll(() => page.locator('li.source .badge').allInnerTexts()).toContain('interrupted');
    expect(await page.locator('li.source').innerText()).not.toContain('in progress');
    await page.goto(`${viewer.url}#/task/${TASK}?s=${encodeURIComponent(`stopped|m|direct-generation~1`)}&focus=${encodeURIComponent('stopped|m|direct-generation~1')}`);
    const card = page.locator('.run-card').first();
    await expect.poll(() => card.locator('.sample').getAttribute('data-sample')).toBe('stopped|m|direct-generation~1');
    await expect.poll(() => page.locator('.test-box .ln.failed').getAttribute('data-line')).toBe('3');
    expect(await card.locator('.fails').innerText()).toContain('the exception came from here');
    expect(await card.locator('.code .ln.finding').getAttribute('data-line')).toBe('2');
    expect(await card.locator('.code .ln.finding .note').innerText()).toContain('B307');
    await page.screenshot({ path: path.join(SHOTS, 'task-exception-findings.png'), fullPage: true });
    await page.close();
  });
});
