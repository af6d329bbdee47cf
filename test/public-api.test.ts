import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The library's public API, name by name. Changing this list is a decision about the API
 * (docs/architecture.md says how it is versioned), never a side effect of a refactor.
 * Values are names with a runtime meaning (a zod schema is also its type); types are the rest.
 * Not in the unit tier: it compiles all of src/ (about 15 s).
 */
const PUBLIC_VALUES = [
  'AnalysisHeader', 'BENCHMARKS', 'DEFAULT_KS', 'DatasetError', 'EXECUTORS', 'EXPERIMENT_NAMES', 'EnvironmentRecord',
  'GeneratedSample', 'REPORT_FORMATS', 'ResultLine', 'STATUSES', 'SampleAnalysis', 'SampleLine', 'Status', 'Task',
  'UserError', 'ValidationFile', 'analyzeRun', 'buildReport', 'createExecutor', 'evaluateSamples', 'generateSamples',
  'loadDataset', 'loadValidation', 'locateDataset', 'openDataset', 'openDatasets', 'passAtK', 'readJsonlFile',
  'readResults', 'renderReport', 'reportChunks', 'runPipeline', 'scoreResults', 'taskJob', 'validateDataset',
];
const PUBLIC_TYPES = [
  'AnalyzeRunOptions', 'Benchmark', 'BootstrapOptions', 'BuildReportOptions', 'Dataset', 'DatasetKind', 'EngineOptions',
  'EvaluateOptions', 'EvaluateProgress', 'EvaluateSummary', 'ExecJob', 'Executor', 'ExecutorInfo', 'Experiment', 'Finding',
  'GenerateOptions', 'GenerateProgress', 'GenerateSummary', 'JsonlValue', 'Report', 'ReportFormat', 'ResultSet',
  'RunOptions', 'RunScores', 'RunSummary', 'ScoreOptions', 'Scores', 'Severity', 'TallyOptions', 'ValidateOptions',
  'Validation',
];

const ROOT = path.resolve(import.meta.dirname, '..');
const ENTRY = path.join(ROOT, 'src', 'index.ts');
const LIBRARY_DOC = path.join(ROOT, 'docs', 'library.md');

/** The docs page's TypeScript examples, as files beside the entry that import it as the package would resolve. */
function docExamples(): Map<string, string> {
  const blocks = [...readFileSync(LIBRARY_DOC, 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return new Map(blocks.map((code, i) => [path.join(ROOT, 'test', `library-example-${i + 1}.ts`), code]));
}

/** One compilation of the entry and the examples, with the repository's compiler options. */
function compile(examples: Map<string, string>) {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  const rewrite = (code: string) => code.replace(/from 'codeseceval'/g, "from '../src/index.js'");
  host.fileExists = (f) => examples.has(f) || fileExists.call(host, f);
  host.readFile = (f) => (examples.has(f) ? rewrite(examples.get(f)!) : readFile.call(host, f));
  host.getSourceFile = (f, lang, ...rest) =>
    examples.has(f) ? ts.createSourceFile(f, rewrite(examples.get(f)!), lang, true) : getSourceFile.call(host, f, lang, ...rest);
  return ts.createProgram([ENTRY, ...examples.keys()], options, host);
}

const examples = docExamples();
const program = compile(examples);

describe('the public API', () => {
  it('is exactly the listed values and types', () => {
    const checker = program.getTypeChecker();
    const entry = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!;
    const values: string[] = [];
    const types: string[] = [];
    for (const sym of checker.getExportsOfModule(entry)) {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      (target.flags & ts.SymbolFlags.Value ? values : types).push(sym.name);
    }
    expect(values.sort()).toEqual([...PUBLIC_VALUES].sort());
    expect(types.sort()).toEqual([...PUBLIC_TYPES].sort());
    // A library, not a dump of internals: about 40 values at most.
    expect(values.length).toBeLessThanOrEqual(40);
  });

  it('is the only way in: package.json exports the entry and nothing else', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; main: string; types: string };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './package.json']);
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect([pkg.main, pkg.types]).toEqual(['dist/index.js', 'dist/index.d.ts']);
  });

  it('docs/library.md’s examples import only the package entry and type-check against it', () => {
    expect(examples.size).toBeGreaterThanOrEqual(3);
    for (const [file, code] of examples) {
      const from = [...code.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
      expect(from, file).toEqual(['codeseceval']);
      const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems, `${path.basename(file)}:\n${code}`).toEqual([]);
    }
  });
});
