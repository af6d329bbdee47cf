import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  ENVIRONMENT_FORMAT,
  EnvironmentFile,
  EnvironmentRecord,
  environmentDifferences,
  environmentFileFor,
  type DatasetIdentity,
  type FieldDifference,
  type PackageInfo,
  type ShardRecord,
} from '../core/environment.js';
import { UserError } from '../core/errors.js';
import { OWN_PROCESS_GROUP } from '../sandbox/interpreter.js';
import type { ExecutorInfo } from '../core/exec.js';
import type { Dataset, Task } from '../core/task.js';
import { findBenchmark } from '../benchmarks/index.js';
import { filesBelow } from '../benchmarks/load-shared.js';
import { FETCH_INFO_FILE, FetchInfo } from '../benchmarks/fetch/manifest.js';
import { pythonImports, topLevelModule } from '../dataset/imports.js';
import { readJsonFileSync } from '../io/jsonl.js';
import { PACKAGE_ROOT } from '../io/paths.js';
import { writeFileAtomic } from '../io/write.js';
import type { ModuleKnowledge } from './modules.js';
import { createExecutor, type EngineOptions } from '../sandbox/index.js';

const Tool = z.looseObject({ name: z.string(), version: z.string() });
let tool: { name: string; version: string } | undefined;

export function toolIdentity(): { name: string; version: string } {
  tool ??= (({ name, version }) => ({ name, version }))(readJsonFileSync(path.join(PACKAGE_ROOT, 'package.json'), Tool));
  return tool;
}


function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const identities = new Map<string, DatasetIdentity>();

/**
 * What data the tasks came from: the pinned commit when the folder is `dataset fetch`'s
 * install (its info file says so), and always a content hash, so two copies of the same data
 * compare equal wherever they live and an edited copy never passes for the original.
 */
export function datasetIdentity(dataset: Dataset): DatasetIdentity {
  const cached = identities.get(dataset.source);
  if (cached) return cached;
  const source = dataset.source;
  if (dataset.parts && dataset.parts.length > 1) {
    // Several benchmarks: each part's own identity, joined.
    const ids = dataset.parts.map(datasetIdentity);
    return {
      kind: dataset.kind,
      source,
      repo: null,
      commit: null,
      content_sha256: sha256(ids.map((i) => `${i.kind}\0${i.content_sha256}\n`).join('')),
      files: ids.reduce((n, i) => n + i.files, 0),
    };
  }
  if (!path.isAbsolute(source) || !existsSync(source)) {
    // A dataset built in memory (tests, library callers; loaded ones have absolute sources):
    // its tasks are all there is to hash.
    return { kind: dataset.kind, source, repo: null, commit: null, content_sha256: sha256(JSON.stringify(dataset.tasks)), files: 0 };
  }
  // The benchmark names every file its content depends on (records, test files, fixtures),
  // so two datasets that differ only in a test file never share a hash.
  const bench = findBenchmark(dataset.kind);
  const { root, files } = bench
    ? bench.dataFiles(source)
    : statSync(source).isDirectory()
      ? { root: source, files: filesBelow(source) }
      : { root: path.dirname(source), files: [path.basename(source)] };
  const manifest = files.map((rel) => `${rel}\0${sha256(readFileSync(path.join(root, rel)))}\n`).join('');
  let repo: string | null = null;
  let commit: string | null = null;
  const info = path.join(root, FETCH_INFO_FILE);
  if (bench?.fetch && existsSync(info)) {
    try {
      ({ repo, commit } = readJsonFileSync(info, FetchInfo));
    } catch {
      // A damaged record of the fetch: the content hash still identifies the data.
    }
  }
  const id: DatasetIdentity = { kind: dataset.kind, source, repo, commit, content_sha256: sha256(manifest), files: files.length };
  identities.set(source, id);
  return id;
}

/** Top-level modules the tasks' own texts and the programs import, sorted. */
export function importedModules(tasks: Iterable<Task>, programs: Iterable<string>): string[] {
  const found = new Set<string>();
  const add = (text: string | null) => {
    if (text) for (const name of pythonImports(text)) found.add(topLevelModule(name));
  };
  const own = new Set<string>();
  for (const t of tasks) {
    for (const text of [t.problem, t.secureCode, t.insecureCode, t.test, t.vulnAwareProblem]) add(text);
    // A test file imports the task's own module: the program, not a package.
    if (t.module) own.add(t.module);
  }
  for (const p of programs) add(p);
  return [...found].filter((m) => !own.has(m)).sort();
}

/**
 * Runs in the evaluation interpreter, with -s as in the sandbox. Nothing is imported:
 * find_spec locates a module, importlib.metadata names its distribution and version.
 */
