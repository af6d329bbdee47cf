import { detectCgroups, type CgroupSupport } from '../sandbox/cgroups.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { KNOWN_MODULES, type ModuleSource, datasetImports } from '../dataset/imports.js';
import { fetchedDir, findBenchmark, loadDataset } from '../benchmarks/index.js';
import { locateDataset } from '../dataset/locate.js';
import { describeProblems, verifyTree } from '../benchmarks/fetch/manifest.js';
import { packageFile } from '../io/paths.js';
import { MIN_PYTHON, type PythonInfo, choosePython, probePython, versionAtLeast } from './python.js';
import { checkBwrap, checkNode } from './system.js';
import { checkAnalyzers } from './analyzers.js';
import { UserError } from '../core/errors.js';
import type { Dataset } from '../core/task.js';

import type { CheckLevel, CheckResult } from './check.js';

export type { CheckLevel, CheckResult };

export type ModuleStatus = 'ok' | 'shim' | 'missing' | 'unchecked';

export interface ModuleCheck {
  /** Top-level module name as imported. */
  module: string;
  /** What was imported to test it. */
  probe: string;
  status: ModuleStatus;
  /** Null when the interpreter could not be asked. */
  stdlib: boolean | null;
  error: string | null;
  debian: string | null;
  pip: string | null;
  /** Tasks importing it (0 when checked from the known list, without a dataset). */
  usedBy: number;
}

export interface InstallPlan {
  apt: string[];
  pip: string[];
  /** One line to paste, or null when apt has nothing to add. */
  aptCommand: string | null;
  pipCommand: string | null;
  notes: string[];
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
  python: PythonInfo | null;
  /** Where the module list came from. */
  moduleSource: 'dataset' | 'known-list';
  modules: ModuleCheck[];
  install: InstallPlan;
}

export interface DoctorOptions {
  python?: string;
  /** Dataset location as for other commands (--dataset, then $CODESECEVAL_DATASET, then the cache). */
  dataset?: string;
  bwrap?: string;
  /** Whole-sample limits as detected (tests); default: detected on this machine. */
  cgroups?: CgroupSupport;
  /** Folder holding the sandbox's module stand-ins. */
  shimDir?: string;
  /** Whether `apt-get` would run as root (decides the `sudo` in the printed line). */
  isRoot?: boolean;
}

interface WantedModule {
  module: string;
  probe: string;
  usedBy: number;
}

/** Everything the evaluation needs from this machine, checked for real. */
export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const checks: CheckResult[] = [];

  const node = checkNode();
  checks.push({ name: 'node', label: 'Node.js', level: node.ok ? 'ok' : 'fail', detail: node.detail, hint: node.hint });

  const { check: datasetCheck, dataset } = await checkDataset(opts.dataset);
  const wanted = wantedModules(dataset);

  // Started now so their interpreter starts overlap the other probes.
  const analyzers = checkAnalyzers();
  const pythonPath = choosePython(opts.python);
  const [probe, bwrap] = await Promise.all([
    probePython(pythonPath, wanted.map((w) => [w.module, w.probe])),
    checkBwrap(opts.bwrap),
  ]);

  let python: PythonInfo | null = null;
  if (!probe.ok) {
    checks.push({ name: 'python', label: 'Python', level: 'fail', detail: `${pythonPath} is not a usable Python 3 interpreter: ${probe.error}`, hint: 'choose one with --python or $CODESECEVAL_PYTHON' });
  } else {
    python = probe.info;
    const oldEnough = versionAtLeast(python.version, MIN_PYTHON);
    const where = python.inVirtualenv ? 'virtualenv' : python.seesDebianPackages ? "sees Debian's python3-* packages" : "does not see Debian's python3-* packages";
    checks.push({
      name: 'python',
      label: 'Python',
      level: oldEnough ? 'ok' : 'fail',
      detail: `Python ${python.version} at ${python.path} (${where})${oldEnough ? '' : `: ${MIN_PYTHON.join('.')} or newer is needed`}`,
    });
  }
  checks.push({ name: 'bwrap', label: 'bubblewrap', level: bwrap.ok ? 'ok' : 'fail', detail: bwrap.detail, hint: bwrap.hint });
  checks.push(checkSampleLimits(opts.cgroups ?? detectCgroups()));
  checks.push(datasetCheck);
  checks.push(...(await analyzers));

  const shimDir = opts.shimDir ?? packageFile('sandbox', 'python', 'shims');
  const modules = wanted.map((w): ModuleCheck => {
    const src: ModuleSource | undefined = KNOWN_MODULES[w.module];
    const base = { module: w.module, probe: w.probe, usedBy: w.usedBy, debian: src?.debian ?? null };
    const got = probe.ok ? probe.modules.get(w.module) : undefined;
    if (!got) return { ...base, status: 'unchecked', stdlib: null, error: null, pip: src?.pip ?? null };
    const pip = got.stdlib && !src ? null : (src?.pip ?? w.module);
    if (got.ok) return { ...base, status: 'ok', stdlib: got.stdlib, error: null, pip };
    const shimmed = src?.shim === true && existsSync(path.join(shimDir, w.module));
    return { ...base, status: shimmed ? 'shim' : 'missing', stdlib: got.stdlib, error: got.error, pip };
  });

  const install = planInstall({ python, pythonPath, bwrapPackage: bwrap.ok ? undefined : bwrap.debian, modules, isRoot: opts.isRoot ?? isRoot() });
  const ok = checks.every((c) => c.level !== 'fail') && modules.every((m) => m.status === 'ok' || m.status === 'shim');
  return { ok, checks, python, moduleSource: dataset ? 'dataset' : 'known-list', modules, install };
}

