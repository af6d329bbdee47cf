import { createHash } from 'node:crypto';
import { UserError } from '../core/errors.js';
import type { Experiment } from '../core/experiments.js';
import type { Prompt, SamplingParams } from '../core/model.js';
import { sampleKey } from '../core/sample.js';
import type { Task } from '../core/task.js';
import type { PreparedExperiment } from '../experiments/index.js';
import type { ExistingSamples } from './samples-file.js';
import { settingsDifferences, type SettingsChanged, settingsTag, type WantedSettings } from './settings.js';

/** One sample to make: a task, an experiment, and which of its n samples. */
export interface Job {
  task: Task;
  experiment: Experiment;
  prepared: PreparedExperiment;
  promptHash: string;
  sampleIndex: number;
}

export function hashPrompt(prompt: Prompt): string {
  return createHash('sha256').update(JSON.stringify(prompt)).digest('hex').slice(0, 16);
}

/**
 * Every sample the command asks for, each first prompt rendered (so a template problem costs
 * nothing), in experiment, task, sample order.
 */
export function planJobs(
  experiments: readonly Experiment[],
  prepared: readonly PreparedExperiment[],
  tasks: readonly Task[],
  samplesOf: (t: Task, e: Experiment) => number,
): Job[] {
  const jobs: Job[] = [];
  experiments.forEach((experiment, e) => {
    for (const task of tasks) {
      const promptHash = hashPrompt(prepared[e]!.firstPrompt(task).prompt);
      for (let i = 0; i < samplesOf(task, experiment); i++) jobs.push({ task, experiment, prepared: prepared[e]!, promptHash, sampleIndex: i });
    }
  });
  return jobs;
}

export function jobKey(job: Job, model: string): string {
  return sampleKey(job.task.id, job.experiment, model, job.sampleIndex);
}

/** The jobs whose samples are not in the file yet. */
export function jobsToDo(jobs: readonly Job[], existing: ExistingSamples, model: string): Job[] {
  return jobs.filter((j) => !existing.done.has(jobKey(j, model)));
}

/**
 * The model name the samples of this command are recorded under: the provider's, unless the
 * samples file already holds some of the same samples made with other settings. Then the run
 * is refused in one line naming each difference, or with `--settings-changed new` the new
 * samples get their own name (`<model>+<tag>`), so both sets stay apart in every report.
 */
export function modelUnderSettings(
  jobs: readonly Job[],
  existing: ExistingSamples,
  params: SamplingParams,
  samplesOf: (t: Task, e: Experiment) => number,
  ids: { name: string; spec: string },
  policy: SettingsChanged,
  outFile: string,
  notice: (msg: string) => void,
): string {
  const want = (job: Job): WantedSettings => ({
    modelSpec: ids.spec,
    temperature: params.temperature ?? null,
    topP: params.topP ?? null,
    maxTokens: params.maxTokens,
    seed: params.seed ?? null,
    n: samplesOf(job.task, job.experiment),
    promptHash: job.promptHash,
  });
  const differing = new Map<string, { line: number }>();
  for (const job of jobs) {
    const had = existing.settings.get(jobKey(job, ids.name));
    if (!had?.recorded) continue;
    for (const d of settingsDifferences(had.recorded, want(job))) if (!differing.has(d)) differing.set(d, { line: had.line });
  }
  if (!differing.size) return ids.name;
  const list = [...differing].map(([d, { line }]) => `${d} (line ${line})`).join('; ');
  if (policy === 'refuse') {
    throw new UserError(
      `--out ${outFile} holds samples of ${ids.name} made with other settings: ${list}; ` +
        'use another --out, or --settings-changed new to record these samples apart from the earlier ones',
    );
  }
  const first = jobs[0]!;
  const { promptHash: _p, ...base } = want(first);
  const tagged = `${ids.name}+${settingsTag(base, jobs.map((j) => j.promptHash).join(','))}`;
  notice(`${outFile}: settings differ from the earlier samples of ${ids.name} (${list}); these samples are recorded as model "${tagged}"`);
  return tagged;
}
