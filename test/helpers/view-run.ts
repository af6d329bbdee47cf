import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../../src/core/task.js';
import { runPipeline } from '../../src/run/run.js';
import { ViewData } from '../../src/view/data.js';
import { startViewServer, type ViewServer } from '../../src/view/server.js';

/**
 * Tasks for the viewer tests: two that behave (secure passes, insecure fails), two of CWE-79
 * (one per subset, written CWE-079 and CWE-79), and one whose Secure Code fails its own Test
 * upstream, so there is a broken task to mark.
 */
export const VIEW_TASKS = ['CWE-020_codeql_4', 'CWE-276_01', 'CWE-079_codeql_1', 'CWE-79_01', 'CWE-113_sonar_1'];
export const VIEW_BROKEN = 'CWE-113_sonar_1';
export const INJECTED_TASK = 'CWE-079_codeql_1';

/** Markup a hostile model could write; the viewer must show it as these characters. */
export const INJECTED = {
  model: '<img src=x onerror="window.__pwned=\'model\'">',
  script: '</script><script>window.__pwned = "script"</script>',
  img: '<img src=x onerror="window.__pwned=\'img\'">',
};

/** A real run folder: generate, evaluate (with soft-assert runs), validate with labels, report. */
export async function makeReferenceRun(dataset: Dataset, outDir: string): Promise<void> {
  const summary = await runPipeline({
    dataset,
    models: ['reference:secure', 'reference:insecure'],
    outDir,
    experiments: ['direct-generation'],
    generate: { n: 2, tasks: VIEW_TASKS, cacheDir: null },
    split: true,
  });
  if (summary.interrupted || !summary.report) throw new Error('the reference run did not finish');
}

/** A hand-written results file whose program, answer, outputs and model name carry markup. */
export function writeInjectedRun(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const program = `# ${INJECTED.script}\ndef f():\n    return "${INJECTED.img.replaceAll('"', '\\"')}"\n`;
  const line = {
    task_id: INJECTED_TASK,
    sample_index: 0,
    model: INJECTED.model,
    experiment: 'direct-generation',
    prompt: { style: 'chat', system: null, user: `Write code ${INJECTED.script}` },
    raw: `Here you go ${INJECTED.img}\n\`\`\`python\n${program}\`\`\``,
    solution: program,
    extraction: 'fenced-block',
    usage: { input_tokens: 10, output_tokens: 20 },
    passed: false,
    status: 'failed',
    detail: `AssertionError at test line 3: ${INJECTED.img}`,
    duration_ms: 12,
    stdout_tail: INJECTED.script,
    stderr_tail: `Traceback ${INJECTED.img}`,
  };
  const file = path.join(dir, 'results.jsonl');
  writeFileSync(file, `${JSON.stringify(line)}\n`);
  return file;
}

export interface Viewer {
  data: ViewData;
  server: ViewServer;
  url: string;
  close(): Promise<void>;
}

/** The viewer on a free port of 127.0.0.1, as `codeseceval view` starts it. */
export async function startViewer(args: string[], dataset: Dataset, opts: { pollMs?: number; port?: number } = {}): Promise<Viewer> {
  const data = ViewData.open(args, { dataset, pollMs: opts.pollMs ?? 0 });
  const server = await startViewServer({ data, port: opts.port ?? 0 });
  data.start();
  return {
    data,
    server,
    url: server.url,
    close: async () => {
      data.stop();
      await server.close();
    },
  };
}
