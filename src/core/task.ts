import { z } from 'zod';

/**
 * The subset a task comes from ("SecEvalBase", "HumanEval", "Tainted"): each benchmark names
 * its own (`Benchmark.subsets`), so the list is open.
 */
export const Subset = z.string().regex(/^[A-Za-z][\w.-]*$/);
export type Subset = z.infer<typeof Subset>;

/**
 * One benchmark task, normalised across benchmarks. Every Benchmark produces these; stages
 * see nothing of a benchmark's own file layout.
 */
export const Task = z.object({
  id: z.string().min(1),
  subset: Subset,
  /**
   * Normalised CWE identifiers ("CWE-20", never "CWE-020"). The merged authorization type
   * lists its four members; `cweGroup` is the single key it is scored under.
   */
  cwes: z.array(z.string()),
  /** Key for per-CWE grouping: "CWE-20", or "CWE-862/CWE-287/CWE-306/CWE-863". Null for HumanEval. */
  cweGroup: z.string().nullable(),
  problem: z.string(),
  /** The secure reference program; '' where the benchmark has none (SALLM: `Benchmark.references.secure` is false). */
  secureCode: z.string(),
  /** Null where the benchmark has no insecure reference (HumanEval). */
  insecureCode: z.string().nullable(),
  test: z.string(),
  entryPoint: z.string(),
  vulnAwareProblem: z.string().nullable(),
  insecureCodeExplanation: z.string().nullable(),
  /** Host folder of the task's upstream fixtures, or null when it has none; read by the benchmark only. */
  fixtureDir: z.string().nullable(),
  /** Folder name the sandbox creates the fixtures under: `Test/<fixtureName>/`. */
  fixtureName: z.string().min(1),
  /** Where upstream took the task from, when it says (SALLM's source: "Author", "CodeQL", ...). */
  origin: z.string().optional(),
  /** Test-file benchmarks (SALLM, CWEval): the module name the test file imports the program as. */
  module: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
});
export type Task = z.infer<typeof Task>;

/** Name of a registered benchmark (`BENCHMARKS` in src/benchmarks/): "codeseceval", "sallm". */
export type DatasetKind = string;

export interface Dataset {
  kind: DatasetKind;
  /** Where it was loaded from (folder or file). */
  source: string;
  tasks: Task[];
  byId: Map<string, Task>;
  /** Upstream records that cannot be run (no test file), listed rather than silently dropped. */
  untestable?: { id: string; reason: string }[];
  /** A run over several benchmarks: the datasets this one joins, each whole (see `mergeDatasets`). */
  parts?: Dataset[];
}
