/**
 * The README's screenshot of the viewer: `npx tsx scripts/view-screenshot.ts RUN_DIR OUT.png`.
 * Starts `codeseceval view RUN_DIR`, opens it in Debian's Chromium and captures the overview's
 * result-set table only, so no path of the machine that made it is in the picture.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const [runDir, out] = process.argv.slice(2);
if (!runDir || !out) {
  process.stderr.write('usage: npx tsx scripts/view-screenshot.ts RUN_DIR OUT.png\n');
  process.exit(1);
}
const view = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'view', runDir, '--port', '0', '--poll', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  createInterface({ input: view.stdout! }).once('line', resolve);
  view.once('exit', (code) => reject(new Error(`view exited with ${code}`)));
});
const browser = await chromium.launch({ executablePath: process.env.CODESECEVAL_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(url);
  const card = page.locator('section.card').filter({ has: page.locator('table.runs') });
  await card.waitFor();
  // The result-set table's card (heading, table, legend, note), without the lines above and
  // below it that name folders.
  const box = (await card.boundingBox())!;
  await page.screenshot({ path: out, clip: { x: 0, y: Math.max(0, box.y - 12), width: 1280, height: Math.ceil(box.height + 24) } });
  process.stderr.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  view.kill();
}