const PROBE = `
import json, sys
import importlib.util
mods = json.loads(sys.stdin.read())
std = getattr(sys, "stdlib_module_names", None)
dists = {}
try:
    import importlib.metadata as md
    if hasattr(md, "packages_distributions"):
        dists = md.packages_distributions()
except Exception:
    md = None
packages = {}
for m in mods:
    if std is not None and m in std:
        continue
    if m in sys.builtin_module_names:
        continue
    try:
        spec = importlib.util.find_spec(m)
    except Exception:
        spec = None
    if spec is None:
        packages[m] = None
        continue
    dist = (dists.get(m) or [None])[0]
    version = None
    if dist is not None and md is not None:
        try:
            version = md.version(dist)
        except Exception:
            pass
    packages[m] = {"distribution": dist, "version": version}
print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable,
                  "stdlib": sorted(std) if std is not None else None, "packages": packages}))
`;

const ProbeAnswer = z.object({
  version: z.string(),
  executable: z.string(),
  stdlib: z.array(z.string()).nullable(),
  packages: z.record(z.string(), z.object({ distribution: z.string().nullable(), version: z.string().nullable() }).nullable()),
});
export type InterpreterProbe = z.infer<typeof ProbeAnswer>;

export function probeInterpreter(python: string, modules: readonly string[]): InterpreterProbe {
  let out: string;
  try {
    out = execFileSync(python, ['-s', '-c', PROBE], {
      input: JSON.stringify(modules),
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
      ...OWN_PROCESS_GROUP,
    });
  } catch (e) {
    throw new UserError(`cannot ask "${python}" for its package versions: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = ProbeAnswer.safeParse(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
  if (!parsed.success) throw new UserError(`"${python}" gave an unexpected answer about its packages`);
  return parsed.data;
}

export interface RecordInput {
  dataset: Dataset;
  info: ExecutorInfo;
  timeout: number | 'auto' | undefined;
  soft: boolean;
  tasks: Iterable<Task>;
  programs: Iterable<string>;
  lines: [number, number][];
}

/** The record for one evaluation, and what the interpreter's standard library holds. */
export function buildEnvironmentRecord(input: RecordInput): { record: EnvironmentRecord; known: ModuleKnowledge } {
  const probe = probeInterpreter(input.info.interpreter.path, importedModules(input.tasks, input.programs));
  const packages: Record<string, PackageInfo> = probe.packages;
  const record: EnvironmentRecord = {
    lines: input.lines,
    created_at: new Date().toISOString(),
    tool: toolIdentity(),
    benchmark: datasetIdentity(input.dataset),
    interpreter: { path: input.info.interpreter.path, executable: probe.executable, version: probe.version },
    packages,
    sandbox: {
      backend: input.info.backend,
      timeout: input.timeout === 'auto' ? 'auto' : (input.timeout ?? input.info.timeoutSec),
      memory_mb: input.info.memoryMb,
      file_size_mb: input.info.fileSizeMb,
      ...(input.info.diskMb !== undefined ? { disk_mb: input.info.diskMb } : {}),
      max_procs: input.info.maxProcs,
      cgroup: input.info.cgroup ?? 'none',
      jobs: input.info.jobs,
      soft: input.soft,
    },
  };
  return { record, known: { stdlib: probe.stdlib ? new Set(probe.stdlib) : null } };
}

/** A results file's environment records, or null when it has none (made before records existed, or elsewhere). */
export function readEnvironmentFile(resultsFile: string): EnvironmentFile | null {
  const file = environmentFileFor(resultsFile);
  if (!existsSync(file)) return null;
  return readJsonFileSync(file, EnvironmentFile);
}

export async function writeEnvironmentFile(resultsFile: string, records: EnvironmentRecord[]): Promise<void> {
  const body: EnvironmentFile = { format: ENVIRONMENT_FORMAT, version: 1, records };
  await writeFileAtomic(environmentFileFor(resultsFile), `${JSON.stringify(body, null, 1)}\n`);
}

export function describeDifferences(diffs: readonly FieldDifference[], limit = 4): string {
  const shown = diffs.slice(0, limit).map((d) => `${d.field}: ${d.a} → ${d.b}`);
  return diffs.length > limit ? `${shown.join('; ')}; and ${diffs.length - limit} more` : shown.join('; ');
}

/** Inclusive 1-based ranges of a sorted list of line numbers. */
export function toRanges(lines: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of lines) {
    const last = out.at(-1);
    if (last && last[1] === n - 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

export function fromRanges(ranges: readonly (readonly [number, number])[]): number[] {
  return ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
}

export interface EvaluationEnvironment {
  known: ModuleKnowledge;
  record: EnvironmentRecord;
}

/**
 * Before `evaluate` writes a result line: the record of this evaluation, checked against the
 * record of the lines it keeps. Resuming under a different environment is refused (one line
 * naming the fields; --fresh starts over), so a results file never mixes machines silently.
 * The sidecar is written before the first new line, so no line exists without its record.
 * Lines kept from a run that left no record are left out of every record's `lines`; a
 * finished file is left as it is (its records may differ after `--rerun`, by design).
 */
export async function prepareEnvironment(opts: {
  outFile: string;
  dataset: Dataset;
  info: ExecutorInfo;
  timeout: number | 'auto' | undefined;
  soft: boolean;
  samples: readonly { task: Task; program: string }[];
  resumed: number;
  /** `evaluate --shard`: recorded on the record that covers the lines made now. */
  shard?: ShardRecord | undefined;
}): Promise<EvaluationEnvironment> {
  const total = opts.samples.length;
  const withShard = (r: EnvironmentRecord): EnvironmentRecord => (opts.shard ? { ...r, shard: opts.shard } : r);
  const { record, known } = buildEnvironmentRecord({
    dataset: opts.dataset,
    info: opts.info,
    timeout: opts.timeout,
    soft: opts.soft,
    tasks: new Set(opts.samples.map((s) => s.task)),
    programs: opts.samples.map((s) => s.program),
    lines: total ? [[1, total]] : [],
  });
  if (opts.shard) record.shard = opts.shard;
  if (opts.resumed === 0) {
    await writeEnvironmentFile(opts.outFile, [record]);
    return { known, record };
  }
  let previous: EnvironmentFile | null;
  try {
    previous = readEnvironmentFile(opts.outFile);
  } catch {
    previous = null;
  }
  if (opts.resumed >= total) {
    // A finished shard re-run after its samples file grew (samples of other shards): the
    // record names the samples file as it is now, so the shards still merge.
    if (opts.shard && previous && JSON.stringify(previous.records.at(-1)!.shard) !== JSON.stringify(opts.shard)) {
      const records = [...previous.records.slice(0, -1), withShard(previous.records.at(-1)!)];
      await writeEnvironmentFile(opts.outFile, records);
      return { known, record: records.at(-1)! };
    }
    return { known, record: previous?.records.at(-1) ?? record };
  }
  const fresh: [number, number] = [opts.resumed + 1, total];
  if (!previous) {
    // Results from before environment records: say honestly which lines this record covers.
    record.lines = [fresh];
    await writeEnvironmentFile(opts.outFile, [record]);
    return { known, record };
  }
  const last = previous.records.at(-1)!;
  const diffs = environmentDifferences(last, record);
  if (diffs.length) {
    throw new UserError(
      `${opts.outFile} was produced under a different environment (${describeDifferences(diffs)}); use --fresh to start over, or another --out`,
    );
  }
  // Same machine and settings: the last record also covers the lines made now. Lines past the
  // kept prefix (a torn tail, another samples file's results) are dropped from every record.
  const kept = (r: EnvironmentRecord) => toRanges(fromRanges(r.lines).filter((n) => n <= opts.resumed));
  const records = previous.records.map((r) => ({ ...r, lines: kept(r) }));
  const merged = withShard({ ...records.at(-1)!, lines: toRanges([...fromRanges(records.at(-1)!.lines), ...fromRanges([fresh])]) });
  records[records.length - 1] = merged;
  await writeEnvironmentFile(opts.outFile, records.filter((r) => r.lines.length > 0 || r === merged));
  return { known, record: merged };
}

/**
 * `prepareEnvironment` for evaluateSamples' options. The executor's own description of its
 * limits is the truth; one is made here just to read it (cheap: no runner starts until a job
 * is given) and closed again, so nothing is opened for writing before the check.
 */
export async function evaluationEnvironment(
  opts: EngineOptions & { outFile: string; dataset: Dataset; timeout?: number | 'auto'; soft?: boolean },
  samples: readonly { task: Task; program: string }[],
  resumed: number,
  /** The executor that will run the samples; one is made (and closed) when there is none. */
  running?: ExecutorInfo,
  shard?: ShardRecord,
): Promise<EvaluationEnvironment> {
  let info = running;
  if (!info) {
    const { onWarning: _quiet, ...quiet } = opts;
    const executor = createExecutor(quiet);
    try {
      info = executor.info;
    } finally {
      executor.close();
    }
  }
  return prepareEnvironment({
    outFile: opts.outFile,
    dataset: opts.dataset,
    info,
    timeout: opts.timeout,
    soft: opts.soft ?? false,
    samples,
    resumed,
    shard,
  });
}
