import type { ExecJob, FixtureSet } from './exec.js';
import type { Manifest } from './manifest.js';
import type { Dataset, DatasetKind, Subset, Task } from './task.js';

/** What a sample gives to run: a complete program, or text that continues the task's Problem. */
export interface SampleCode {
  solution?: string | undefined;
  completion?: string | undefined;
}

/** Where a third-party module comes from, for `doctor` and the environment-failure report. */
export interface ModuleSource {
  /** What to import to tell whether it works (`mysql.connector`, not just the `mysql` namespace). */
  probe: string;
  /** Debian package providing it for /usr/bin/python3, or null when Debian has none. */
  debian: string | null;
  /** Distribution name on PyPI. */
  pip: string;
  /** The sandbox ships a stand-in (src/sandbox/python/shims/<module>) used when the real one is missing. */
  shim?: boolean;
  note?: string;
}

/** How a task's test runs: a `check(candidate)` function, or an upstream test file against a module. */
export type TestProtocol = 'check' | 'unittest' | 'pytest';

/** The pinned public source `dataset fetch NAME` downloads. */
export interface FetchSource {
  manifest: Manifest;
  /** An environment variable that may name another archive (a mirror, a local copy), or null. */
  urlEnv: string | null;
}

/**
 * A benchmark: how its tasks load, which fixtures they need, and how a sample and its test
 * become a job. Stages see only this; adding a benchmark is one folder under src/benchmarks/
 * and one registry entry.
 */
export interface Benchmark {
  readonly kind: DatasetKind;
  /** How reports head it: "CodeSecEval", "SALLM". */
  readonly label: string;
  /** The subsets its tasks carry: how a task finds the benchmark it came from. Unique across benchmarks. */
  readonly subsets: readonly Subset[];
  /** What `--subset` accepts for each subset, lower case (the subset's own name is always accepted). */
  readonly subsetAliases: Readonly<Record<string, Subset>>;
  /** One line for help texts: what the benchmark is and where its data comes from. */
  readonly description: string;
  /** The environment variable naming its data (`$CODESECEVAL_SALLM`). */
  readonly datasetEnv: string;
  /** Null when the tool cannot download it. */
  readonly fetch: FetchSource | null;
  /** Third-party modules its code imports, by top-level name. */
  readonly modules: Readonly<Record<string, ModuleSource>>;
  /**
   * Modules (dotted names, standard library included) the sandbox's runner imports once,
   * before it forks this benchmark's samples: every module its data imports, so no sample
   * pays for them and the runner pays for none it never uses. Unset: the runner's own list, made for all the built-in
   * benchmarks at once.
   */
  readonly preload?: readonly string[];
  readonly protocol: TestProtocol;
  /**
   * A folder of its own `<experiment>.<style>.txt` prompt templates, used instead of the
   * built-in ones for its tasks (a user's --prompt-template still wins), or undefined.
   */
  readonly prompts?: string;
  /** Whether its tasks carry a secure / an insecure reference program (`reference:secure`, `reference:insecure`). */
  readonly references: { readonly secure: boolean; readonly insecure: boolean };
  /** Whether the file or folder at `location` (absolute, existing) is in this benchmark's layout. */
  recognises(location: string): boolean;
  /** Load and check every record; bad data is a DatasetError naming file, record and field. */
  load(location: string): Dataset;
  /**
   * Every file a loaded dataset's content depends on (records, tests, fixtures), as sorted
   * `/`-separated paths relative to `root` (the folder loaded, or the folder of the file
   * loaded): what the environment record hashes, so any edit changes the hash.
   */
  dataFiles(source: string): { root: string; files: string[] };
  /** The task's fixture files as content, or null when it has none. */
  fixtures(task: Task): FixtureSet | null;
  /** The complete program a sample stands for (a `solution` as it is; a `completion` after the Problem). */
  program(task: Task, sample: SampleCode): string;
  /** The job that runs `program` against the task's test. */
  job(task: Task, program: string, opts?: { timeoutSec?: number | undefined; soft?: boolean }): ExecJob;
}
