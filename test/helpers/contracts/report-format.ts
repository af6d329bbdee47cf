import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, type Report } from '../../../src/report/build.js';
import { formatFromPath, REPORT_FORMAT_ENTRIES } from '../../../src/report/formats.js';
import type { Dataset } from '../../../src/core/task.js';
import { rmSync } from 'node:fs';
import { fixtureDataset, resultLines, T, tempDir, writeJsonl } from '../report.js';
import type { ParsedReport } from './report-parsers.js';

type FormatEntry = (typeof REPORT_FORMAT_ENTRIES)[number];

export const PLAIN_MODELS = ['alpha-model', 'beta.model_2'] as const;
const XSS_SCRIPT = '</script><script>alert(1)</script>';
const XSS_IMG = '<img src=x onerror=alert(1)>';
/** Every character a CSV, Markdown or HTML writer must take care of, in one name. */
export const HOSTILE_MODELS = [XSS_SCRIPT, `m,"q" | ${XSS_IMG}\nnext line`] as const;

const COUNTS: Record<string, [number, number]> = {
  [T.age]: [4, 1],
  [T.port]: [4, 0],
  [T.profile]: [4, 4],
  [T.quantity]: [4, 2],
  [T.del]: [4, 1],
  [T.read]: [4, 3],
};

/**
 * How the suite reads one format back. Every registered format needs an entry (the test file's
 * harness map), so a new format's output is parsed by a reader of its own, never skipped.
 */
export interface ReportFormatHarness {
  /** The format read back as its users' tools would; throws on markup or broken structure. */
  parse(text: string): ParsedReport;
  /** How a model name reads where the format cannot hold it exactly (Markdown cells: no line breaks). */
  shown?: (model: string) => string;
}

async function render(entry: FormatEntry, report: Report): Promise<string> {
  const r = await entry.load();
  return [...r(report)].join('');
}

/** Reports in every format from hand-written results: one suite, run once per registered format. */
export function reportFormatContract(name: string, make: () => FormatEntry, harness: ReportFormatHarness): void {
  describe(`report format contract: ${name}`, () => {
    const entry = make();
    let dir: string;
    let dataset: Dataset;
    const build = (file: string) => buildReport({ resultsFiles: [file], dataset, ks: [1, 3], drilldown: entry.showsSamples ? Infinity : 0, bootstrap: { resamples: 200 } });
    let plainFile: string;
    let hostileFile: string;

    beforeAll(() => {
      dir = tempDir('codeseceval-format-contract-');
      dataset = fixtureDataset();
      plainFile = writeJsonl(
        path.join(dir, 'plain.jsonl'),
        PLAIN_MODELS.flatMap((model) => resultLines({ model, experiment: 'direct-generation', counts: COUNTS })),
      );
      hostileFile = writeJsonl(
        path.join(dir, 'hostile.jsonl'),
        HOSTILE_MODELS.flatMap((model) =>
          resultLines({ model, experiment: 'direct-generation', counts: COUNTS }).map((l) =>
            l.passed
              ? { ...l, solution: `def f():\n    return "${XSS_SCRIPT}"  # ${XSS_IMG}\n` }
              : { ...l, detail: `AssertionError: ${XSS_SCRIPT} ${XSS_IMG}`, stdout_tail: XSS_IMG, stderr_tail: XSS_SCRIPT, solution: `# ${XSS_IMG}\n${XSS_SCRIPT}\n` },
          ),
        ),
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is described, and its file extensions lead back to it', () => {
      expect(entry.name).toBe(name);
      expect(entry.description).toMatch(/^[^\n]+$/);
      expect(entry.extensions.length).toBeGreaterThan(0);
      for (const ext of entry.extensions) {
        expect(ext).toMatch(/^[a-z0-9]+$/);
        expect(formatFromPath(`runs/x/report.${ext}`)).toBe(name);
        expect(formatFromPath(`REPORT.${ext.toUpperCase()}`)).toBe(name);
      }
    });

    const names = (models: readonly string[]) => [...new Set(models.map(harness.shown ?? ((m) => m)))].sort();

    it('renders a report naming every run’s model', async () => {
      const text = await render(entry, await build(plainFile));
      expect(harness.parse(text).models.sort()).toEqual(names(PLAIN_MODELS));
    });

    it('is deterministic: the same input gives the same bytes', async () => {
      const a = await render(entry, await build(hostileFile));
      const b = await render(entry, await build(hostileFile));
      expect(a === b).toBe(true);
    });

    it('keeps hostile model names, details and programs as text', async () => {
      const text = await render(entry, await build(hostileFile));
      // The format's own reader refuses markup and broken rows, and must find each name whole.
      expect(harness.parse(text).models.sort()).toEqual(names(HOSTILE_MODELS));
    });
  });
}
