import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseShardFile, UserError } from './sources.js';

/** The files of one run the viewer reads: a run folder, or a results file given on its own. */
export interface SourceSpec {
  /** Short, stable name used in URLs (the folder name), unique among the sources. */
  label: string;
  dir: string;
  results: string;
  /** Present for run folders: counted to show how far a run in progress has come. */
  samples: string | null;
  validation: string | null;
  /** Report files `codeseceval run` wrote beside the results, offered for download. */
  extras: string[];
  /**
   * Results in shard files (`--shard`, `--slurm`), read as the one file `results` they make
   * up: the files given on the command line, or (null) every shard file of `results` in its
   * folder, looked for again at each refresh, while `results` itself does not exist.
   */
  shards: { given: string[] | null } | null;
}

/** A folder holding run folders (`runs/`): rescanned, so runs started later show up. */
export interface ParentSpec {
  dir: string;
}

export interface Inputs {
  sources: SourceSpec[];
  parents: ParentSpec[];
}

export const RUN_FILES = ['results.jsonl', 'samples.jsonl', 'validation.json'] as const;
const EXTRA_FILES = ['report.html', 'report.md', 'report.json'];

export function isRunFolder(dir: string): boolean {
  return RUN_FILES.some((f) => existsSync(path.join(dir, f))) || shardFilesIn(path.join(dir, 'results.jsonl')).length > 0;
}

/** The entries of a folder; none when it cannot be read (gone, or not a folder). */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The shard files of `whole` in its folder (`results.shard-I-of-N.jsonl` for `results.jsonl`), in name order. */
export function shardFilesIn(whole: string): string[] {
  const dir = path.dirname(whole);
  return namesIn(dir)
    .filter((n) => n.includes('.shard-') && parseShardFile(path.join(dir, n))?.whole === whole)
    .sort()
    .map((n) => path.join(dir, n));
}

/** The results files a source reads now: the shard files while there is no merged file, else the one file. */
export function resultParts(spec: SourceSpec): string[] {
  if (!spec.shards) return [spec.results];
  if (spec.shards.given) return spec.shards.given;
  return existsSync(spec.results) ? [spec.results] : shardFilesIn(spec.results);
}

export function runFolderSpec(dir: string, label: string): SourceSpec {
  const abs = path.resolve(dir);
  return {
    label,
    dir: abs,
    results: path.join(abs, 'results.jsonl'),
    samples: path.join(abs, 'samples.jsonl'),
    validation: path.join(abs, 'validation.json'),
    extras: EXTRA_FILES.map((f) => path.join(abs, f)),
    shards: { given: null },
  };
}

function fileSpec(file: string, label: string): SourceSpec {
  // A file the user names is theirs to link; its target is read (files in a run folder are not followed).
  let abs = path.resolve(file);
  try {
    abs = realpathSync(abs);
  } catch {
    // Missing: reported when read.
  }
  const dir = path.dirname(abs);
  const beside = (name: string) => path.join(dir, name);
  const isRunResults = path.basename(abs) === 'results.jsonl';
  return {
    label,
    dir,
    results: abs,
    samples: isRunResults ? beside('samples.jsonl') : null,
    // A validation file beside a results file describes the same tasks; use it when there.
    validation: beside('validation.json'),
    extras: isRunResults ? EXTRA_FILES.map(beside) : [],
    shards: null,
  };
}

/** Shard files given on the command line, as one source: the results file they make up, read from them. */
function shardsSpec(files: string[], whole: string, label: string): SourceSpec {
  return { ...fileSpec(whole, label), results: whole, shards: { given: files } };
}

/** Run folders directly inside a parent folder, in name order. */
export function childRunFolders(parent: string): string[] {
  return namesIn(parent)
    .sort()
    .map((n) => path.join(parent, n))
    .filter((p) => {
      try {
        return statSync(p).isDirectory() && isRunFolder(p);
      } catch {
        return false;
      }
    });
}

/** Labels are names in URLs: the folder name, or the file name, made unique with a suffix. */
export class Labeller {
  private used = new Set<string>();
  take(wanted: string): string {
    const base = wanted.replace(/[^\w.+@-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
    let label = base;
    for (let i = 2; this.used.has(label); i++) label = `${base}-${i}`;
    this.used.add(label);
    return label;
  }
}

/**
 * What the command line names: run folders, results files, or folders of run folders.
 * No argument means every run folder under `runs/` (the default of `codeseceval run`).
 */
export function resolveInputs(args: readonly string[], labeller: Labeller, cwd = process.cwd()): Inputs {
  const given = args.length ? args : ['runs'];
  const out: Inputs = { sources: [], parents: [] };
  // Shard files of one results file are one source, where the first of them was named.
  const groups = new Map<string, string[]>();
  for (const arg of given) {
    const p = path.resolve(cwd, arg);
    const shard = parseShardFile(p);
    if (shard && existsSync(p) && statSync(p).isFile()) {
      const files = groups.get(shard.whole);
      if (files) {
        files.push(p);
        continue;
      }
      const group = [p];
      groups.set(shard.whole, group);
      const base = path.basename(shard.whole);
      out.sources.push(shardsSpec(group, shard.whole, labeller.take(base === 'results.jsonl' ? path.basename(path.dirname(shard.whole)) : base.replace(/\.jsonl?$/i, ''))));
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UserError(
        args.length
          ? `${arg}: no such file or folder`
          : 'no runs/ folder here: pass run folders or results files (codeseceval view RUN_DIR ...), or make a run with `codeseceval run`',
      );
    }
    if (st.isFile()) {
      const label = path.basename(p) === 'results.jsonl' ? path.basename(path.dirname(p)) : path.basename(p).replace(/\.jsonl?$/i, '');
      out.sources.push(fileSpec(p, labeller.take(label)));
    } else if (isRunFolder(p)) {
      out.sources.push(runFolderSpec(p, labeller.take(path.basename(p))));
    } else {
      out.parents.push({ dir: p });
      for (const child of childRunFolders(p)) out.sources.push(runFolderSpec(child, labeller.take(path.basename(child))));
    }
  }
  return out;
}
