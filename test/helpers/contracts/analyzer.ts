import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../../src/analyzers/types.js';
import { checkAnalyzer } from '../../../src/doctor/analyzers.js';

/**
 * What every static analyzer must do, whatever it is: one suite, run over the registry by
 * test/contracts-analyzer.test.ts with each analyzer's harness entry.
 */
export interface AnalyzerHarness {
  /** The rule the analyzer reports for a subprocess call with shell=True built from a parameter. */
  badRule: string;
  /** Builds the analyzer under test (default: the registry's own factory). */
  make?: () => Analyzer;
}

const BAD = [
  'import subprocess',
  '',
  '',
  'def run(cmd):',
  '    return subprocess.call("ls " + cmd, shell=True)',
  '',
].join('\n');
const BAD_LINE = 5;

const CLEAN = ['def add(a, b):', '    """Add two numbers."""', '    return a + b', ''].join('\n');

const SYNTAX_ERROR = 'def broken(:\n    return 1\n';

export function analyzerContract(name: string, make: () => Analyzer, opts: AnalyzerHarness): void {
  describe(`analyzer contract: ${name}`, () => {
    const analyzer = make();

    it('is available and says its name and version', async () => {
      expect(await analyzer.available()).toEqual({ ok: true });
      expect(analyzer.name).toBe(name);
      expect(await analyzer.version()).toMatch(/\d/);
      expect(analyzer.ruleTable).toMatch(/\S/);
      expect(analyzer.label).toMatch(/^[^\n]+$/);
      expect(analyzer.install).toMatch(/^[^\n]+$/);
    });

    it('passes doctor’s trial analysis', async () => {
      expect(await checkAnalyzer(analyzer)).toMatchObject({ name, label: analyzer.label, level: 'ok' });
    });

    it('finds the known issue in a known-bad program, at its 1-based line', async () => {
      const [got] = await analyzer.analyzePrograms([BAD]);
      expect(got!.error).toBeNull();
      const hit = got!.findings.find((f) => f.rule === opts.badRule);
      expect(hit).toBeDefined();
      expect(hit!.line).toBe(BAD_LINE);
      expect(hit!.cwe).toBe('CWE-78');
      expect(['LOW', 'MEDIUM', 'HIGH']).toContain(hit!.severity);
      expect(['LOW', 'MEDIUM', 'HIGH']).toContain(hit!.confidence);
      expect(hit!.message.length).toBeGreaterThan(0);
    });

    it('finds nothing in a clean program', async () => {
      expect(await analyzer.analyzePrograms([CLEAN])).toEqual([{ findings: [], error: null }]);
    });

    it('reports a syntax error as that program’s error, not a crash', async () => {
      const got = await analyzer.analyzePrograms([SYNTAX_ERROR, BAD]);
      expect(got).toHaveLength(2);
      expect(got[0]!.error).toMatch(/\S/);
      expect(got[0]!.findings).toEqual([]);
      expect(got[1]!.error).toBeNull();
      expect(got[1]!.findings.some((f) => f.rule === opts.badRule)).toBe(true);
    });

    it('handles an empty program and an empty batch', async () => {
      expect(await analyzer.analyzePrograms([''])).toEqual([{ findings: [], error: null }]);
      expect(await analyzer.analyzePrograms([])).toEqual([]);
    });

    it('answers a batch of many programs per program, in order', async () => {
      // The bad line moves down by one per program, so a shuffled answer cannot pass.
      const programs = Array.from({ length: 250 }, (_, i) => (i % 3 === 0 ? CLEAN : '\n'.repeat(i) + BAD));
      const got = await analyzer.analyzePrograms(programs);
      expect(got).toHaveLength(programs.length);
      got.forEach((g, i) => {
        expect(g.error).toBeNull();
        if (i % 3 === 0) expect(g.findings).toEqual([]);
        else expect(g.findings.find((f) => f.rule === opts.badRule)?.line).toBe(i + BAD_LINE);
      });
    });

    it('treats file-name-like and comment tricks in a program as plain text', async () => {
      const tricky = '# nosec\n# ../../etc/passwd\nimport subprocess\nsubprocess.call("x" + input(), shell=True)  # nosec\n';
      const [got] = await analyzer.analyzePrograms([tricky]);
      expect(got!.findings.some((f) => f.rule === opts.badRule && f.line === 4)).toBe(true);
    });
  });
}
