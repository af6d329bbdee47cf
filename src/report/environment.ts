import path from 'node:path';
import {
  environmentDifferences,
  environmentFileFor,
  type EnvironmentRecord,
  type FieldDifference,
} from '../core/environment.js';
import { UserError } from '../core/errors.js';
import type { EnvironmentFailureSample } from '../score/tally.js';
import { describeDifferences, readEnvironmentFile } from '../evaluate/environment.js';
import { packageFor } from '../evaluate/modules.js';
import type { Table } from './table-model.js';

/**
 * What produced the results a report combines, and what the machine lacked: every input's
 * environment records (`<results>.env.json`), warnings when they differ, and the samples
 * that failed for want of a module or of the network.
 */

export interface ReportEnvironment {
  /** The results file. */
  file: string;
  /** Its sidecar, or null when it has none (made before records existed, or by another tool). */
  envFile: string | null;
  records: EnvironmentRecord[];
}

export interface EnvironmentWarning {
  /** "results.jsonl lines 1-60" and "other.jsonl", the two sides compared. */
  a: string;
  b: string;
  /** Empty when one side has no record at all. */
  fields: FieldDifference[];
  message: string;
}

export interface MissingModuleCount {
  module: string;
  installable: boolean;
  samples: number;
  /** Runs ("model / experiment") whose samples lacked it, with their sample counts. */
  runs: { run: string; samples: number }[];
  debian: string | null;
  pip: string | null;
}

export interface NetworkCount {
  model: string;
  experiment: string;
  samples: number;
  tasks: string[];
}

export interface EnvironmentFailures {
  missingModules: MissingModuleCount[];
  network: NetworkCount[];
}

export interface EnvironmentSummary {
  environments: ReportEnvironment[];
  environmentWarnings: EnvironmentWarning[];
  environmentFailures: EnvironmentFailures;
}


