import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Whole-sample limits: one cgroup per sandbox worker, which the runner's child joins before
 * any candidate code runs, so a sample's processes, its threads and the files it writes to
 * its in-memory /tmp and workspace share one memory limit (`--memory`) and one task limit
 * (`--max-procs`), however many processes it forks.
 *
 * cgroup v2 (one hierarchy) where it is mounted; v1 otherwise, with the `memory` and `pids`
 * hierarchies. Creating cgroups needs root: without it the engine says so once and only the
 * per-process limits apply (recorded in the environment record).
 */

export type CgroupVersion = 'v1' | 'v2';

export type CgroupSupport =
  | { available: true; version: CgroupVersion; parents: string[] }
  | { available: false; reason: string };

export interface CgroupLimits {
  memoryMb: number;
  maxProcs: number;
}

const DEFAULT_ROOT = '/sys/fs/cgroup';
/** Folder name prefix of every cgroup we make: `codeseceval-<pid>-<n>`. */
const PREFIX = 'codeseceval-';

/** This process's cgroup path per v1 controller (and '' for v2), from /proc/self/cgroup. */
function ownCgroups(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const controller of m[1]!.split(',')) out.set(controller, m[2]!);
  }
  return out;
}

/**
 * Where this process may make sample cgroups, or why it cannot. Under v1 they nest inside the
 * process's own cgroups (a Slurm job's or a container's limits still hold); under v2 they go
 * under the root, since a cgroup holding processes cannot also hand controllers to children.
 */
export function detectCgroups(root = DEFAULT_ROOT, self = '/proc/self/cgroup'): CgroupSupport {
  if (process.getuid?.() !== 0) return { available: false, reason: 'whole-sample limits need root (cgroups); only per-process limits apply' };
  if (existsSync(path.join(root, 'cgroup.controllers'))) {
    const controllers = readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
    const missing = ['memory', 'pids'].filter((c) => !controllers.includes(c));
    if (missing.length) return { available: false, reason: `cgroup v2 has no ${missing.join(', ')} controller` };
    if (!isWritableDir(root)) return { available: false, reason: `cgroup v2 at ${root} is read-only (a container without delegated cgroups?)` };
    return { available: true, version: 'v2', parents: [root] };
  }
  const own = ownCgroups(existsSync(self) ? readFileSync(self, 'utf8') : '');
  const parents: string[] = [];
  for (const controller of ['memory', 'pids']) {
    const mount = path.join(root, controller);
    if (!existsSync(path.join(mount, 'cgroup.procs'))) return { available: false, reason: `no cgroup v1 ${controller} hierarchy at ${mount}` };
    const parent = path.join(mount, own.get(controller) ?? '/');
    // A container without a cgroup namespace of its own sees its host path in
    // /proc/self/cgroup but has only its own cgroup mounted, and read-only.
    if (!isWritableDir(parent)) return { available: false, reason: `this process's cgroup ${parent} is missing or read-only (a container without delegated cgroups?)` };
    parents.push(parent);
  }
  return { available: true, version: 'v1', parents };
}

function isWritableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

let engines = 0;

/** The cgroups of one engine: one per worker slot, under `codeseceval-<pid>-<n>` folders. */
export class SampleCgroups {
  private readonly bases: string[];
  private readonly made = new Map<number, string[]>();

  constructor(
    private readonly support: Extract<CgroupSupport, { available: true }>,
    private readonly limits: CgroupLimits,
  ) {
    removeStaleCgroups(support.parents);
    const name = `${PREFIX}${process.pid}-${engines++}`;
    this.bases = support.parents.map((p) => path.join(p, name));
    for (const base of this.bases) mkdirSync(base, { recursive: true });
    if (support.version === 'v2') enableControllers(this.support.parents[0]!, this.bases[0]!);
  }

  get version(): CgroupVersion {
    return this.support.version;
  }

  /** The slot's cgroup folders (host paths), made and limited on first use. */
  forSlot(slot: number): string[] {
    const existing = this.made.get(slot);
    if (existing) return existing;
    const dirs = this.bases.map((b) => path.join(b, `w${slot}`));
    for (const dir of dirs) {
      if (!existsSync(dir)) mkdirSync(dir);
    }
    const mem = String(this.limits.memoryMb * 1024 * 1024);
    const procs = String(this.limits.maxProcs);
    if (this.support.version === 'v2') {
      const [dir] = dirs as [string];
      writeFileSync(path.join(dir, 'memory.max'), mem);
      if (existsSync(path.join(dir, 'memory.swap.max'))) writeFileSync(path.join(dir, 'memory.swap.max'), '0');
      writeFileSync(path.join(dir, 'pids.max'), procs);
    } else {
      const [memory, pids] = dirs as [string, string];
      writeFileSync(path.join(memory, 'memory.limit_in_bytes'), mem);
      // Swap would let a sample hold more than --memory; the combined limit equal to the
      // memory limit allows none (the file exists only where swap accounting is on).
      if (existsSync(path.join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(path.join(memory, 'memory.memsw.limit_in_bytes'), mem);
      writeFileSync(path.join(pids, 'pids.max'), procs);
    }
    this.made.set(slot, dirs);
    return dirs;
  }

  /** Remove every cgroup made (their processes must be gone; the kernel refuses otherwise). */
  remove(): void {
    for (const dirs of this.made.values()) for (const dir of dirs) removeQuietly(dir);
    this.made.clear();
    for (const base of this.bases) removeQuietly(base);
  }
}

function enableControllers(root: string, base: string): void {
  const wanted = ['memory', 'pids'];
  for (const dir of [root, base]) {
    const control = path.join(dir, 'cgroup.subtree_control');
    const on = readFileSync(control, 'utf8').split(/\s+/);
    const add = wanted.filter((c) => !on.includes(c));
    if (add.length) writeFileSync(control, add.map((c) => `+${c}`).join(' '));
  }
}

function removeQuietly(dir: string): void {
  // A killed process leaves its cgroup for a moment while the kernel tears it down.
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** cgroups left by an evaluation that was killed (its pid no longer runs): empty, so removable. */
export function removeStaleCgroups(parents: readonly string[]): void {
  for (const parent of parents) {
    let entries: string[];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const m = new RegExp(`^${PREFIX}(\\d+)-\\d+$`).exec(entry);
      if (!m || alive(Number(m[1]))) continue;
      const base = path.join(parent, entry);
      let slots: string[] = [];
      try {
        slots = readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      } catch {
        continue;
      }
      for (const slot of slots) removeQuietly(path.join(base, slot));
      removeQuietly(base);
    }
  }
}
