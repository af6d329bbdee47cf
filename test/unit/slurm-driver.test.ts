import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { evaluateOnSlurm } from '../../src/cluster/evaluate-slurm.js';
import { splitArgs } from '../../src/cluster/slurm.js';
import type { Dataset, Task } from '../../src/core/task.js';
import { makeTask } from '../helpers/task.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-slurm-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

describe('--sbatch words', () => {
  it('split like a shell splits plain words and quotes, expanding nothing', () => {
    expect(splitArgs(' --partition=cpu  --job-name="my run" --comment=\'$HOME *\' a\\ b ')).toEqual(['--partition=cpu', '--job-name=my run', '--comment=$HOME *', 'a b']);
    expect(splitArgs('')).toEqual([]);
    expect(() => splitArgs('--x="open')).toThrow(/unmatched "/);
  });
});

describe('the Slurm driver against stand-in commands', () => {
  const task = makeTask({ id: 'T/1', test: 'def check(candidate):\n    pass\n' });
  const dataset: Dataset = { kind: 'codeseceval', source: 'test', tasks: [task], byId: new Map<string, Task>([[task.id, task]]) };
  const samples = path.join(dir, 'samples.jsonl');
  writeFileSync(samples, [0, 1, 2, 3].map((i) => JSON.stringify({ task_id: 'T/1', sample_index: i, solution: 'x = 1\n' })).join('\n') + '\n');

  /** sbatch that hands out job IDs and logs its arguments; squeue that knows no task (each ends at once, unfinished). */
  function standIns(): string {
    const bin = path.join(dir, `bin-${Math.random().toString(36).slice(2)}`);
    mkdirSync(bin);
    const log = path.join(bin, 'sbatch.log');
    writeFileSync(path.join(bin, 'sbatch'), `#!/bin/sh\nif [ "$1" = --version ]; then echo "slurm 22.05.8"; exit 0; fi\necho "$@" >> ${log}\necho $(( $(wc -l < ${log}) + 100 ))\n`);
    writeFileSync(path.join(bin, 'squeue'), '#!/bin/sh\nexit 0\n');
    for (const f of ['sbatch', 'squeue']) chmodSync(path.join(bin, f), 0o755);
    vi.stubEnv('PATH', `${bin}:${process.env.PATH}`);
    return log;
  }

  it('submits a shard that ends unfinished again, at most 3 times, then stops naming its log; a restart does not resubmit past the bound', async () => {
    const log = standIns();
    const out = path.join(dir, 'bounded', 'results.jsonl');
    const opts = { samplesFile: samples, outFile: out, dataset, slurm: { shards: 2, sbatchArgs: ['--partition=cpu'], cli: ['/bin/true'], flags: [], pollMs: 5 } };
    const notices: string[] = [];
    await expect(evaluateOnSlurm({ ...opts, onNotice: (m) => notices.push(m) })).rejects.toThrow(/--slurm: shard\(s\) 0, 1 ended unfinished 3 times; see .*bounded\/results.jsonl.slurm\/slurm-103_0.out \(and 1 more\)/);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      expect.stringMatching(/^--parsable --array=0,1 --partition=cpu .*evaluate.sh$/),
      expect.stringMatching(/^--parsable --array=0,1 /),
      expect.stringMatching(/^--parsable --array=0,1 /),
    ]);
    expect(notices).toContain('shard(s) 0, 1 ended unfinished; submitting again (attempt 3 of 3)');
    const script = readFileSync(path.join(`${out}.slurm`, 'evaluate.sh'), 'utf8');
    expect(script).toContain('export CODESECEVAL_SHARDS=2');
    expect(script).toMatch(/exec \/bin\/true evaluate --samples \S+samples.jsonl --out \S+results.jsonl --shard auto\n/);
    // The job IDs were kept: started again, it knows the attempts already made.
    await expect(evaluateOnSlurm(opts)).rejects.toThrow(/ended unfinished 3 times/);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(3);
    await expect(evaluateOnSlurm({ ...opts, slurm: { ...opts.slurm, shards: 3 } })).rejects.toThrow(/--slurm 3: .*state.json records an evaluation in 2 shards/);
  });

  it('refuses --array in --sbatch', async () => {
    standIns();
    await expect(evaluateOnSlurm({ samplesFile: samples, outFile: path.join(dir, 'a.jsonl'), dataset, slurm: { shards: 2, sbatchArgs: ['--array=0-9'], cli: [], flags: [] } })).rejects.toThrow(/leave out --array/);
  });
});