function rangeText(lines: readonly (readonly [number, number])[]): string {
  return lines.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

function sideName(env: ReportEnvironment, r: EnvironmentRecord | null, many: boolean): string {
  const base = path.basename(env.file);
  return r && many ? `${base} lines ${rangeText(r.lines) || 'none'}` : base;
}

export function environmentSummary(files: readonly string[], failures: readonly EnvironmentFailureSample[]): EnvironmentSummary {
  const environments: ReportEnvironment[] = files.map((file) => {
    let data;
    try {
      data = readEnvironmentFile(file);
    } catch (e) {
      throw new UserError(`${environmentFileFor(file)}: not a valid environment record (${(e as Error).message}); remove it or make it again with evaluate --fresh`);
    }
    return { file, envFile: data ? environmentFileFor(file) : null, records: data?.records ?? [] };
  });

  // Every record compared with the first one seen: one warning per record that differs.
  const environmentWarnings: EnvironmentWarning[] = [];
  const recorded = environments.flatMap((env) => env.records.map((r) => ({ env, r, many: env.records.length > 1 })));
  const first = recorded[0];
  if (first) {
    const a = sideName(first.env, first.r, first.many);
    for (const other of recorded.slice(1)) {
      const fields = environmentDifferences(first.r, other.r);
      if (!fields.length) continue;
      const b = sideName(other.env, other.r, other.many);
      environmentWarnings.push({ a, b, fields, message: `${a} and ${b} were produced under different environments: ${describeDifferences(fields, Infinity)}` });
    }
    for (const env of environments.filter((e) => !e.records.length)) {
      const b = path.basename(env.file);
      environmentWarnings.push({
        a,
        b,
        fields: [],
        message: `${b} has no environment record (made before records existed, or elsewhere): it may come from another machine than ${a}`,
      });
    }
  }

  const modules = new Map<string, { installable: boolean; samples: number; runs: Map<string, number> }>();
  const network = new Map<string, NetworkCount & { taskSet: Set<string> }>();
  // Counted while the scoring pass read the lines: no second pass over the results.
  for (const { model, experiment, taskId, failure: f } of failures) {
    if (f.kind === 'missing-module') {
      const m = modules.get(f.module) ?? { installable: f.installable, samples: 0, runs: new Map<string, number>() };
      m.samples++;
      const run = `${model} / ${experiment}`;
      m.runs.set(run, (m.runs.get(run) ?? 0) + 1);
      modules.set(f.module, m);
    } else {
      const key = `${model}\u0000${experiment}`;
      const n = network.get(key) ?? { model, experiment, samples: 0, tasks: [], taskSet: new Set<string>() };
      n.samples++;
      n.taskSet.add(taskId);
      network.set(key, n);
    }
  }
  const missingModules = [...modules.entries()]
    .map(([module, m]) => {
      const pkg = m.installable ? packageFor(module) : null;
      return { module, installable: m.installable, samples: m.samples, runs: [...m.runs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([run, samples]) => ({ run, samples })), debian: pkg?.debian ?? null, pip: pkg?.pip ?? null };
    })
    .sort((x, y) => y.samples - x.samples || (x.module < y.module ? -1 : 1));
  const networkCounts = [...network.values()].map(({ taskSet, ...n }) => ({ ...n, tasks: [...taskSet].sort() }));
  return { environments, environmentWarnings, environmentFailures: { missingModules, network: networkCounts } };
}

function timeoutText(t: number | 'auto'): string {
  return t === 'auto' ? 'auto' : `${t} s`;
}

function datasetText(r: EnvironmentRecord): string {
  const b = r.benchmark;
  const pin = b.commit ? `${b.repo ?? ''}@${b.commit.slice(0, 12)}, ` : '';
  return `${b.kind} (${pin}content ${b.content_sha256.slice(0, 12)}, ${b.files} files)`;
}

function packagesText(r: EnvironmentRecord): string {
  const present: string[] = [];
  const absent: string[] = [];
  for (const [m, p] of Object.entries(r.packages).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!p) absent.push(m);
    else {
      const name = p.distribution && p.distribution.toLowerCase() !== m.toLowerCase() ? `${p.distribution} (${m})` : m;
      present.push(p.version ? `${name} ${p.version}` : name);
    }
  }
  return [present.join(', ') || 'none', absent.length ? `not importable: ${absent.join(', ')}` : ''].filter(Boolean).join('; ');
}

const t = (text: string, tone?: 'warn' | 'na') => (tone ? { text, tone } : { text });

/** One line per warning, for the top of every format. */
export function environmentWarningLines(s: EnvironmentSummary): string[] {
  return s.environmentWarnings.map((w) => `Warning: ${w.message}.`);
}

