import { z } from 'zod';
import { readJsonl } from '../io/jsonl.js';
import type { ResultSet } from '../score/tally.js';

/**
 * Is every sample that was made also judged? A report from a results file that an interrupted
 * `evaluate` left half written looks normal unless someone counts; this counts, per model and
 * experiment, the samples the samples file holds against the results the report read.
 */
export interface MissingResults {
  model: string;
  experiment: string;
  /** Samples in the samples file(s). */
  expected: number;
  /** Of those, results the report read. */
  judged: number;
}

const SampleOrigin = z.looseObject({ model: z.string().optional(), experiment: z.string().optional() });

const key = (model: string, experiment: string) => `${model}\u0000${experiment}`;

/** Samples per model and experiment in the given samples files (lines without a model are not counted). */
export async function countSamples(files: readonly string[]): Promise<Map<string, { model: string; experiment: string; n: number }>> {
  const out = new Map<string, { model: string; experiment: string; n: number }>();
  for (const file of files) {
    for await (const { value } of readJsonl(file, SampleOrigin)) {
      if (value.model === undefined) continue;
      const experiment = value.experiment ?? 'unknown';
      const k = key(value.model, experiment);
      const entry = out.get(k) ?? { model: value.model, experiment, n: 0 };
      entry.n++;
      out.set(k, entry);
    }
  }
  return out;
}

/** Each model × experiment with fewer results than samples, in the samples' order. */
export function missingResults(expected: Map<string, { model: string; experiment: string; n: number }>, results: ResultSet): MissingResults[] {
  const judged = new Map(results.runs.map((r) => [key(r.model, r.experiment), r.samples]));
  return [...expected.values()]
    .map((e) => ({ model: e.model, experiment: e.experiment, expected: e.n, judged: judged.get(key(e.model, e.experiment)) ?? 0 }))
    .filter((m) => m.judged < m.expected);
}

/** One line per incomplete model × experiment, for the top of every format and the terminal. */
export function partialLines(missing: readonly MissingResults[]): string[] {
  return missing.map(
    (m) =>
      `Partial report: ${m.model} / ${m.experiment} has results for ${m.judged} of ${m.expected} samples (${m.expected - m.judged} not evaluated yet; run evaluate again to finish)`,
  );
}
