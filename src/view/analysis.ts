import { statSync } from 'node:fs';
import path from 'node:path';
import { readAnalysisFile, sampleKey, sha256, type AnalysisFile, type ResultLine, type Task } from './sources.js';

/**
 * The static-analysis file `run --analyze` writes beside the results (`analysis.jsonl`), read
 * once per change of the file and shared by every sample page of that run folder.
 */
const cache = new Map<string, { stamp: string; file: Promise<AnalysisFile | null> }>();

export function analysisFileOf(dir: string): string {
  return path.join(dir, 'analysis.jsonl');
}

function stampOf(file: string): string | null {
  try {
    const st = statSync(file);
    return st.isFile() ? `${st.size}:${st.mtimeMs}` : null;
  } catch {
    return null;
  }
}

/** The run folder's analysis, or null when there is none or it cannot be read (shown without findings). */
export function loadAnalysis(dir: string): Promise<AnalysisFile | null> {
  const file = analysisFileOf(dir);
  const stamp = stampOf(file);
  if (stamp === null) return Promise.resolve(null);
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp) return hit.file;
  const loaded = readAnalysisFile(file).catch(() => null);
  cache.set(file, { stamp, file: loaded });
  return loaded;
}

/**
 * The analyzer's findings on one sample's program, or why there are none. Joined only when the
 * program is the one analysed (same SHA-256), never to a program that changed since.
 */
export function sampleFindings(analysis: AnalysisFile | null, line: ResultLine, model: string, experiment: string, task: Task) {
  if (!analysis) return null;
  const a = analysis.samples.get(sampleKey(line.task_id, experiment, model, line.sample_index));
  const analyzer = analysis.header.analyzer;
  if (!a) return { analyzer, note: 'not analysed', findings: [] };
  const program = line.solution ?? task.problem + (line.completion ?? '');
  if (sha256(program) !== a.program_sha256) return { analyzer, note: 'the program changed since it was analysed', findings: [] };
  if (a.error !== null) return { analyzer, note: `the analyzer could not read it: ${a.error}`, findings: [] };
  return {
    analyzer,
    note: null,
    findings: a.findings.map((f) => ({ line: f.line, rule: f.rule, severity: f.severity, confidence: f.confidence, cwe: f.cwe, message: f.message })),
  };
}
