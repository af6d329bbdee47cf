import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Benchmark } from '../../../src/core/benchmark.js';
import { UserError } from '../../../src/core/errors.js';
import type { ExecJob, FixtureSet } from '../../../src/core/exec.js';
import { Task, type Dataset } from '../../../src/core/task.js';
import { PAPER_EXPERIMENTS } from '../../../src/core/experiments.js';
import { loadTemplates } from '../../../src/prompts/load.js';
import { missingFields, renderPrompt } from '../../../src/prompts/template.js';

/**
 * What every benchmark must do, whatever its file layout: one suite, run once per entry of
 * BENCHMARKS. `own` is the small data set in this benchmark's layout; `others` are the other
 * benchmarks' data sets, which it must not claim.
 */
/**
 * One small data set per benchmark layout. A new benchmark adds a data set here; which set is
 * whose is found by `recognises`, so nothing else is listed by hand.
 */
export const BENCHMARK_DATA: readonly string[] = ['codeseceval-mini', 'humaneval-mini.jsonl', 'sallm-mini', 'cweval-mini'].map((f) =>
  path.resolve(import.meta.dirname, '..', '..', 'fixtures', f),
);

export interface BenchmarkContractData {
  own: string;
  others: readonly string[];
}

/** A copy of `location` (file or folder) in a fresh temp folder; the copy's path. */
function copyOf(location: string, dirs: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-bench-contract-'));
  dirs.push(dir);
  const target = path.join(dir, path.basename(location));
  cpSync(location, target, { recursive: true });
  return target;
}

/** The data files (JSON or JSON Lines) of a copy, in a fixed order: what can be broken. */
function dataFiles(location: string): string[] {
  if (statSync(location).isFile()) return [location];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.jsonl?$/.test(e.name)) out.push(p);
    }
  };
  walk(location);
  return out;
}

/** Every string value of a record made a number: valid JSON, wrong in a field whatever the schema. */
function spoilRecord(record: unknown): unknown {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return 42;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === 'string' ? 42 : v]));
}

/** The job as bytes a remote executor would receive: fixture contents as text too. */
function serialised(job: ExecJob): string {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return JSON.stringify({ ...job, fixtures: job.fixtures && { id: job.fixtures.id, files: job.fixtures.files.map((f) => ({ path: f.path, data: decoder.decode(f.data) })) } });
}

