import { describe, expect, it } from 'vitest';
import { formatFromPath, REPORT_FORMAT_ENTRIES } from '../../src/report/formats.js';
import { parseCsv, reportFormatContract } from '../helpers/contracts/report-format.js';

// Every registered format runs the same suite: a new one is covered by its registry entry.
for (const entry of REPORT_FORMAT_ENTRIES) reportFormatContract(entry.name, () => entry);

describe('report format registry', () => {
  it('claims each extension once and knows nothing else', () => {
    const exts = REPORT_FORMAT_ENTRIES.flatMap((e) => [...e.extensions]);
    expect(new Set(exts).size).toBe(exts.length);
    expect(formatFromPath('report.txt')).toBeNull();
    expect(formatFromPath('report')).toBeNull();
  });
});

describe('the test’s own CSV reader', () => {
  it('reads quoted commas, doubled quotes and line breaks, and refuses broken quoting', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere', ''],
    ]);
    expect(parseCsv('a\r\nb')).toEqual([['a'], ['b']]);
    expect(() => parseCsv('"open')).toThrow(/unterminated/);
    expect(() => parseCsv('a"b"')).toThrow(/quote inside/);
    expect(() => parseCsv('"a"b')).toThrow(/after a closing quote/);
  });
});
