import { spawn } from 'node:child_process';

const MAX_OUTPUT = 64 * 1024 * 1024;
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { normaliseCwe } from '../util/cwe.js';
import { BANDIT_RULE_TABLE, banditRuleCwe } from './bandit-cwe.js';
import { SEVERITIES, type Analyzer, type Availability, type Finding, type ProgramAnalysis, type Severity } from './types.js';
import { tempFolderError } from '../io/paths.js';

export interface BanditOptions {
  /** The bandit executable (default: $CODESECEVAL_BANDIT, else `bandit` on PATH). */
  command?: string;
  /** Programs per bandit process: one interpreter start is shared by the whole batch. */
  batchSize?: number;
  /** Bandit processes at once. */
  jobs?: number;
  /** Wall-clock limit of one bandit process, in ms. */
  timeoutMs?: number;
}

const DEFAULTS = { batchSize: 200, jobs: 2, timeoutMs: 300_000 };

/** Bandit's JSON report; only the fields used here are checked, the rest is let through. */
const BanditSeverity = z.string().transform((s, ctx) => {
  const up = s.toUpperCase();
  if ((SEVERITIES as readonly string[]).includes(up)) return up as Severity;
  // "UNDEFINED" exists in Bandit's ranking; an issue carrying it is the lowest there is.
  if (up === 'UNDEFINED') return 'LOW' as Severity;
  ctx.addIssue({ code: 'custom', message: `unknown level "${s}"` });
  return z.NEVER;
});
const BanditReport = z.looseObject({
  errors: z.array(z.looseObject({ filename: z.string(), reason: z.string() })),
  results: z.array(
    z.looseObject({
      filename: z.string(),
      test_id: z.string(),
      issue_severity: BanditSeverity,
      issue_confidence: BanditSeverity,
      issue_text: z.string(),
      line_number: z.number().int(),
      // Bandit ≥ 1.7.3: {id, link}, or {} when the rule has none.
      issue_cwe: z.looseObject({ id: z.number().int().optional() }).optional(),
    }),
  ),
});
type BanditReport = z.infer<typeof BanditReport>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  error: (NodeJS.ErrnoException & { killed?: boolean }) | null;
}

/**
 * Bandit in a process group of its own, like the sandbox workers: a terminal's Ctrl-C reaches
 * only the tool, which then stops in order instead of seeing Bandit die mid-batch.
 */
function run(cmd: string, args: string[], cwd: string | undefined, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let error: Run['error'] = null;
    const timer = setTimeout(() => {
      error = Object.assign(new Error(`${cmd} timed out after ${timeoutMs} ms`), { killed: true });
      child.kill('SIGKILL');
    }, timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        error ??= Object.assign(new Error(`${cmd} printed more than ${MAX_OUTPUT} bytes`), { killed: true });
        child.kill('SIGKILL');
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (e) => {
      error = e;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: error ? null : code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), error });
    });
  });
}

function lastLine(s: string | undefined): string {
  return (s ?? '').trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}

/**
 * File names inside a batch folder come from the program's position alone, never from model
 * output, so nothing a model writes can name, overwrite or escape a file.
 */
function fileName(i: number): string {
  return `p${String(i).padStart(6, '0')}.py`;
}

/** Bandit's CWE when it reports one, else the rule table's. */
function cweOf(rule: string, reported: { id?: number } | undefined): string | null {
  if (reported?.id !== undefined && reported.id > 0) return normaliseCwe(`CWE-${reported.id}`);
  return banditRuleCwe(rule);
}

/**
 * Bandit (https://bandit.readthedocs.io), run as a separate process on files written to a
 * private temporary folder. It parses the code with its own Python's `ast` and never runs it.
 */
export class BanditAnalyzer implements Analyzer {
  readonly name = 'bandit';
  readonly label = 'Bandit';
  readonly install = 'apt-get install bandit';
  readonly ruleTable = BANDIT_RULE_TABLE;
  private readonly command: string;
  private readonly batchSize: number;
  private readonly jobs: number;
  private readonly timeoutMs: number;
  private versionText: Promise<Run> | null = null;

  constructor(opts: BanditOptions = {}) {
    this.command = opts.command ?? (process.env.CODESECEVAL_BANDIT || 'bandit');
    this.batchSize = Math.max(1, opts.batchSize ?? DEFAULTS.batchSize);
    this.jobs = Math.max(1, opts.jobs ?? DEFAULTS.jobs);
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  }

  private probe(): Promise<Run> {
    this.versionText ??= run(this.command, ['--version'], undefined, 30_000);
    return this.versionText;
  }