/** Tables for Markdown and HTML: records, missing modules, network attempts. Empty when there is nothing to say. */
export function environmentTables(s: EnvironmentSummary): Table[] {
  const tables: Table[] = [];
  const rows = s.environments.flatMap((env) =>
    env.records.length
      ? env.records.map((r) => [
          t(path.basename(env.file)),
          t(rangeText(r.lines) || 'none'),
          t(`${r.tool.name} ${r.tool.version}`),
          t(datasetText(r)),
          t(`${r.interpreter.path} (Python ${r.interpreter.version})`),
          t(r.sandbox.backend),
          t(timeoutText(r.sandbox.timeout)),
          t(`${r.sandbox.memory_mb} MiB`),
          t(`${r.sandbox.file_size_mb} MiB`),
          t(String(r.sandbox.max_procs)),
          t(String(r.sandbox.jobs)),
          t(r.sandbox.soft ? 'yes' : 'no'),
          t(packagesText(r)),
        ])
      : [[t(path.basename(env.file)), t('no record', 'na'), ...Array.from({ length: 11 }, () => t('', 'na'))]],
  );
  if (s.environments.some((e) => e.records.length)) {
    tables.push({
      id: 'environment',
      title: 'Environment',
      description: 'What produced each results file (its .env.json record): tool, data, interpreter, the packages the tasks and samples import, sandbox and limits.',
      columns: ['results', 'lines', 'tool', 'dataset', 'interpreter', 'sandbox', 'timeout', 'memory', 'file size', 'processes', 'jobs', 'soft', 'packages'].map((label) => ({ label })),
      rows,
      notes: environmentWarningLines(s),
    });
  }
  const mm = s.environmentFailures.missingModules;
  if (mm.length) {
    const apt = [...new Set(mm.flatMap((m) => (m.debian ? [m.debian] : [])))];
    const pip = [...new Set(mm.flatMap((m) => (m.pip ? [m.pip] : [])))];
    const notes: string[] = [];
    if (apt.length) notes.push(`Install: apt-get install ${apt.join(' ')}`);
    if (pip.length) notes.push(`or: python3 -m pip install ${pip.join(' ')}`);
    notes.push('Then re-run only these samples: codeseceval evaluate --out RESULTS --rerun missing-module');
    tables.push({
      id: 'missing-modules',
      title: 'Missing modules',
      description:
        'Samples that failed importing a module this interpreter lacks. They keep their status, but the failure is the machine’s when the module is installable; "unknown" modules are in neither codeseceval’s package table nor the standard library (possibly invented by the model).',
      columns: [{ label: 'module' }, { label: 'samples', numeric: true }, { label: 'known package' }, { label: 'apt' }, { label: 'pip' }, { label: 'runs' }],
      rows: mm.map((m) => [
        t(m.module),
        t(String(m.samples)),
        m.installable ? t('yes') : t('unknown', 'warn'),
        t(m.debian ?? '—'),
        t(m.pip ?? '—'),
        t(m.runs.map((r) => `${r.run} (${r.samples})`).join(', ')),
      ]),
      notes,
    });
  }
  const net = s.environmentFailures.network;
  if (net.length) {
    tables.push({
      id: 'network',
      title: 'Samples that tried to reach the network',
      description: 'The sandbox has no network, so these samples could not pass here, whatever they would do elsewhere.',
      columns: [{ label: 'model' }, { label: 'experiment' }, { label: 'samples', numeric: true }, { label: 'tasks' }],
      rows: net.map((n) => [t(n.model), t(n.experiment), t(String(n.samples)), t(n.tasks.join(', '))]),
      notes: ['Re-run them on a machine with network access, or with: codeseceval evaluate --out RESULTS --rerun network (still offline in the sandbox).'],
    });
  }
  return tables;
}

/** CSV: extra columns, only when there is something to say (like the split columns). */
export function environmentCsvHeader(s: EnvironmentSummary): string[] {
  const cols: string[] = [];
  if (s.environmentWarnings.length) cols.push('environment_warning');
  if (s.environmentFailures.missingModules.length || s.environmentFailures.network.length) cols.push('missing_modules', 'network_samples');
  return cols;
}

export function environmentCsvFields(s: EnvironmentSummary, model: string, experiment: string): string[] {
  const out: string[] = [];
  if (s.environmentWarnings.length) out.push(s.environmentWarnings.map((w) => w.message).join(' | '));
  if (s.environmentFailures.missingModules.length || s.environmentFailures.network.length) {
    const run = `${model} / ${experiment}`;
    const mods = s.environmentFailures.missingModules.flatMap((m) => {
      const here = m.runs.find((r) => r.run === run);
      return here ? [`${m.module} x${here.samples} (${m.installable ? `apt ${m.debian ?? '-'}, pip ${m.pip ?? '-'}` : 'unknown'})`] : [];
    });
    out.push(mods.join('; '));
    out.push(String(s.environmentFailures.network.find((n) => n.model === model && n.experiment === experiment)?.samples ?? 0));
  }
  return out;
}

/** JSON: the records as written, the warnings with their fields, the failure lists. */
export function environmentJson(s: EnvironmentSummary) {
  return {
    environments: s.environments.map((e) => ({ file: e.file, env_file: e.envFile, records: e.records })),
    environment_warnings: s.environmentWarnings.map((w) => ({ a: w.a, b: w.b, fields: w.fields, message: w.message })),
    environment_failures: {
      missing_modules: s.environmentFailures.missingModules,
      network: s.environmentFailures.network,
    },
  };
}
