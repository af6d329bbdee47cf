import path from 'node:path';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { tempDir } from './helpers/report.js';
import { writeMatrixRun } from './helpers/view-matrix.js';
import { startViewer, VIEW_TASKS, type Viewer } from './helpers/view-run.js';
import { patientPolls } from './helpers/browser-waits.js';


patientPolls();
const CHROMIUM = process.env.CODESECEVAL_CHROMIUM ?? '/usr/bin/chromium';
const TASK = VIEW_TASKS[0]!;
const RUN = 'races|m|direct-generation';

/** A request the test holds until it says so, to make answers arrive in the order it wants. */
function hold(): { arrived: Promise<void>; release: () => void; handler: (route: Route) => Promise<void> } {
  let arrive!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (release = r));
  const handler = async (route: Route) => {
    arrive();
    await released;
    // The page may have given up on the request meanwhile (it aborts what it no longer needs).
    await route.continue().catch(() => undefined);
  };
  return { arrived, release, handler };
}

/** What the card shows: the sample drawn and the chip marked as chosen. */
async function shown(page: Page): Promise<{ samples: (string | null)[]; chips: (string | null)[] }> {
  const card = page.locator(`.run-card[data-run="${RUN}"]`);
  return {
    samples: await card.locator('.sample').evaluateAll((s) => s.map((x) => x.getAttribute('data-sample'))),
    chips: await card.locator('.chip.on').evaluateAll((c) => c.map((x) => x.getAttribute('data-index'))),
  };
}

describeWithDataset('codeseceval view: answers arriving late or out of order', () => {
  let viewer: Viewer;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    const dir = path.join(tempDir('codeseceval-view-races-'), 'races');
    writeMatrixRun(dir, [{ index: 1, name: 'm' }], [TASK], 3);
    viewer = await startViewer([dir], loadDataset(CODESECEVAL_DIR));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${viewer.url}#/task/${TASK}`);
    await expect.poll(() => shown(page)).toEqual({ samples: [`${RUN}~0`], chips: ['0'] });
    return page;
  }

  it('draws the sample chosen last when the answer for one chosen before comes later', async () => {
    const page = await open();
    const slow = hold();
    await page.route((u) => u.pathname === '/api/sample' && u.searchParams.get('index') === '1', slow.handler);
    await page.locator('.chip[data-index="1"]').click();
    await slow.arrived;
    // The page drops the request for the sample the user left as soon as another is chosen.
    const dropped = page.waitForEvent('requestfailed', { predicate: (r) => new URL(r.url()).searchParams.get('index') === '1', timeout: 15_000 });
    await page.locator('.chip[data-index="2"]').click();
    await dropped;
    await expect.poll(() => shown(page)).toEqual({ samples: [`${RUN}~2`], chips: ['2'] });
    slow.release();
    expect(await page.locator('main .error').count()).toBe(0);
    expect(new URLSearchParams(page.url().split('?')[1]).getAll('s')).toEqual([`${RUN}~2`]);
    await page.close();
  });

  it('keeps a sample chosen while a live update was redrawing the page', async () => {
    const page = await open();
    // The next look at the server's version finds a change: the page fetches the task again.
    await page.route('**/api/version', (route) => route.fulfill({ json: { version: 1_000_000 } }));
    const slow = hold();
    await page.route((u) => u.pathname === '/api/task', slow.handler);
    await slow.arrived;
    // The old page is still shown while the new one waits for its data: the user picks sample 1 there.
    await page.locator('.chip[data-index="1"]').click();
    await expect.poll(() => shown(page)).toEqual({ samples: [`${RUN}~1`], chips: ['1'] });
    slow.release();
    await expect.poll(() => page.locator('main').getAttribute('data-version')).toBe('1000000');
    await expect.poll(() => shown(page)).toEqual({ samples: [`${RUN}~1`], chips: ['1'] });
    expect(new URLSearchParams(page.url().split('?')[1]).getAll('s')).toEqual([`${RUN}~1`]);
    await page.close();
  });

  it('logged no error in the page', () => expect(errors).toEqual([]));
});
