import { beforeAll, describe, expect, it } from 'vitest';
import { acceptResultLine, SampleRegister } from '../../src/score/accept.js';
import { ResultLine } from '../../src/core/result.js';
import { DatasetError } from '../../src/core/errors.js';
import type { Dataset } from '../../src/core/task.js';
import { fixtureDataset, resultLines, T } from '../helpers/report.js';

let ds: Dataset;
beforeAll(() => {
  ds = fixtureDataset();
});

const origin = (line: number) => ({ where: `r.jsonl:${line}`, file: 'r.jsonl', fallbackModel: 'r' });
const lines = () => resultLines({ model: 'm', experiment: 'direct-generation', counts: { [T.age]: [2, 1] } }).map((l) => ResultLine.parse(l));

describe('acceptResultLine: the one definition score and view share', () => {
  it('names the run of a good line, with the file name for a line without a model', () => {
    const [first] = lines();
    expect(acceptResultLine(first!, origin(1), ds)).toMatchObject({ model: 'm', experiment: 'direct-generation', judgement: null });
    const { model: _m, experiment: _e, ...bare } = first!;
    expect(acceptResultLine(bare as ResultLine, origin(1), ds)).toMatchObject({ model: 'r', experiment: 'unknown' });
  });

  it('refuses a contradictory verdict and a task outside the dataset, naming line and field', () => {
    const [first] = lines();
    expect(() => acceptResultLine({ ...first!, passed: !first!.passed }, origin(4), ds)).toThrow(/^r\.jsonl:4: field "passed"/);
    expect(() => acceptResultLine({ ...first!, task_id: 'CWE-0_nope' }, origin(5), ds)).toThrow(DatasetError);
    expect(acceptResultLine({ ...first!, task_id: 'CWE-0_nope' }, origin(5), ds, { allowUnknownTasks: true }).model).toBe('m');
  });

  it('SampleRegister refuses the same sample twice and names where it was first', () => {
    const reg = new SampleRegister();
    const [a, b] = lines();
    reg.claim(a!, acceptResultLine(a!, origin(1), ds), origin(1));
    reg.claim(b!, acceptResultLine(b!, origin(2), ds), origin(2));
    expect(() => reg.claim(a!, acceptResultLine(a!, origin(3), ds), origin(3))).toThrow(/r\.jsonl:3: .*duplicate sample \d+ of m \/ direct-generation \(first at r\.jsonl:1\)/);
  });
});
