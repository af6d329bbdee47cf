import { z } from 'zod';
import { familyOf } from '../core/experiments.js';
import { ResultLine } from '../core/result.js';
import { FeedbackRepairInfo, SampleRound } from '../core/sample.js';
import type { Dataset } from '../core/task.js';
import { readJsonl } from '../io/jsonl.js';
import { RoundsTally, type RunRoundsInput } from '../score/rounds.js';
import { fallbackModel, UNKNOWN_EXPERIMENT } from '../score/tally.js';

/** A results line of a feedback run: the results contract, with the rounds the sample carried. */
const RoundResultLine = ResultLine.extend({
  rounds: z.array(SampleRound).optional(),
  feedback_repair: FeedbackRepairInfo.optional(),
});

/**
 * The rounds of every feedback run in the results files, streamed. Lines of other runs are
 * skipped after parsing, so a report without feedback runs never calls this (see build.ts).
 */
export async function readRounds(files: readonly string[], dataset: Dataset): Promise<RunRoundsInput[]> {
  const tally = new RoundsTally();
  for (const file of files) {
    const defaultModel = fallbackModel(file);
    for await (const entry of readJsonl(file, RoundResultLine, { tornTail: 'parse' })) {
      const r = entry.value;
      const experiment = r.experiment ?? UNKNOWN_EXPERIMENT;
      if (familyOf(experiment) !== 'feedback' && r.rounds === undefined) continue;
      if (!dataset.byId.has(r.task_id)) continue;
      tally.add(r.model ?? defaultModel, experiment, {
        taskId: r.task_id,
        passed: r.passed,
        ...(r.soft !== undefined ? { soft: r.soft } : {}),
        rounds: (r.rounds ?? []).map((x) => ({
          passed: x.passed,
          usage: x.usage,
          ...(x.soft !== undefined ? { soft: x.soft } : {}),
          ...(x.done !== undefined ? { done: x.done } : {}),
        })),
        maxRounds: r.feedback_repair?.max_rounds ?? null,
      });
    }
  }
  return tally.finish();
}
