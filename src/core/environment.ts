import { z } from 'zod';

/**
 * The environment record: what produced a results file, written next to it as
 * `<results>.env.json` (the results format itself is unchanged). One file holds one or more
 * records; each says which result lines (1-based, inclusive ranges) it produced. `evaluate`
 * writes one record covering every line; `evaluate --rerun` moves the lines it re-runs to a
 * new record, so a file re-run after installing a module says which lines saw which machine.
 */
export const ENVIRONMENT_FORMAT = 'codeseceval-environment';

/** A Python package as the interpreter reported it; null when the module is not importable there. */
export const PackageInfo = z
  .object({
    /** The distribution that provides the module (`PyYAML` for `yaml`), when metadata names one. */
    distribution: z.string().nullable(),
    version: z.string().nullable(),
  })
  .nullable();
export type PackageInfo = z.infer<typeof PackageInfo>;

export const DatasetIdentity = z.object({
  kind: z.string(),
  source: z.string(),
  /** `dataset fetch`'s pinned repository and commit, when the data is that fetched copy; else null. */
  repo: z.string().nullable(),
  commit: z.string().nullable(),
  /** SHA-256 over the data files the tasks come from (sorted relative paths and their own SHA-256). */
  content_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.number().int().nonnegative(),
});
export type DatasetIdentity = z.infer<typeof DatasetIdentity>;

const LineRange = z.tuple([z.number().int().positive(), z.number().int().positive()]);

/**
 * A record made by `evaluate --shard I/N`: which shard, of which samples file, and how many
 * samples the shard holds (so `merge` tells a finished shard from one cut short).
 */
export const ShardRecord = z.object({
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  samples_file: z.string(),
  samples_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  samples: z.number().int().nonnegative(),
});
export type ShardRecord = z.infer<typeof ShardRecord>;

export const EnvironmentRecord = z.object({
  /** Result lines this record produced: inclusive [from, to] ranges, 1-based. */
  lines: z.array(LineRange),
  created_at: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  benchmark: DatasetIdentity,
  interpreter: z.object({ path: z.string(), executable: z.string(), version: z.string() }),
  /**
   * Third-party modules the tasks (code, tests, problems) and the samples import, by import
   * name. Standard-library modules are left out when the interpreter lists them (3.10+).
   */
  packages: z.record(z.string(), PackageInfo),
  sandbox: z.object({
    backend: z.string(),
    /** Seconds, or "auto" (per task, from its Secure Code's runtime). */
    timeout: z.union([z.number().positive(), z.literal('auto')]),
    memory_mb: z.number().positive(),
    file_size_mb: z.number().positive(),
    /** Size of each writable filesystem of a sample (absent: not bounded, or recorded before it was). */
    disk_mb: z.number().positive().optional(),
    max_procs: z.number().int().positive(),
    /** memory_mb and max_procs bound each sample as a whole through its cgroup ("v1", "v2"), or only each process ("none"). Absent in records made before. */
    cgroup: z.enum(['v1', 'v2', 'none']).optional(),
    jobs: z.number().int().positive(),
    soft: z.boolean(),
  }),
  /** Set by `evaluate --shard`; absent for an unsharded evaluation. */
  shard: ShardRecord.optional(),
});
export type EnvironmentRecord = z.infer<typeof EnvironmentRecord>;

export const EnvironmentFile = z.object({
  format: z.literal(ENVIRONMENT_FORMAT),
  version: z.literal(1),
  records: z.array(EnvironmentRecord).min(1),
});
export type EnvironmentFile = z.infer<typeof EnvironmentFile>;

/** The sidecar file of a results file. */
export function environmentFileFor(resultsFile: string): string {
  return `${resultsFile}.env.json`;
}

/**
 * Fields that do not change a verdict: where the data lives (its content hash is compared),
 * when and over which lines a record was made, how many samples ran at once, and whether a
 * soft-assert run was added beside the normal one (pass@k comes from the normal run only).
 * Which shard made a record is no difference of machine either (`merge` checks shards itself).
 */
const IGNORED = new Set(['lines', 'created_at', 'benchmark.source', 'sandbox.jobs', 'sandbox.soft']);

function leaves(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
}

function flatten(r: EnvironmentRecord): Map<string, string> {
  const out = new Map<string, string>();
  const { packages, ...rest } = r;
  leaves(rest, '', out);
  for (const [name, info] of Object.entries(packages)) out.set(`packages.${name}`, JSON.stringify(info));
  return out;
}

export interface FieldDifference {
  field: string;
  a: string;
  b: string;
}

/**
 * The fields in which two records differ. Packages are compared only where both records list
 * the module: different models import different modules, which is no difference of machine.
 * The data's location is ignored (the same data can live anywhere); its content hash is not.
 */
export function environmentDifferences(a: EnvironmentRecord, b: EnvironmentRecord): FieldDifference[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const out: FieldDifference[] = [];
  for (const field of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    if (IGNORED.has(field) || field.startsWith('shard.')) continue;
    const va = fa.get(field);
    const vb = fb.get(field);
    if (field.startsWith('packages.') && (va === undefined || vb === undefined)) continue;
    if (va !== vb) out.push({ field, a: va ?? 'absent', b: vb ?? 'absent' });
  }
  return out;
}
