import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/benchmarks/index.js';
import type { Dataset } from '../../src/core/task.js';
import { PROVIDERS } from '../../src/models/registry.js';
import { providerContract, type ProviderHarness } from '../helpers/contracts/provider.js';
import { startFakeAnthropic } from '../helpers/fake-anthropic.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';

const MINI = path.resolve(import.meta.dirname, '..', 'fixtures', 'codeseceval-mini');
let dataset: Dataset;
let dir: string;
const replayFile = () => path.join(dir, 'replay.jsonl');
const REPLAYED = 'def read_port():\n    return "replayed"\n';

beforeAll(() => {
  dataset = loadDataset(MINI);
  dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-provider-contract-'));
  writeFileSync(replayFile(), dataset.tasks.map((t) => JSON.stringify({ task_id: t.id, solution: `${REPLAYED}# ${t.id}\n` })).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Model names with a colon, as Ollama writes them: only the first colon separates the kind.
const MODEL = { '<model>': 'contract-model:7b' };

/**
 * What each provider kind needs to be built for real. The suite loops over the registry: a
 * new provider fails until it has an entry here, so it cannot go untested.
 */
const HARNESS: Record<string, ProviderHarness> = {
  openai: { fill: MODEL, http: { keyVar: 'OPENAI_API_KEY', start: startFakeOpenAI } },
  'openai-completions': { fill: MODEL, http: { keyVar: 'OPENAI_API_KEY', start: startFakeOpenAI } },
  anthropic: { fill: MODEL, http: { keyVar: 'ANTHROPIC_API_KEY', start: (h) => startFakeAnthropic(h) } },
  reference: { fill: {}, answer: (spec, task) => (spec.endsWith(':insecure') ? task.insecureCode! : task.secureCode) },
  replay: {
    get fill() {
      return { '<file.jsonl>': replayFile() };
    },
    answer: (_spec, task) => `${REPLAYED}# ${task.id}\n`,
  },
};

for (const entry of PROVIDERS) {
  const harness = HARNESS[entry.kind];
  if (!harness) {
    it(`provider contract: ${entry.kind} has a harness`, () => {
      expect(harness, `add "${entry.kind}" to HARNESS in ${import.meta.filename}`).toBeDefined();
    });
    continue;
  }
  providerContract(entry.kind, () => entry, harness, () => dataset);
}

describe('provider registry', () => {
  it('has one entry per kind, and no form belongs to two kinds', () => {
    const kinds = PROVIDERS.map((p) => p.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    const forms = PROVIDERS.flatMap((p) => p.forms);
    expect(new Set(forms).size).toBe(forms.length);
  });
});
