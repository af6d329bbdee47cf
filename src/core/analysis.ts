import { z } from 'zod';

/** Severity and confidence levels of static-analysis findings. */
export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * The analysis file `codeseceval analyze` writes: JSONL, one header line naming the analyzer,
 * then one line per analysed program: a sample of a results file (`kind: "sample"`, keyed by
 * model, experiment, task_id, sample_index) or a reference of the dataset (`kind: "reference"`,
 * keyed by task_id and which reference). Each program line carries the SHA-256 of the program
 * text, so an analysis is never joined to a different program than the one analysed.
 */
export const ANALYSIS_FORMAT = 'codeseceval-analysis';
export const ANALYSIS_VERSION = 1;

/** One issue an analyzer reports in one program (lines are 1-based within the program). */
export const FindingSchema = z.object({
  rule: z.string().min(1),
  severity: z.enum(SEVERITIES),
  confidence: z.enum(SEVERITIES),
  cwe: z.string().regex(/^CWE-[1-9]\d*$/).nullable(),
  line: z.number().int().positive(),
  message: z.string(),
});

export const AnalysisHeader = z.looseObject({
  kind: z.literal('header'),
  format: z.literal(ANALYSIS_FORMAT),
  version: z.literal(ANALYSIS_VERSION),
  analyzer: z.string().min(1),
  analyzer_version: z.string().min(1),
  rule_table: z.string().min(1),
  /** Results files analysed, as given. */
  results: z.array(z.string()),
  /** Dataset the references came from; null when references were not analysed. */
  dataset: z.string().nullable(),
  created_at: z.string(),
});
export type AnalysisHeader = z.infer<typeof AnalysisHeader>;

const ProgramFields = {
  task_id: z.string().min(1),
  program_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The program is blank: nothing to analyse (often a failed model request). */
  empty: z.boolean(),
  /** The analyzer could not read this program (syntax error...): its findings mean nothing. */
  error: z.string().nullable(),
  findings: z.array(FindingSchema),
};

export const SampleAnalysis = z.looseObject({
  kind: z.literal('sample'),
  model: z.string(),
  experiment: z.string(),
  sample_index: z.number().int().nonnegative(),
  ...ProgramFields,
});
export type SampleAnalysis = z.infer<typeof SampleAnalysis>;

export const REFERENCE_KINDS = ['secure', 'insecure'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

export const ReferenceAnalysis = z.looseObject({
  kind: z.literal('reference'),
  reference: z.enum(REFERENCE_KINDS),
  ...ProgramFields,
});
export type ReferenceAnalysis = z.infer<typeof ReferenceAnalysis>;
export type Finding = z.infer<typeof FindingSchema>;
