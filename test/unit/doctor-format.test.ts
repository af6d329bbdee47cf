import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/doctor.js';
import { formatDoctorReport } from '../../src/doctor/format.js';

function report(levels: Array<'ok' | 'warn' | 'fail'>): DoctorReport {
  return {
    ok: !levels.includes('fail'),
    checks: levels.map((level, i) => ({ name: `check-${i}`, label: `Check ${i}`, level, detail: `check ${i}` })),
    python: null,
    moduleSource: 'known-list',
    modules: [],
    install: { apt: [], pip: [], aptCommand: null, pipCommand: null, notes: [] },
  };
}

const last = (r: DoctorReport) => formatDoctorReport(r).split('\n').at(-1);

describe('doctor closing line', () => {
  it('says all checks passed only when there is no warning', () => {
    expect(last(report(['ok', 'ok', 'ok']))).toBe('All checks passed.');
  });
  it('counts warnings instead of calling them a pass', () => {
    expect(last(report(['ok', 'warn', 'ok']))).toBe('Checks passed with 1 warning.');
    expect(last(report(['warn', 'warn', 'ok']))).toBe('Checks passed with 2 warnings.');
  });
  it('counts failures and warnings together', () => {
    expect(last(report(['fail', 'warn', 'ok']))).toBe('Some checks failed (1 failed, 1 warning).');
  });
});

describe('doctor check lines', () => {
  it('name each check by its label, with the hint of one that is not ok', () => {
    const r = report(['ok', 'warn']);
    r.checks[1]!.hint = 'install it';
    expect(formatDoctorReport(r).split('\n').slice(0, 3)).toEqual(['✓ Check 0: check 0', '! Check 1: check 1', '    install it']);
  });
});
