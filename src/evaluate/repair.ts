/**
 * `codeseceval repair FILE`: what a good line of a results file or a samples file is, for
 * the I/O layer's repair (src/io/repair.ts). The rules are the ones the readers apply, so a
 * repaired file is one `evaluate`, `generate`, `report` and `view` accept and resume:
 *
 * - results: the results contract, `passed` agreeing with `status` (score/accept.ts, with
 *   tasks outside any dataset allowed: repair reads no dataset), each sample once;
 * - samples: the samples contract, each sample once (the key `evaluate` uses); in a file
 *   written by `generate` every line also carries generate's key fields.
 *
 * Of two lines for one sample the first is kept: the resume never sees the second.
 */
import { z } from 'zod';
import { DatasetError, UserError } from '../core/errors.js';
import { ResultLine } from '../core/result.js';
import { SampleKeyLine, SampleLine } from '../core/sample.js';
import type { Dataset } from '../core/task.js';
import { issueLine } from '../io/errors.js';
import { scanJsonl } from '../io/jsonl.js';
import { checkInputFile } from '../io/paths.js';
import { repairJsonl, type RepairCheck, type RepairReport } from '../io/repair.js';
import { acceptResultLine, SampleRegister } from '../score/accept.js';
import { fallbackModel } from '../score/tally.js';
import { resultKey } from './samples.js';

export type RepairKind = 'results' | 'samples';

const NO_TASKS: Dataset = { kind: 'none', source: '(no dataset)', tasks: [], byId: new Map() };

/** `line N: …` → `…` (the rejected file has the line number in a field of its own). */
function reasonOf(e: DatasetError, line: number): string {
  const where = `line ${line}: `;
  return e.message.startsWith(where) ? e.message.slice(where.length) : e.message;
}

export function resultsCheck(file: string): RepairCheck<ResultLine> {
  const register = new SampleRegister();
  const fallback = fallbackModel(file);
  return {
    schema: ResultLine,
    judge(r, line) {
      const origin = { file, fallbackModel: fallback, where: `line ${line}` };
      try {
        const accepted = acceptResultLine(r, origin, NO_TASKS, { allowUnknownTasks: true });
        register.claim(r, accepted, origin);
        return null;
      } catch (e) {
        if (e instanceof DatasetError) return reasonOf(e, line);
        throw e;
      }
    },
  };
}

export function samplesCheck(): RepairCheck<SampleLine> {
  const firstLine = new Map<string, number>();
  const counters = new Map<string, number>();
  let generated: boolean | null = null;
  return {
    schema: SampleLine,
    judge(s, line) {
      // The first good line says whose file it is: generate's lines carry its key fields.
      const keyed = SampleKeyLine.safeParse(s);
      generated ??= keyed.success;
      if (generated && !keyed.success) return issueLine('', keyed.error).replace(/^: /, '') + ' (a line of generate)';
      // As `evaluate` numbers them: a given index, else the count of this task's lines so far.
      const counted = counters.get(s.task_id) ?? 0;
      const given = s['sample_index'];
      const index = typeof given === 'number' && Number.isInteger(given) && given >= 0 ? given : counted;
      const key = resultKey(s, index);
      const first = firstLine.get(key);
      if (first !== undefined) return `repeats sample ${s.task_id} #${index} (first at line ${first})`;
      counters.set(s.task_id, counted + 1);
      firstLine.set(key, line);
      return null;
    },
  };
}

const Probe = z.unknown();

/** A results file's lines have `passed` and `status`; a samples file's do not. */
export async function detectKind(file: string): Promise<RepairKind> {
  checkInputFile(file);
  for await (const entry of scanJsonl(file, Probe, { tornTail: 'parse', invalid: 'report' })) {
    if (entry.kind !== 'value') continue;
    const v = entry.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    return 'passed' in v && 'status' in v ? 'results' : 'samples';
  }
  throw new UserError(`${file}: no line is a JSON object, so it is neither a results nor a samples file; nothing to repair`);
}

export type RepairOutcome = RepairReport & { kind: RepairKind };

export async function repairFile(file: string, kind?: RepairKind, opts: { force?: boolean } = {}): Promise<RepairOutcome> {
  const k = kind ?? (await detectKind(file));
  const o = { ...opts, kind: `a ${k} file${kind ? '' : ' (told from its first line; --kind says otherwise)'}` };
  const report = k === 'results' ? await repairJsonl(file, resultsCheck(file), o) : await repairJsonl(file, samplesCheck(), o);
  return { ...report, kind: k };
}