export function benchmarkContract(name: string, make: () => Benchmark, data: BenchmarkContractData): void {
  describe(`benchmark contract: ${name}`, () => {
    const bench = make();
    const temps: string[] = [];
    afterAll(() => {
      for (const d of temps) rmSync(d, { recursive: true, force: true });
    });
    let loaded: Dataset | undefined;
    const dataset = (): Dataset => (loaded ??= bench.load(data.own));

    it('recognises its own layout and none of the others’', () => {
      expect(bench.kind).toBe(name);
      expect(bench.description).toMatch(/\S/);
      expect(bench.description).not.toContain('\n');
      expect(bench.recognises(data.own)).toBe(true);
      expect(data.others.length).toBeGreaterThan(0);
      for (const other of data.others) expect(bench.recognises(other), other).toBe(false);
    });

    it('loads tasks that fit the core Task schema, with unique IDs and a consistent byId', () => {
      const ds = dataset();
      expect(ds.kind).toBe(bench.kind);
      expect(ds.source).toBe(data.own);
      expect(ds.tasks.length).toBeGreaterThan(0);
      for (const t of ds.tasks) {
        const parsed = Task.safeParse(t);
        expect(parsed.success, `${t.id}: ${parsed.error?.message}`).toBe(true);
        // The sandbox creates Test/<fixtureName>/: it must be one plain path segment.
        expect(t.fixtureName).not.toMatch(/[/\\\0]/);
        expect(['.', '..']).not.toContain(t.fixtureName);
        expect(t.entryPoint).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        // How jobs and programs find the benchmark a task came from.
        expect(bench.subsets).toContain(t.subset);
      }
      const ids = ds.tasks.map((t) => t.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ds.byId.keys()].sort()).toEqual([...ids].sort());
      for (const t of ds.tasks) expect(ds.byId.get(t.id)).toBe(t);
    });

    it('names its label, subsets and aliases, and every file its content depends on', () => {
      expect(bench.label).toMatch(/^\S.*$/);
      expect(bench.datasetEnv).toMatch(/^CODESECEVAL_[A-Z_]+$/);
      for (const [alias, subset] of Object.entries(bench.subsetAliases)) {
        expect(alias, alias).toBe(alias.toLowerCase());
        expect(bench.subsets).toContain(subset);
      }
      for (const mod of Object.values(bench.modules)) expect(mod.probe).toMatch(/\S/);
      const ds = dataset();
      const { root, files } = bench.dataFiles(ds.source);
      expect(files.length).toBeGreaterThan(0);
      expect([...files].sort()).toEqual(files);
      for (const f of files) expect(statSync(path.join(root, f)).isFile(), f).toBe(true);
      // Any file a job's fixtures come from is part of the content hash.
      for (const t of ds.tasks) {
        if (!t.fixtureDir) continue;
        for (const fx of bench.fixtures(t)?.files ?? []) {
          const rel = path.relative(root, path.join(t.fixtureDir, fx.path)).split(path.sep).join('/');
          expect(files, `${t.id}: ${rel}`).toContain(rel);
        }
      }
    });

    it('gives fixtures as content: relative paths inside the set, an ID that follows the content', () => {
      const ds = dataset();
      const sets = ds.tasks.map((t) => bench.fixtures(t));
      for (const [i, set] of sets.entries()) {
        if (set === null) continue;
        expect(set.id, ds.tasks[i]!.id).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(set.files.length).toBeGreaterThan(0);
        const paths = set.files.map((f) => f.path);
        expect(new Set(paths).size).toBe(paths.length);
        for (const f of set.files) {
          expect(path.isAbsolute(f.path), f.path).toBe(false);
          expect(f.path.split(/[/\\]/), f.path).not.toContain('..');
          expect(f.path.split(/[/\\]/), f.path).not.toContain('');
          expect(f.data).toBeInstanceOf(Uint8Array);
        }
      }
      // The same content elsewhere on disk has the same IDs and bytes; changed content does not.
      const copy = copyOf(data.own, temps);
      const again = bench.load(copy);
      expect(again.tasks.map((t) => t.id)).toEqual(ds.tasks.map((t) => t.id));
      const strip = (s: FixtureSet | null) => s && { id: s.id, files: s.files.map((f) => ({ path: f.path, data: Buffer.from(f.data).toString('base64') })) };
      again.tasks.forEach((t, i) => expect(strip(bench.fixtures(t)), t.id).toEqual(strip(sets[i]!)));
      const withFixtures = again.tasks.findIndex((t) => bench.fixtures(t) !== null);
      if (withFixtures >= 0) {
        const t = again.tasks[withFixtures]!;
        const first = bench.fixtures(t)!.files[0]!.path;
        // Found through a fresh load, so no cache of the first load can answer.
        const changed = copyOf(data.own, temps);
        const reloaded = bench.load(changed);
        const dir = reloaded.tasks[withFixtures]!.fixtureDir;
        expect(dir).not.toBeNull();
        writeFileSync(path.join(dir!, first), 'changed content');
        const set = bench.fixtures(reloaded.tasks[withFixtures]!)!;
        expect(set.id).not.toBe(sets[withFixtures]!.id);
        expect(Buffer.from(set.files.find((f) => f.path === first)!.data).toString()).toBe('changed content');
      }
    });

    it('makes a solution the program as it is, and a completion the Problem followed by it', () => {
      for (const t of dataset().tasks) {
        const solution = `def ${t.entryPoint}(*a):\n    return None\n`;
        expect(bench.program(t, { solution })).toBe(solution);
        expect(bench.program(t, { completion: '    return 1\n' })).toBe(t.problem + '    return 1\n');
        expect(bench.program(t, { completion: '' })).toBe(t.problem);
      }
    });

    it('has prompt templates of its own only as <experiment>.<style>.txt files that render for every task', () => {
      if (bench.prompts === undefined) return;
      const files = readdirSync(bench.prompts);
      expect(files.length, `${bench.prompts} is empty`).toBeGreaterThan(0);
      for (const file of files) {
        const m = /^(.+)\.(chat|completion)\.txt$/.exec(file);
        expect(m, file).not.toBeNull();
        expect(PAPER_EXPERIMENTS, file).toContain(m![1]);
        const t = loadTemplates([m![1]!], m![2] as 'chat' | 'completion', undefined, { name: bench.kind, dir: bench.prompts }).get(m![1]!)!;
        expect(t.name).toBe(`${bench.kind}/${m![1]}.${m![2]}`);
        for (const task of dataset().tasks) {
          if (missingFields(t, task).length) continue;
          const p = renderPrompt(t, task);
          expect(p.style === 'chat' ? p.user : p.text, task.id).toBeTruthy();
        }
      }
    });

    it('assembles a job from the task’s test with its fixtures as content, and no host path in it', () => {
      const ds = dataset();
      const hostPaths = [data.own, path.dirname(data.own), ...ds.tasks.flatMap((t) => (t.fixtureDir ? [t.fixtureDir] : []))];
      for (const t of ds.tasks) {
        const program = `${t.secureCode}\n# sample for ${t.id}\n`;
        const job = bench.job(t, program);
        expect(job).toMatchObject({ program, test: t.test, fixtureName: t.fixtureName });
        if (bench.protocol === 'check') {
          expect(job).toMatchObject({ entryPoint: t.entryPoint });
          expect(job.harness ?? 'check').toBe('check');
        } else {
          // The test file imports the program as the task's module.
          expect(job).toMatchObject({ harness: 'test-file', framework: bench.protocol, module: t.module });
          expect(job.harness === 'test-file' && /^[A-Za-z_]\w*\.py$/.test(job.testFile)).toBe(true);
        }
        expect(job.timeoutSec).toBeUndefined();
        expect(job.soft ?? false).toBe(false);
        const fx = bench.fixtures(t);
        expect(job.fixtures === null ? null : job.fixtures.id).toBe(fx === null ? null : fx.id);
        const text = serialised(job);
        for (const p of hostPaths) expect(text.includes(p), `${t.id}: job carries ${p}`).toBe(false);
        // Soft asserts rewrite a check() function; a test file has its own assertions.
        expect(bench.job(t, program, { timeoutSec: 3, soft: true })).toMatchObject({ timeoutSec: 3, ...(bench.protocol === 'check' ? { soft: true } : {}) });
      }
    });

    it('refuses a file cut short with one UserError line naming the file', () => {
      const copy = copyOf(data.own, temps);
      const files = dataFiles(copy);
      // CWEval's data is Python files only: its own tests refuse a task file without its marker.
      if (bench.kind !== 'cweval') expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const original = readFileSync(file, 'utf8');
        writeFileSync(file, original.slice(0, Math.floor(original.length / 2)));
        let err: unknown;
        try {
          bench.load(copy);
        } catch (e) {
          err = e;
        }
        expect(err, file).toBeInstanceOf(UserError);
        expect((err as Error).message).toContain(file);
        expect((err as Error).message).not.toContain('\n');
        writeFileSync(file, original);
      }
    });

    it('refuses a record with wrongly typed fields with one UserError line naming the file', () => {
      const copy = copyOf(data.own, temps);
      for (const file of dataFiles(copy)) {
        const original = readFileSync(file, 'utf8');
        let spoiled: string;
        if (file.endsWith('.jsonl')) {
          const lines = original.split('\n');
          const i = lines.findIndex((l) => l.trim());
          lines[i] = JSON.stringify(spoilRecord(JSON.parse(lines[i]!)));
          spoiled = lines.join('\n');
        } else {
          const records = JSON.parse(original) as unknown[];
          spoiled = JSON.stringify([spoilRecord(records[0]), ...records.slice(1)]);
        }
        writeFileSync(file, spoiled);
        let err: unknown;
        try {
          bench.load(copy);
        } catch (e) {
          err = e;
        }
        expect(err, file).toBeInstanceOf(UserError);
        expect((err as Error).message).toContain(file);
        expect((err as Error).message).not.toContain('\n');
        writeFileSync(file, original);
      }
    });
  });
}
