import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { type GenerateOptions, generateSamples } from '../src/generate/generate.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';
import { type FakeServer, type RecordedRequest, startFakeOpenAI, taskOfRequest } from './helpers/fake-openai.js';
import { closeAfterEach, readSamples } from './helpers/generate.js';

const TASKS = ['CWE-020_codeql_1', 'CWE-20_01'];
let dataset: Dataset;
const keep = closeAfterEach();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithDataset('sampling settings are part of a run', () => {
  beforeAll(() => {
    dataset = loadDataset(CODESECEVAL_DIR);
  });

  it('records them in every sample; refuses to resume under others, naming each; keeps both apart on request', async () => {
    const server: FakeServer = keep(
      await startFakeOpenAI((req: RecordedRequest) => ({ text: `\`\`\`python\n${taskOfRequest(dataset.tasks, req).secureCode}\n\`\`\`\n` })),
    );
    const outFile = path.join(dir, 'samples.jsonl');
    const options = (over: Partial<GenerateOptions>): GenerateOptions => ({
      dataset,
      model: 'm=openai:fake',
      outFile,
      tasks: TASKS,
      n: 2,
      baseURL: server.baseURL,
      env: { OPENAI_API_KEY: 'k' },
      cacheDir: null,
      ...over,
    });

    await generateSamples(options({ temperature: 0, seed: 10 }));
    const first = readSamples(outFile);
    expect(first).toHaveLength(4);
    for (const s of first) {
      expect(s.params).toMatchObject({ temperature: 0, top_p: null, max_tokens: 2048, seed: 10, n: 2 });
    }
    const requests = server.requests.length;

    // Same settings: nothing asked again.
    await generateSamples(options({ temperature: 0, seed: 10 }));
    expect(server.requests.length).toBe(requests);

    // Other settings: one line naming each difference, nothing asked, nothing written.
    const before = readFileSync(outFile, 'utf8');
    await expect(generateSamples(options({ temperature: 0.8, seed: 10, maxTokens: 512 }))).rejects.toThrow(
      /samples\.jsonl holds samples of m made with other settings: temperature 0 → 0\.8 \(line \d\); max tokens 2048 → 512 \(line \d\); use another --out, or --settings-changed new/,
    );
    expect(readFileSync(outFile, 'utf8')).toBe(before);
    expect(server.requests.length).toBe(requests);

    // Apart on request: the new samples get their own model name; the old ones stay as they were.
    const notices: string[] = [];
    await generateSamples(options({ temperature: 0.8, seed: 10, maxTokens: 512, settingsChanged: 'new', onNotice: (m) => notices.push(m) }));
    const all = readSamples(outFile);
    expect(all).toHaveLength(8);
    const models = [...new Set(all.map((s) => s.model))];
    expect(models).toHaveLength(2);
    const tagged = models.find((m) => m !== 'm')!;
    expect(tagged).toMatch(/^m\+[0-9a-f]{6}$/);
    expect(notices.join('\n')).toContain(`recorded as model "${tagged}"`);
    for (const s of all.filter((x) => x.model === tagged)) expect(s.params).toMatchObject({ temperature: 0.8, max_tokens: 512 });
    expect(all.filter((s) => s.model === 'm')).toEqual(first);

    // The same command again resumes the tagged set: nothing asked.
    const asked = server.requests.length;
    await generateSamples(options({ temperature: 0.8, seed: 10, maxTokens: 512, settingsChanged: 'new' }));
    expect(server.requests.length).toBe(asked);
    expect(readSamples(outFile)).toHaveLength(8);

    // n may grow: one more sample per task extends the set, and the command says what it kept.
    const said: string[] = [];
    await generateSamples(options({ temperature: 0, seed: 10, n: 3, onNotice: (m) => said.push(m) }));
    expect(said).toEqual([`resuming: 4 sample(s) kept in ${outFile}, 2 to make`]);
    expect(readSamples(outFile).filter((s) => s.model === 'm')).toHaveLength(6);
  });
});
