/** The subsets a task can come from. HumanEval is the functional baseline. */
export type Subset = 'SecEvalBase' | 'SecEvalPlus' | 'HumanEval';

/** One benchmark task, normalised across the CodeSecEval and HumanEval layouts. */
export interface Task {
  id: string;
  subset: Subset;
  /**
   * Normalised CWE identifiers ("CWE-20", never "CWE-020"). The merged authorization type
   * lists its four members; `cweGroup` is the single key it is scored under.
   */
  cwes: string[];
  /** Key for per-CWE grouping: "CWE-20", or "CWE-862/CWE-287/CWE-306/CWE-863". Null for HumanEval. */
  cweGroup: string | null;
  problem: string;
  secureCode: string;
  /** Null for HumanEval, which has no insecure reference. */
  insecureCode: string | null;
  test: string;
  entryPoint: string;
  vulnAwareProblem: string | null;
  insecureCodeExplanation: string | null;
  /** Absolute path of the task's upstream fixture folder, or null when upstream has none. */
  fixtureDir: string | null;
  /** Folder name the sandbox creates the fixtures under: `Test/<fixtureName>/`. */
  fixtureName: string;
}

export type DatasetKind = 'codeseceval' | 'humaneval';

export interface Dataset {
  kind: DatasetKind;
  /** Where it was loaded from (folder or file). */
  source: string;
  tasks: Task[];
  byId: Map<string, Task>;
}
