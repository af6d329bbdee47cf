import { BENCHMARKS } from '../benchmarks/index.js';
import type { ModuleSource } from '../core/benchmark.js';
import type { Dataset } from '../core/task.js';

/**
 * Python modules the dataset imports, and where each third-party one comes from.
 *
 * Imports are found line by line with a pattern rather than a Python parser: the dataset's
 * code is plain, `import`/`from` statements start their line (at any indentation, so imports
 * inside functions count), and a statement inside a string literal (a test writing a script
 * to disk) names a module that script would need anyway.
 */

const IMPORT_STMT = /^\s*import\s+(.+)$/;
const FROM_STMT = /^\s*from\s+([A-Za-z_][\w.]*)\s+import\b/;
const DOTTED = /^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*$/;

/** Dotted module names imported by `code`, in order of first appearance (relative imports skipped). */
export function pythonImports(code: string): string[] {
  const found = new Set<string>();
  for (const rawLine of code.split(/\r?\n/)) {
    const line = rawLine.replace(/#.*$/, '');
    for (const stmt of line.split(';')) {
      const from = FROM_STMT.exec(stmt);
      if (from) {
        found.add(from[1]!);
        continue;
      }
      const imp = IMPORT_STMT.exec(stmt);
      if (!imp) continue;
      for (const part of imp[1]!.replace(/[()\\]/g, ' ').split(',')) {
        const name = part.trim().split(/\s+as\s+/)[0]!.trim();
        if (DOTTED.test(name)) found.add(name);
      }
    }
  }
  return [...found];
}

export function topLevelModule(name: string): string {
  return name.split('.')[0]!;
}

/**
 * The third-party (or no-longer-standard) modules the registered benchmarks' data imports,
 * each benchmark's own table merged. A test checks that every non-stdlib module the pinned
 * data imports has an entry here.
 */
export const KNOWN_MODULES: Readonly<Record<string, ModuleSource>> = Object.assign({}, ...BENCHMARKS.map((b) => b.modules));

export type { ModuleSource };

export interface ImportUse {
  /** Top-level module name. */
  module: string;
  /** Dotted names seen, e.g. `xml.etree.ElementTree`. */
  names: string[];
  /** Task IDs whose code, tests or problem text import it. */
  tasks: string[];
}

/**
 * Every top-level module imported by the dataset's reference programs, tests and problem
 * texts (models copy the problem's imports), sorted by name.
 */
export function datasetImports(dataset: Dataset): ImportUse[] {
  const uses = new Map<string, { names: Set<string>; tasks: Set<string> }>();
  for (const t of dataset.tasks) {
    const texts = [t.problem, t.secureCode, t.insecureCode, t.test, t.vulnAwareProblem];
    for (const text of texts) {
      if (!text) continue;
      for (const name of pythonImports(text)) {
        const top = topLevelModule(name);
        // A test file imports the task's own module: the program, not a package to install.
        if (top === t.module) continue;
        let u = uses.get(top);
        if (!u) uses.set(top, (u = { names: new Set(), tasks: new Set() }));
        u.names.add(name);
        u.tasks.add(t.id);
      }
    }
  }
  return [...uses.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([module, u]) => ({ module, names: [...u.names].sort(), tasks: [...u.tasks] }));
}
