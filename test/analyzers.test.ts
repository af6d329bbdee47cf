import { describe, expect, it } from 'vitest';
import { BANDIT_RULE_CWES, banditRuleCwe } from '../src/analyzers/bandit-cwe.js';
import { BanditAnalyzer } from '../src/analyzers/bandit.js';
import { checkAnalyzer, checkAnalyzers } from '../src/doctor/analyzers.js';
import { analyze, AnalysisError, analyzeOne, ANALYZER_NAMES, createAnalyzer } from '../src/analyzers/registry.js';
import { reaches } from '../src/analyzers/types.js';

describe('bandit specifics', () => {
  it('maps rules without a CWE field through the table', async () => {
    const prog = 'import pickle, yaml\n\ndef load(b, s):\n    yaml.load(s)\n    return pickle.loads(b)\n';
    const [got] = await new BanditAnalyzer().analyzePrograms([prog]);
    const byRule = new Map(got!.findings.map((f) => [f.rule, f]));
    expect(byRule.get('B301')).toMatchObject({ cwe: 'CWE-502', line: 5, severity: 'MEDIUM' });
    expect(byRule.get('B506')).toMatchObject({ cwe: 'CWE-20', line: 4 });
    expect(byRule.get('B403')).toMatchObject({ cwe: 'CWE-502', line: 1, severity: 'LOW' });
  });

  it('a program that breaks bandit costs only itself', async () => {
    // A NUL byte makes Python's parser refuse the file inside bandit.
    const got = await new BanditAnalyzer().analyzePrograms(['x = 1\u0000\n', 'import os\nos.system("ls")\n']);
    expect(got[0]!.error).toMatch(/\S/);
    expect(got[1]!.findings.map((f) => f.rule)).toContain('B605');
  });

  it('reports a missing executable as unavailable, and refuses to analyse', async () => {
    const a = new BanditAnalyzer({ command: '/nonexistent/bandit' });
    const why = await a.available();
    expect(why.ok).toBe(false);
    expect(why.why).toMatch(/not found/);
    await expect(a.analyzePrograms(['x = 1'])).rejects.toThrow(/not available/);
  });

  it('has a CWE for every rule Debian’s bandit can report', async () => {
    // The rule IDs the installed bandit knows, from its own blacklists and plugins.
    const { execFileSync } = await import('node:child_process');
    const script = [
      'import bandit, pkgutil, re, os',
      'from bandit.blacklists import calls, imports',
      'ids = set()',
      'for m in (calls, imports):',
      '    for v in m.gen_blacklist().values():',
      '        ids.update(e["id"] for e in v)',
      'd = os.path.join(os.path.dirname(bandit.__file__), "plugins")',
      'for f in os.listdir(d):',
      '    if f.endswith(".py"):',
      '        ids.update(re.findall(r"test_id\\([\'\\"](B\\d+)", open(os.path.join(d, f)).read()))',
      'print(" ".join(sorted(ids)))',
    ].join('\n');
    const ids = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }).trim().split(' ');
    expect(ids.length).toBeGreaterThan(60);
    for (const id of ids) expect(banditRuleCwe(id), id).toMatch(/^CWE-\d+$/);
  });

  it('the table writes CWEs as plain numbers', () => {
    for (const [rule, e] of Object.entries(BANDIT_RULE_CWES)) {
      expect(rule).toMatch(/^B\d{3}$/);
      expect(Number.isInteger(e.cwe) && e.cwe > 0).toBe(true);
    }
    expect(banditRuleCwe('B999')).toBeNull();
  });
});

describe('registry and one-program use', () => {
  it('knows bandit and refuses unknown names in one line', () => {
    expect(ANALYZER_NAMES).toContain('bandit');
    expect(createAnalyzer('bandit').name).toBe('bandit');
    expect(() => createAnalyzer('semgrepx')).toThrow(/unknown analyzer "semgrepx" \(known: bandit\)/);
  });

  it('analyze(program) gives the findings, and throws on a program it cannot read', async () => {
    const findings = await analyze('import subprocess\nsubprocess.run("a " + x, shell=True)\n');
    expect(findings.map((f) => f.rule)).toContain('B602');
    await expect(analyze('def f(:\n')).rejects.toBeInstanceOf(AnalysisError);
    expect((await analyzeOne('def f(:\n')).error).toMatch(/syntax/);
  });

  it('thresholds compare severity and confidence inclusively', () => {
    expect(reaches({ severity: 'MEDIUM', confidence: 'LOW' }, 'MEDIUM', 'LOW')).toBe(true);
    expect(reaches({ severity: 'MEDIUM', confidence: 'LOW' }, 'MEDIUM', 'MEDIUM')).toBe(false);
    expect(reaches({ severity: 'LOW', confidence: 'HIGH' }, 'MEDIUM', 'LOW')).toBe(false);
    expect(reaches({ severity: 'HIGH', confidence: 'HIGH' }, 'HIGH', 'HIGH')).toBe(true);
  });
});

describe('doctor lines', () => {
  it('one per registered analyzer, in registry order', async () => {
    expect((await checkAnalyzers()).map((c) => c.name)).toEqual(ANALYZER_NAMES);
  });

  it('is ok after a real trial analysis, and a warning (not a failure) when bandit is missing', async () => {
    expect(await checkAnalyzer(new BanditAnalyzer())).toMatchObject({ name: 'bandit', label: 'Bandit', level: 'ok', detail: expect.stringMatching(/^bandit \S+: trial analysis works$/) });
    expect(await checkAnalyzer(new BanditAnalyzer({ command: '/nonexistent/bandit' }))).toMatchObject({ name: 'bandit', level: 'warn', hint: expect.stringMatching(/apt-get install bandit/) });
  });
});