function wantedModules(dataset: Dataset | null): WantedModule[] {
  if (!dataset) {
    return Object.entries(KNOWN_MODULES).map(([module, src]) => ({ module, probe: src.probe, usedBy: 0 }));
  }
  return datasetImports(dataset).map((u) => ({ module: u.module, probe: KNOWN_MODULES[u.module]?.probe ?? u.module, usedBy: u.tasks.length }));
}

async function checkDataset(flag?: string): Promise<{ check: CheckResult; dataset: Dataset | null }> {
  let where: string;
  try {
    where = locateDataset(flag);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return {
      check: { name: 'dataset', label: 'dataset', level: 'warn', detail: 'no dataset found; checked the modules the pinned CodeSecEval data is known to import', hint: 'run `codeseceval dataset fetch`' },
      dataset: null,
    };
  }
  let dataset: Dataset;
  try {
    dataset = loadDataset(where);
  } catch (e) {
    return { check: { name: 'dataset', label: 'dataset', level: 'fail', detail: (e as Error).message }, dataset: null };
  }
  let detail = `${dataset.kind}, ${dataset.tasks.length} tasks at ${dataset.source}`;
  const bench = findBenchmark(dataset.kind);
  if (bench?.fetch && path.resolve(where) === path.resolve(fetchedDir(bench.kind))) {
    const problems = await verifyTree(where, bench.fetch.manifest);
    if (problems.length) {
      return {
        check: { name: 'dataset', label: 'dataset', level: 'fail', detail: `${detail}: fails verification: ${describeProblems(problems)}`, hint: `run \`codeseceval dataset fetch ${bench.kind} --force\`` },
        dataset,
      };
    }
    detail += ' (matches the pinned manifest)';
  }
  return { check: { name: 'dataset', label: 'dataset', level: 'ok', detail }, dataset };
}

interface PlanInput {
  python: PythonInfo | null;
  pythonPath: string;
  bwrapPackage?: string;
  modules: ModuleCheck[];
  isRoot: boolean;
}

/**
 * What to install, as one apt-get line and one pip line. Debian's python3-* packages only
 * help an interpreter that has Debian's dist-packages on its path, so for a virtualenv or a
 * home-built Python every module goes to the pip line (run with that interpreter).
 */
export function planInstall(p: PlanInput): InstallPlan {
  const apt = new Set<string>();
  const pip = new Set<string>();
  const notes: string[] = [];
  if (p.bwrapPackage) apt.add(p.bwrapPackage);

  const unusable = p.python === null;
  if (unusable) apt.add('python3');
  const aptReaches = unusable ? true : p.python!.seesDebianPackages;

  for (const m of p.modules) {
    if (m.status === 'ok' || m.status === 'shim') continue;
    if (m.status === 'unchecked') {
      // Nothing is known about an interpreter that does not run: suggest Debian's python3
      // with the packages the data needs, and leave shimmed or stdlib modules alone.
      if (m.debian) apt.add(m.debian);
      continue;
    }
    if (m.stdlib === true && !KNOWN_MODULES[m.module]) {
      notes.push(`${m.module} is part of Python's standard library but cannot be imported by ${p.pythonPath} (${m.error ?? 'missing'}): use another build, e.g. Debian's /usr/bin/python3`);
      continue;
    }
    if (m.debian && aptReaches) apt.add(m.debian);
    else if (m.pip) pip.add(m.pip);
    if (!KNOWN_MODULES[m.module] && m.stdlib === false) notes.push(`${m.module}: no known package; guessed the pip name "${m.module}"`);
  }
  if (!unusable && !aptReaches && p.modules.some((m) => m.status === 'missing' && m.debian)) {
    notes.push(`Debian's python3-* packages do not reach ${p.pythonPath} (not on its sys.path); install with pip into it, or use /usr/bin/python3`);
  }

  const aptList = [...apt].sort();
  const pipList = [...pip].sort();
  const pythonCmd = unusable ? 'python3' : p.pythonPath;
  return {
    apt: aptList,
    pip: pipList,
    aptCommand: aptList.length ? `${p.isRoot ? '' : 'sudo '}apt-get install -y ${aptList.join(' ')}` : null,
    pipCommand: pipList.length ? `${pythonCmd} -m pip install ${pipList.join(' ')}` : null,
    notes,
  };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Whether samples are bounded as a whole (cgroups) or per process only. */
export function checkSampleLimits(support: CgroupSupport): CheckResult {
  if (support.available) {
    return { name: 'limits', label: 'sample limits', level: 'ok', detail: `each sample bounded as a whole (cgroup ${support.version}: memory incl. its files, processes)` };
  }
  return {
    name: 'limits',
    label: 'sample limits',
    level: 'warn',
    detail: `per process only: ${support.reason}`,
    hint: 'run evaluations as root (or in a container with cgroups delegated) to bound each sample as a whole',
  };
}
