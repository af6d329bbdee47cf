import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  ANALYSIS_FORMAT,
  ANALYSIS_VERSION,
  AnalysisHeader,
  FindingSchema,
  REFERENCE_KINDS,
  ReferenceAnalysis,
  SampleAnalysis,
  type ReferenceKind,
} from '../core/analysis.js';

import { UserError } from '../core/errors.js';
import { sampleKey } from '../core/sample.js';
import { readJsonl } from '../io/jsonl.js';
import { checkInputFile } from '../io/paths.js';

// The analysis file's shapes are contracts (src/core/analysis.ts); this module reads the file.
export { ANALYSIS_FORMAT, ANALYSIS_VERSION, AnalysisHeader, FindingSchema, REFERENCE_KINDS, ReferenceAnalysis, SampleAnalysis, type ReferenceKind };

const AnalysisLine = z.discriminatedUnion('kind', [AnalysisHeader, SampleAnalysis, ReferenceAnalysis]);
export type AnalysisLine = z.infer<typeof AnalysisLine>;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface AnalysisFile {
  file: string;
  header: AnalysisHeader;
  samples: Map<string, SampleAnalysis>;
  /** By task ID, then reference kind. */
  references: Map<string, Partial<Record<ReferenceKind, ReferenceAnalysis>>>;
}

/** Read and check a whole analysis file; a bad line stops with its file and line number. */
export async function readAnalysisFile(file: string): Promise<AnalysisFile> {
  checkInputFile(file, '--analysis');
  let header: AnalysisHeader | null = null;
  const samples = new Map<string, SampleAnalysis>();
  const references = new Map<string, Partial<Record<ReferenceKind, ReferenceAnalysis>>>();
  for await (const { line, value: r } of readJsonl(file, AnalysisLine)) {
    const where = `${file}:${line}`;
    if (r.kind === 'header') {
      if (header) throw new UserError(`${where}: a second header line`);
      header = r;
      continue;
    }
    if (!header) throw new UserError(`${where}: the first line must be the header written by \`codeseceval analyze\``);
    if (r.kind === 'sample') {
      const key = sampleKey(r.task_id, r.experiment, r.model, r.sample_index);
      if (samples.has(key)) {
        throw new UserError(`${where}: duplicate sample ${r.sample_index} of ${r.model} / ${r.experiment} / ${r.task_id}`);
      }
      samples.set(key, r);
    } else {
      const refs = references.get(r.task_id) ?? {};
      if (refs[r.reference]) throw new UserError(`${where}: duplicate ${r.reference} reference of ${r.task_id}`);
      refs[r.reference] = r;
      references.set(r.task_id, refs);
    }
  }
  if (!header) throw new UserError(`${file}: empty analysis file (no header line)`);
  return { file, header, samples, references };
}
