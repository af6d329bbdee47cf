/**
 * `evaluate --slurm N` on a real one-node Slurm cluster (started by test/helpers/slurm.ts as
 * root): the merged verdicts equal one unsharded evaluation's, also after the driver is killed
 * while its array is queued, and after a task is cancelled (resubmitted). Skipped where Slurm
 * cannot start (not root); under CI=true that is a failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
import { describeWithDataset, needsCodeSecEval } from './helpers/datasets.js';
import { cli, exited, killStarted, removeTempDirs, tempDir, waitFor } from './helpers/safety-cli.js';
import { startSlurm } from './helpers/slurm.js';

const problem = await startSlurm();
const CI = process.env.CI === 'true';
afterEach(() => killStarted());
afterAll(() => removeTempDirs());

type Verdicts = Record<string, string>;
function verdicts(file: string): Verdicts {
  const out: Verdicts = {};
  for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(l) as { task_id: string; model: string; sample_index: number; status: string };
    const k = `${r.model} ${r.task_id}#${r.sample_index}`;
    expect(out[k], `${k} twice`).toBeUndefined();
    out[k] = r.status;
  }
  return out;
}
const jobsOf = (out: string) => (JSON.parse(readFileSync(`${out}.slurm/state.json`, 'utf8')) as { jobs: { id: string; indices: number[] }[] }).jobs;
const queued = (id: string) => spawnSync('squeue', ['-h', '-r', '-j', id, '-o', '%i %t'], { encoding: 'utf8' }).stdout.trim();

describe('Slurm cluster for the tests', () => {
  it.runIf(CI)('starts under CI', () => {
    expect(problem).toBeNull();
  });
});

describeWithDataset('evaluate --slurm', () => {
  const dir = tempDir('codeseceval-slurm-');
  const samples = path.join(dir, 'samples.jsonl');
  let whole: Verdicts;
  let dataset: string;

  beforeAll(async () => {
    dataset = needsCodeSecEval();
    const ds = loadDataset(dataset);
    const tasks = ds.tasks.slice(0, 10).map((t) => t.id);
    for (const model of ['reference:secure', 'reference:insecure']) await generateSamples({ dataset: ds, model, outFile: samples, tasks, cacheDir: null });
    const out = path.join(dir, 'unsharded.jsonl');
    await evaluateSamples({ samplesFile: samples, outFile: out, dataset: ds });
    whole = verdicts(out);
  }, 180_000);

  it('without sbatch on PATH is one line', async () => {
    const r = await exited(cli(['evaluate', '--samples', samples, '--out', path.join(dir, 'none.jsonl'), '--dataset', dataset, '--slurm', '2'], { env: { PATH: '/nonexistent' } }));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--slurm: sbatch is not on PATH/)]);
  }, 60_000);

  it.skipIf(problem !== null)('gives the unsharded verdicts; killed while its array is queued, started again, it submits nothing new', async () => {
    const out = path.join(dir, 'queued', 'results.jsonl');
    const args = ['evaluate', '--samples', samples, '--out', out, '--dataset', dataset, '--slurm', '4'];
    // Held back 15 s by --begin: the array is surely still queued when the driver is killed.
    const first = cli([...args, '--sbatch', '--begin=now+15 --job-name="codeseceval test"'], { group: true });
    await waitFor(() => existsSync(`${out}.slurm/state.json`) && jobsOf(out).length === 1, () => `a submitted job; stderr: ${first.stderr}`, 60_000);
    const [job] = jobsOf(out);
    expect(job!.indices).toEqual([0, 1, 2, 3]);
    first.signalGroup('SIGKILL');
    await exited(first);
    expect(queued(job!.id)).toMatch(new RegExp(`^${job!.id}_0 PD`, 'm'));
    const again = await exited(cli(args), 240_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/submitted job/);
    expect(jobsOf(out)).toHaveLength(1);
    expect(verdicts(out)).toEqual(whole);
    expect(again.stderr).toMatch(/shards: 0 pending, 0 running, 4 done; samples 20\/20/);
  }, 300_000);

  it.skipIf(problem !== null)('submits again only a shard whose task ended unfinished', async () => {
    const out = path.join(dir, 'cancelled', 'results.jsonl');
    const run = cli(['evaluate', '--samples', samples, '--out', out, '--dataset', dataset, '--slurm', '3', '--sbatch', '--begin=now+10']);
    await waitFor(() => existsSync(`${out}.slurm/state.json`) && jobsOf(out).length === 1, () => `a submitted job; stderr: ${run.stderr}`, 60_000);
    const [job] = jobsOf(out);
    expect(spawnSync('scancel', [`${job!.id}_1`]).status).toBe(0);
    const r = await exited(run, 240_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/shard\(s\) 1 ended unfinished; submitting again \(attempt 2 of 3\)/);
    expect(jobsOf(out).map((j) => j.indices)).toEqual([[0, 1, 2], [1]]);
    expect(verdicts(out)).toEqual(whole);
  }, 300_000);

  it.skipIf(problem !== null)('run --slurm N evaluates on the cluster, then validates and reports as run does', async () => {
    const ds = loadDataset(dataset);
    const tasks = ds.tasks.slice(0, 10).map((t) => t.id).join(',');
    const folder = path.join(dir, 'run');
    const r = await exited(cli(['run', '-m', 'reference:insecure', '-e', 'direct-generation', '--tasks', tasks, '--dataset', dataset, '-o', folder, '--no-cache', '--slurm', '2']), 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/run: shards: 0 pending, 0 running, 2 done; samples 10\/10/);
    expect(existsSync(path.join(folder, 'report.md'))).toBe(true);
    const mine = Object.fromEntries(Object.entries(whole).filter(([k]) => k.startsWith('insecure ') || k.startsWith('reference:insecure ')));
    expect(Object.keys(mine)).toHaveLength(10);
    expect(verdicts(path.join(folder, 'results.jsonl'))).toEqual(mine);
  }, 300_000);
});
