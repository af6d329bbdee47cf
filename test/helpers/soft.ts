import path from 'node:path';

/** Four tasks whose Tests announce each assert's label in a comment (see its README). */
export const SOFT_DATASET = path.resolve(import.meta.dirname, '../fixtures/soft-dataset');

/** The labels a fixture Test announces in its comments: `# security`, `# security statement`, ... */
export function announcedLabels(test: string): { asserts: [number, string][]; statements: [number, string][] } {
  const asserts: [number, string][] = [];
  const statements: [number, string][] = [];
  test.split('\n').forEach((line, i) => {
    const m = /# (functional|security|broken|unlabelled)( statement)?$/.exec(line);
    if (m) (m[2] ? statements : asserts).push([i + 1, m[1]!]);
  });
  return { asserts, statements };
}
