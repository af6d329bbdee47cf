import { describe, expect, it } from 'vitest';
import { formatFromPath, REPORT_FORMAT_ENTRIES } from '../../src/report/formats.js';
import { reportFormatContract, type ReportFormatHarness } from '../helpers/contracts/report-format.js';
import { parseCsv, readCsvReport, readHtmlReport, readJsonReport, readMarkdownReport } from '../helpers/contracts/report-parsers.js';

/**
 * How each format is read back. The suite loops over the registry: a new format fails until it
 * has an entry here, so its hostile-input test parses its own output instead of being skipped.
 */
const HARNESS: Record<string, ReportFormatHarness> = {
  md: { parse: readMarkdownReport, shown: (m) => m.replace(/\r?\n/g, ' ') },
  csv: { parse: readCsvReport },
  json: { parse: readJsonReport },
  html: { parse: readHtmlReport },
};

for (const entry of REPORT_FORMAT_ENTRIES) {
  const harness = HARNESS[entry.name];
  if (!harness) {
    it(`report format contract: ${entry.name} has a harness`, () => {
      expect(harness, `add "${entry.name}" to HARNESS in ${import.meta.filename}`).toBeDefined();
    });
    continue;
  }
  reportFormatContract(entry.name, () => entry, harness);
}

describe('report format registry', () => {
  it('claims each extension once and knows nothing else', () => {
    const exts = REPORT_FORMAT_ENTRIES.flatMap((e) => [...e.extensions]);
    expect(new Set(exts).size).toBe(exts.length);
    expect(formatFromPath('report.txt')).toBeNull();
    expect(formatFromPath('report')).toBeNull();
  });
});

describe('the test’s own readers', () => {
  it('CSV: reads quoted commas, doubled quotes and line breaks, and refuses broken quoting', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere', ''],
    ]);
    expect(parseCsv('a\r\nb')).toEqual([['a'], ['b']]);
    expect(() => parseCsv('"open')).toThrow(/unterminated/);
    expect(() => parseCsv('a"b"')).toThrow(/quote inside/);
    expect(() => parseCsv('"a"b')).toThrow(/after a closing quote/);
  });

  it('Markdown: refuses raw HTML and ragged rows, reads escaped names whole', () => {
    const runs = (name: string) => `## Runs\n\n| Model | Samples |\n| --- | ---: |\n| ${name} | 2 |\n`;
    expect(readMarkdownReport(runs('a\\|b \\<img>')).models).toEqual(['a|b <img>']);
    expect(() => readMarkdownReport(runs('<img src=x onerror=alert(1)>'))).toThrow(/raw HTML/);
    expect(() => readMarkdownReport(runs('a|b'))).toThrow(/3 cells, its header 2/);
    expect(() => readMarkdownReport('### Per-CWE pass@1: </script>\n')).toThrow(/raw HTML/);
  });

  it('HTML: refuses active markup, reads entities back', () => {
    const runs = (cell: string) => `<h2>Runs</h2><table><tbody>\n<tr><td>${cell}</td><td>2</td></tr>\n</tbody></table>`;
    expect(readHtmlReport(runs('&lt;b&gt; &amp;&quot;')).models).toEqual(['<b> &"']);
    expect(() => readHtmlReport(runs('<img src=x onerror=alert(1)>'))).toThrow(/active HTML/);
    expect(() => readHtmlReport(runs('<script>x</script>'))).toThrow(/active HTML/);
  });
});
