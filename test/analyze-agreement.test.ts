import { describe, expect, it } from 'vitest';
import {
  addPair,
  agreementByGroup,
  agreementOf,
  ANY_FINDING,
  cohenKappa,
  emptyConfusion,
  flagsTaskCwe,
  isFlagged,
  referenceRows,
  type Confusion,
} from '../src/score/static-agreement.js';

const c = (flaggedPositive: number, flaggedNegative: number, cleanPositive: number, cleanNegative: number): Confusion => ({
  flaggedPositive,
  flaggedNegative,
  cleanPositive,
  cleanNegative,
});

describe("Cohen's kappa and agreement", () => {
  it('matches a hand computation', () => {
    // n = 50, p_o = 35/50 = 0.7; flagged 25, positive 30: p_e = (25·30 + 25·20)/2500 = 0.5.
    const a = agreementOf(c(20, 5, 10, 15));
    expect(a.n).toBe(50);
    expect(a.accuracy).toBeCloseTo(0.7, 12);
    expect(a.kappa).toEqual({ value: expect.closeTo(0.4, 12), note: null });
    expect(a.flaggedRate).toBeCloseTo(0.5, 12);
    expect(a.positiveRate).toBeCloseTo(0.6, 12);
    expect(a.sensitivity).toBeCloseTo(20 / 30, 12);
    expect(a.falseAlarmRate).toBeCloseTo(0.25, 12);
  });

  it('is 1 for perfect agreement with both answers used, −1 for perfect disagreement', () => {
    expect(cohenKappa(c(3, 0, 0, 7)).value).toBeCloseTo(1, 12);
    expect(cohenKappa(c(0, 2, 2, 0)).value).toBeCloseTo(-1, 12);
  });

  it('is 0 when only one judge is constant', () => {
    // The analyzer flags everything; execution says 2 of 4 are bad: p_o = p_e = 0.5.
    expect(cohenKappa(c(2, 2, 0, 0))).toEqual({ value: 0, note: null });
  });

  it('is undefined with no sample, and when both judges give one same answer throughout', () => {
    expect(cohenKappa(emptyConfusion())).toEqual({ value: null, note: 'no samples' });
    expect(cohenKappa(c(4, 0, 0, 0)).value).toBeNull();
    expect(cohenKappa(c(0, 0, 0, 9)).note).toMatch(/same single answer/);
    const a = agreementOf(emptyConfusion());
    expect([a.accuracy, a.flaggedRate, a.sensitivity, a.falseAlarmRate]).toEqual([null, null, null, null]);
    // Constant but different answers: p_e = 0, p_o = 0, kappa 0.
    expect(cohenKappa(c(0, 5, 0, 0))).toEqual({ value: 0, note: null });
  });

  it('addPair puts each sample in its cell', () => {
    const x = emptyConfusion();
    addPair(x, true, true);
    addPair(x, true, false);
    addPair(x, false, true);
    addPair(x, false, false);
    addPair(x, false, false);
    expect(x).toEqual(c(1, 1, 1, 2));
  });
});

describe('per group', () => {
  it('pools the pairs of each group’s tasks and counts tasks with pairs', () => {
    const pairs = [
      { taskId: 't1', flagged: true, positive: true },
      { taskId: 't1', flagged: false, positive: true },
      { taskId: 't2', flagged: false, positive: false },
      { taskId: 't3', flagged: true, positive: false },
    ];
    const [a, b, empty] = agreementByGroup(pairs, [
      { label: 'A', ids: ['t1', 't2'] },
      { label: 'B', ids: ['t3', 't4'] },
      { label: 'C', ids: ['t9'] },
    ]);
    expect(a).toMatchObject({ group: 'A', tasks: 2, n: 3, counts: c(1, 0, 1, 1) });
    expect(a!.accuracy).toBeCloseTo(2 / 3, 12);
    expect(b).toMatchObject({ group: 'B', tasks: 1, n: 1, counts: c(0, 1, 0, 0) });
    expect(empty).toMatchObject({ group: 'C', tasks: 0, n: 0, accuracy: null });
  });

  it('reference rows: recall on Insecure Code, false alarms on Secure Code', () => {
    const rows = referenceRows(
      [
        { taskId: 'a', insecure: { flagged: true, matching: true }, secure: { flagged: false, matching: false } },
        { taskId: 'b', insecure: { flagged: true, matching: false }, secure: { flagged: true, matching: true } },
        { taskId: 'c', insecure: { flagged: false, matching: false }, secure: null },
        { taskId: 'd', insecure: null, secure: null },
      ],
      [
        { label: 'all', ids: ['a', 'b', 'c', 'd'] },
        { label: 'none', ids: ['d'] },
      ],
    );
    expect(rows[0]).toEqual({
      group: 'all',
      tasks: 3,
      insecureAnalysed: 3,
      insecureFlagged: 2,
      insecureFlaggedMatching: 1,
      secureAnalysed: 2,
      secureFlagged: 1,
      secureFlaggedMatching: 1,
      recall: 2 / 3,
      recallMatching: 1 / 3,
      falseAlarmRate: 0.5,
      falseAlarmMatchingRate: 0.5,
    });
    expect(rows[1]).toMatchObject({ tasks: 0, recall: null, falseAlarmRate: null });
  });
});

describe('what counts as flagged', () => {
  const low = { severity: 'LOW', confidence: 'HIGH', cwe: 'CWE-78' } as const;
  const med = { severity: 'MEDIUM', confidence: 'MEDIUM', cwe: 'CWE-200' } as const;

  it('thresholds drop weaker findings', () => {
    expect(isFlagged([low], ANY_FINDING)).toBe(true);
    expect(isFlagged([low], { minSeverity: 'MEDIUM', minConfidence: 'LOW' })).toBe(false);
    expect(isFlagged([med], { minSeverity: 'MEDIUM', minConfidence: 'MEDIUM' })).toBe(true);
    expect(isFlagged([], ANY_FINDING)).toBe(false);
  });

  it('CWE matching compares whole numbers and accepts any member of a merged type', () => {
    expect(flagsTaskCwe([med], ['CWE-20'], ANY_FINDING)).toBe(false);
    expect(flagsTaskCwe([med], ['CWE-200'], ANY_FINDING)).toBe(true);
    expect(flagsTaskCwe([low], ['CWE-078'], ANY_FINDING)).toBe(true);
    expect(flagsTaskCwe([{ ...low, cwe: 'CWE-287' }], ['CWE-862', 'CWE-287', 'CWE-306', 'CWE-863'], ANY_FINDING)).toBe(true);
    expect(flagsTaskCwe([{ ...low, cwe: null }], ['CWE-78'], ANY_FINDING)).toBe(false);
    expect(flagsTaskCwe([low], ['CWE-78'], { minSeverity: 'MEDIUM', minConfidence: 'LOW' })).toBe(false);
  });
});
