import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import { ResultLine } from '../core/result.js';
import { type Status, STATUSES } from '../core/status.js';
import type { Dataset } from '../core/task.js';
import { preloadFor, sampleProgram, taskJob } from '../benchmarks/index.js';
import { readJsonl } from '../io/jsonl.js';
import { acquireLock } from '../io/lock.js';
import { writeFileAtomic } from '../io/write.js';
import { createExecutor, type EngineOptions } from '../sandbox/index.js';
import { buildEnvironmentRecord, fromRanges, readEnvironmentFile, toRanges, writeEnvironmentFile } from './environment.js';
import { resultLine } from './evaluate.js';
import type { LoadedSample } from './samples.js';
import { autoTimeouts } from './timeouts.js';

/** Environment failures `evaluate --rerun` can redo once the machine is fixed. */
export const RERUN_KINDS = ['missing-module', 'network'] as const;
export type RerunKind = (typeof RERUN_KINDS)[number];

export function parseRerunKinds(raw: string): RerunKind[] {
  const kinds = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (!kinds.length) throw new UserError(`--rerun needs one of: ${RERUN_KINDS.join(', ')}`);
  for (const k of kinds) {
    if (!(RERUN_KINDS as readonly string[]).includes(k)) throw new UserError(`--rerun: unknown kind "${k}"; valid: ${RERUN_KINDS.join(', ')} (comma-separated)`);
  }
  return [...new Set(kinds)] as RerunKind[];
}

export interface RerunOptions extends EngineOptions {
  /** The results file whose lines are re-run in place. */
  outFile: string;
  dataset: Dataset;
  kinds: readonly RerunKind[];
  timeout?: number | 'auto';
  onProgress?: (done: number, total: number) => void;
}

export interface RerunSummary {
  /** Result lines in the file. */
  total: number;
  /** Lines re-run. */
  rerun: number;
  /** Verdicts of the re-run lines. */
  counts: Record<Status, number>;
  /** Re-run lines that still carry an environment failure. */
  stillFailing: number;
  outFile: string;
}

/** The verdict fields a result line adds to its sample; a re-run replaces all of them. */
const VERDICT_FIELDS = ['sample_index', 'passed', 'status', 'detail', 'duration_ms', 'stdout_tail', 'stderr_tail', 'soft', 'environment_failure', 'cases'];

/**
 * Re-run only the result lines whose environment failure is one of `kinds` (after the user
 * installed the missing module, say) and replace them in place: same position, every other
 * line kept byte for byte, written by temporary file and rename. The lines re-run get an
 * environment record of their own in the sidecar, so the file says which lines saw which
 * machine. A line re-run with `soft` in it gets a soft run again.
 */
export async function rerunResults(opts: RerunOptions): Promise<RerunSummary> {
  const file = opts.outFile;
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  const lock = acquireLock(file, { command: 'evaluate --rerun' });
  try {
    const before = statSync(file, { throwIfNoEntry: false });
    if (!before) throw new UserError(`${file}: no such results file`);
    const entries: { line: number; start: number; bytes: number; value: ResultLine }[] = [];
    for await (const e of readJsonl(file, ResultLine, { tornTail: 'error' })) entries.push(e);
    const chosen = entries.filter((e) => {
      const f = e.value.environment_failure;
      return f !== undefined && (opts.kinds as readonly string[]).includes(f.kind);
    });
    const summary: RerunSummary = { total: entries.length, rerun: chosen.length, counts, stillFailing: 0, outFile: file };
    if (!chosen.length) return summary;

    const samples: LoadedSample[] = chosen.map((e) => {
      const task = opts.dataset.byId.get(e.value.task_id);
      if (!task) throw new UserError(`${file}:${e.line}: unknown task_id "${e.value.task_id}" (not in ${opts.dataset.source})`);
      const fields = Object.fromEntries(Object.entries(e.value).filter(([k]) => !VERDICT_FIELDS.includes(k))) as LoadedSample['fields'];
      const program = sampleProgram(task, { solution: e.value.solution, completion: e.value.completion });
      return { line: e.line, fields, task, sampleIndex: e.value.sample_index, program };
    });
    const wantsSoft = chosen.map((e) => 'soft' in e.value);

    const engine = createExecutor({ ...opts, preload: opts.preload ?? preloadFor(samples.map((s) => s.task)) });
    let results: ExecResult[];
    let softResults = new Map<number, ExecResult>();
    const { record, known } = buildEnvironmentRecord({
      dataset: opts.dataset,
      info: engine.info,
      timeout: opts.timeout,
      soft: wantsSoft.some(Boolean),
      tasks: new Set(samples.map((s) => s.task)),
      programs: samples.map((s) => s.program),
      lines: toRanges(chosen.map((e) => e.line)),
    });
    try {
      const limits = opts.timeout === 'auto' ? await autoTimeouts(samples.map((s) => s.task), engine) : undefined;
      const fixed = typeof opts.timeout === 'number' ? opts.timeout : undefined;
      const jobs = samples.map((s) => taskJob(s.task, s.program, { timeoutSec: limits?.get(s.task.id) ?? fixed }));
      const softIndex: number[] = [];
      const all = [...jobs];
      jobs.forEach((j, i) => {
        if (wantsSoft[i]) {
          softIndex.push(i);
          all.push({ ...j, soft: true });
        }
      });
      let done = 0;
      const out = await engine.run(all, () => opts.onProgress?.(++done, all.length));
      results = out.slice(0, jobs.length);
      softResults = new Map(softIndex.map((i, k) => [i, out[jobs.length + k]!]));
    } finally {
      engine.close();
    }

    const replaced = new Map<number, string>();
    samples.forEach((s, i) => {
      const r = results[i]!;
      counts[r.status]++;
      const line = resultLine(s, r, wantsSoft[i] ? (softResults.get(i)?.soft ?? null) : undefined, known);
      if (line.environment_failure) summary.stillFailing++;
      replaced.set(chosen[i]!.line, `${JSON.stringify(line)}\n`);
    });

    // The file must be the one read: anything else writing it meanwhile would be lost.
    const now = statSync(file);
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
      throw new UserError(`${file} changed while its lines were re-run; nothing was written, run --rerun again`);
    }
    const buf = readFileSync(file);
    const chunks: (string | Uint8Array)[] = [];
    let cursor = 0;
    for (const e of entries) {
      const text = replaced.get(e.line);
      if (text === undefined) continue;
      chunks.push(buf.subarray(cursor, e.start), text);
      cursor = e.bytes;
    }
    chunks.push(buf.subarray(cursor));

    // Sidecar first: a stop between the two writes leaves lines that a second --rerun redoes.
    const previous = (() => {
      try {
        return readEnvironmentFile(file);
      } catch {
        return null;
      }
    })();
    const rerunLines = new Set(chosen.map((e) => e.line));
    const older = (previous?.records ?? [])
      .map((r) => ({ ...r, lines: toRanges(fromRanges(r.lines).filter((n) => !rerunLines.has(n))) }))
      .filter((r) => r.lines.length > 0);
    await writeEnvironmentFile(file, [...older, record]);
    await writeFileAtomic(file, chunks);
    return summary;
  } finally {
    lock.release();
  }
}