  async available(): Promise<Availability> {
    const r = await this.probe();
    if (r.error?.code === 'ENOENT') return { ok: false, why: `${this.command} not found (Debian: apt-get install bandit)` };
    if (r.code !== 0) return { ok: false, why: `${this.command} --version failed: ${lastLine(r.stderr) || lastLine(r.error?.message)}` };
    if (!/^bandit\s+\S+/m.test(r.stdout)) return { ok: false, why: `${this.command} --version printed no bandit version` };
    return { ok: true };
  }

  async version(): Promise<string> {
    const a = await this.available();
    if (!a.ok) throw new Error(`bandit is not available: ${a.why}`);
    return /^bandit\s+(\S+)/m.exec((await this.probe()).stdout)![1]!;
  }

  async analyzePrograms(programs: readonly string[]): Promise<ProgramAnalysis[]> {
    const a = await this.available();
    if (!a.ok) throw new Error(`bandit is not available: ${a.why}`);
    const out: ProgramAnalysis[] = new Array(programs.length);
    const starts: number[] = [];
    for (let i = 0; i < programs.length; i += this.batchSize) starts.push(i);
    let next = 0;
    const worker = async () => {
      while (next < starts.length) {
        const start = starts[next++]!;
        const batch = programs.slice(start, start + this.batchSize);
        const got = await this.analyzeBatch(batch);
        got.forEach((g, j) => (out[start + j] = g));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.jobs, starts.length) }, worker));
    return out;
  }

  /**
   * One bandit process over one batch. Should bandit fail on the batch as a whole, each program
   * is analysed alone, so a program that breaks bandit costs only its own result.
   */
  private async analyzeBatch(programs: readonly string[]): Promise<ProgramAnalysis[]> {
    if (!programs.length) return [];
    let dir: string;
    try {
      dir = await mkdtemp(path.join(os.tmpdir(), 'codeseceval-bandit-'));
    } catch (e) {
      throw tempFolderError(e, 'the static analyzer');
    }
    try {
      const names = programs.map((_, i) => fileName(i));
      await Promise.all(programs.map((p, i) => writeFile(path.join(dir, names[i]!), p, 'utf8')));
      const report = await this.runBandit(dir, names);
      if (typeof report === 'string') {
        if (programs.length === 1) return [{ findings: [], error: report }];
        const alone: ProgramAnalysis[] = [];
        for (const p of programs) alone.push(...(await this.analyzeBatch([p])));
        return alone;
      }
      return collect(report, names);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The parsed report, or why there is none. */
  private async runBandit(dir: string, names: string[]): Promise<BanditReport | string> {
    const reportFile = 'bandit-report.json';
    // --ignore-nosec: a `# nosec` comment in model output must not hide a finding.
    // -n 1: the code excerpt is not stored, so keep it short.
    const args = ['-f', 'json', '-q', '--ignore-nosec', '-n', '1', '-o', reportFile, '--', ...names];
    const r = await run(this.command, args, dir, this.timeoutMs);
    if (r.error?.killed) return `bandit timed out after ${Math.round(this.timeoutMs / 1000)} s`;
    // Exit status 1 means "issues found", not a failure.
    if (r.code !== 0 && r.code !== 1) {
      return `bandit failed (exit ${r.code ?? 'signal'}): ${lastLine(r.stderr) || lastLine(r.error?.message)}`;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path.join(dir, reportFile), 'utf8'));
    } catch (e) {
      return `bandit wrote no readable report: ${(e as Error).message}`;
    }
    const parsed = BanditReport.safeParse(raw);
    if (!parsed.success) return `bandit report has an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`;
    return parsed.data;
  }
}

function collect(report: BanditReport, names: string[]): ProgramAnalysis[] {
  const index = new Map(names.map((n, i) => [n, i]));
  const at = (filename: string): number | undefined => index.get(path.basename(filename));
  const out: ProgramAnalysis[] = names.map(() => ({ findings: [], error: null }));
  for (const e of report.errors) {
    const i = at(e.filename);
    if (i !== undefined) out[i]!.error = e.reason;
  }
  for (const r of report.results) {
    const i = at(r.filename);
    if (i === undefined) continue;
    const f: Finding = {
      rule: r.test_id,
      severity: r.issue_severity,
      confidence: r.issue_confidence,
      cwe: cweOf(r.test_id, r.issue_cwe),
      line: r.line_number,
      message: r.issue_text,
    };
    out[i]!.findings.push(f);
  }
  for (const a of out) a.findings.sort((x, y) => x.line - y.line || (x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : 0));
  return out;
}
