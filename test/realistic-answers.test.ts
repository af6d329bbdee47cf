import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import { ResultLine } from '../src/core/result.js';
import { evaluateSamples } from '../src/evaluate/evaluate.js';
import { generateSamples } from '../src/generate/generate.js';
import { buildReport } from '../src/report/index.js';
import { CODESECEVAL_DIR, describeWithDataset, itWithDataset } from './helpers/datasets.js';
import { tempDir } from './helpers/report.js';

/**
 * A hand-written answer set in the style chat models use: every program ends with a main
 * block (Flask's development server, an input() loop, a usage example). Scored with the real
 * pipeline (replay → generate → evaluate → report), none may burn the timeout.
 */
const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/realistic-answers.jsonl');
const TIMEOUT = 10;

describeWithDataset('realistic answers', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('codeseceval-realistic-');
    process.env.CODESECEVAL_CACHE = tempDir('codeseceval-realistic-cache-');
  });

  itWithDataset(
    'every answer has a main block, and all are scored without a timeout',
    async () => {
      const answers = readFileSync(FIXTURE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { task_id: string; solution: string });
      expect(answers.length).toBeGreaterThanOrEqual(20);
      for (const a of answers) expect(a.solution, a.task_id).toMatch(/^if __name__ == "__main__":/m);
      expect(answers.filter((a) => /app\.run\(/.test(a.solution)).length).toBeGreaterThanOrEqual(5);

      const dataset = loadDataset(CODESECEVAL_DIR);
      const samples = path.join(dir, 'samples.jsonl');
      const results = path.join(dir, 'results.jsonl');
      await generateSamples({ dataset, model: `realistic=replay:${FIXTURE}`, outFile: samples, cacheDir: null });
      await evaluateSamples({ samplesFile: samples, outFile: results, dataset, timeout: TIMEOUT, timeoutSec: TIMEOUT });

      const lines = readFileSync(results, 'utf8').trim().split('\n').map((l) => ResultLine.parse(JSON.parse(l)));
      expect(lines).toHaveLength(answers.length);
      for (const r of lines) {
        expect(r.status, `${r.task_id}: ${r.detail}`).not.toBe('timeout');
        expect(r.duration_ms, r.task_id).toBeLessThan((TIMEOUT * 1000) / 2);
        expect(r.environment_failure, r.task_id).toBeUndefined();
      }
      const report = await buildReport({ resultsFiles: [results], dataset, ks: [1] });
      const overall = report.scores.runs[0]!.subsets[0]!;
      expect(overall.passAtK[0]).toBeCloseTo(lines.filter((r) => r.passed).length / lines.length, 10);
    },
    120_000,
  );
});
