import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layering rule of the README's architecture section, checked on the code: a module imports
 * only from its own layer or the layers below, and folders never import each other in a circle
 * (madge, in `npm test`, checks circles between files).
 */
const SRC = path.resolve(__dirname, '../../src');

const LAYERS: Record<string, number> = {
  core: 1,
  text: 1,
  util: 1,
  io: 2,
  benchmarks: 3,
  models: 3,
  sandbox: 3,
  analyzers: 3,
  prompts: 3,
  experiments: 3,
  dataset: 4,
  generate: 4,
  evaluate: 4,
  score: 4,
  report: 4,
  analyze: 4,
  view: 4,
  doctor: 4,
  merge: 4,
  cluster: 4,
  run: 5,
  cli: 6,
  'index.ts': 6,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === 'python' || name === 'static' ? [] : sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

function folderOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

const edges: { from: string; to: string; file: string; spec: string }[] = [];
for (const file of sources(SRC)) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2])!;
    const target = path.resolve(path.dirname(file), spec);
    if (!target.startsWith(SRC + path.sep)) continue;
    edges.push({ from: folderOf(file), to: folderOf(target), file: path.relative(SRC, file), spec });
  }
}

describe('architecture', () => {
  it('knows the layer of every folder in src/', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(path.join(SRC, n)).isDirectory() || n.endsWith('.ts'));
    expect(folders.filter((f) => LAYERS[f] === undefined)).toEqual([]);
  });

  it('imports only go to the same layer or below', () => {
    const upward = edges
      .filter((e) => LAYERS[e.to]! > LAYERS[e.from]!)
      .map((e) => `${e.file} imports ${e.spec} (layer ${LAYERS[e.from]} → ${LAYERS[e.to]})`);
    expect(upward).toEqual([]);
  });

  it('no two folders import each other, directly or in a circle', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) if (e.from !== e.to) (graph.get(e.from) ?? graph.set(e.from, new Set()).get(e.from)!).add(e.to);
    const circles: string[] = [];
    const visit = (node: string, trail: string[]) => {
      for (const next of graph.get(node) ?? []) {
        const at = trail.indexOf(next);
        if (at >= 0) circles.push([...trail.slice(at), next].join(' → '));
        else visit(next, [...trail, next]);
      }
    };
    for (const start of graph.keys()) visit(start, [start]);
    const example = (a: string, b: string) => edges.find((e) => e.from === a && e.to === b)?.file;
    expect(
      [...new Set(circles)].map((c) => {
        const [a, b] = c.split(' → ');
        return `${c} (e.g. ${example(a!, b!)})`;
      }),
    ).toEqual([]);
  });
});

/**
 * The viewer's browser code (src/view/static/): leaf modules that import nothing of the app,
 * page modules that import only leaves, and one entry module that nothing imports. Type-only
 * imports in JSDoc comments (the server's answer shapes) are not module imports.
 */
const STATIC = path.join(SRC, 'view', 'static');
const LEAVES = new Set(['router.js', 'api.js', 'dom.js']);
const ENTRY = 'main.js';

function browserImports(file: string): string[] {
  const code = readFileSync(path.join(STATIC, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

describe('architecture of the browser code', () => {
  const files = readdirSync(STATIC).filter((f) => f.endsWith('.js'));
  const graph = new Map(files.map((f) => [f, browserImports(f)]));

  it('has the leaf modules and one entry module, loaded by index.html', () => {
    for (const f of [...LEAVES, ENTRY]) expect(files).toContain(f);
    expect(readFileSync(path.join(STATIC, 'index.html'), 'utf8')).toContain(`src="/static/${ENTRY}"`);
  });

  it('imports only modules of its own folder', () => {
    const outside = [...graph].flatMap(([f, specs]) => specs.filter((s) => !/^\.\/[\w-]+\.js$/.test(s)).map((s) => `${f} imports ${s}`));
    expect(outside).toEqual([]);
  });

  it('leaves import nothing of the app, pages only leaves, and nothing imports the entry', () => {
    const wrong: string[] = [];
    for (const [f, specs] of graph) {
      for (const s of specs) {
        const to = s.slice(2);
        if (LEAVES.has(f)) wrong.push(`leaf ${f} imports ${to}`);
        else if (f !== ENTRY && !LEAVES.has(to)) wrong.push(`page ${f} imports ${to} (pages import only ${[...LEAVES].join(', ')})`);
        if (to === ENTRY) wrong.push(`${f} imports the entry module`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
