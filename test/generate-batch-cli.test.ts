import type { ChildProcess } from 'node:child_process';
import { type CliChild, killLeftChildren, spawnCli } from './helpers/cli.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../src/benchmarks/index.js';
import type { Dataset } from '../src/core/task.js';
import { type FakeBatchServer, startFakeBatchServer, userTextOf } from './helpers/fake-batch.js';
import { readSamples } from './helpers/generate.js';
import { CODESECEVAL_DIR, describeWithDataset } from './helpers/datasets.js';

const TASKS = 'CWE-20_01,CWE-078_author_1,CWE-79_01';
let dataset: Dataset;
let server: FakeBatchServer | null = null;
const children: ChildProcess[] = [];

beforeAll(() => {
  dataset = loadDataset(CODESECEVAL_DIR);
});
afterEach(async () => {
  killLeftChildren(children);
  await server?.close();
  server = null;
});

/** The real CLI in a child process, as a user runs it. */
function cli(args: string[], env: Record<string, string>): CliChild {
  return spawnCli(args, env, children);
}

const secure = (body: Record<string, unknown>) => {
  const task = dataset.tasks.find((t) => userTextOf(body).includes(t.problem.trim()));
  return { text: `\`\`\`python\n${task?.secureCode ?? 'pass'}\n\`\`\`` };
};

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(kind: 'openai' | 'anthropic') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-batch-cli-'));
  const out = path.join(dir, 'samples.jsonl');
  const env = { OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k', CODESECEVAL_CACHE: path.join(dir, 'cache'), CODESECEVAL_BATCH_POLL_MS: '10' };
  const model = kind === 'openai' ? 'openai:fake' : 'anthropic:fake';
  const argv = (extra: string[]) => ['generate', '--model', model, '--base-url', server!.baseURL, '--dataset', CODESECEVAL_DIR, '--tasks', TASKS, '-n', '3', '--out', out, ...extra];
  return { dir, out, env, argv };
}

describeWithDataset('codeseceval generate --batch', () => {
  for (const kind of ['openai', 'anthropic'] as const) {
    it(`${kind}: killed with SIGKILL while polling, then the same command: one batch, each sample once`, async () => {
      // The batch stays in progress until the test lets it end.
      server = await startFakeBatchServer(kind, { answer: secure, plan: () => ({ polls: Number.POSITIVE_INFINITY }) });
      const { out, env, argv } = setup(kind);
      const first = cli(argv(['--batch']), env);
      await until(() => (server!.batches[0]?.checks ?? 0) >= 2);
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      // The batch was recorded before polling began.
      const ledger = JSON.parse(readFileSync(`${out}.batches.json`, 'utf8'));
      expect(ledger.batches).toMatchObject([{ id: server.batches[0]!.id, state: 'submitted' }]);
      expect(ledger.batches[0].requests).toHaveLength(9);

      server.batches[0]!.plan.polls = server.batches[0]!.checks + 2;
      const second = await cli(argv(['--batch']), env).done;
      expect(second.code, second.stderr).toBe(0);
      expect(server.batches).toHaveLength(1);
      expect(server.single).toHaveLength(0);
      const lines = readSamples(out);
      const keys = lines.map((l) => `${l.task_id}|${l.sample_index}`);
      expect(new Set(keys).size).toBe(9);
      expect(keys).toHaveLength(9);
      expect(lines.every((l) => l.error === null && l.solution.length > 0 && (l as Record<string, unknown>).delivery === 'batch')).toBe(true);
      // Collected in flight from the first run: this run sent nothing.
      expect(second.stderr).toMatch(/wrote 9 of 9 sample\(s\) .*\(0 request\(s\), 0 from cache, 0 failed\)/);
      expect(JSON.parse(readFileSync(`${out}.batches.json`, 'utf8')).batches).toMatchObject([{ state: 'collected' }]);
    });
  }

  it('--batch-detach submits, records and exits 0 saying how to collect; the same command collects', async () => {
    server = await startFakeBatchServer('openai', { answer: secure, plan: () => ({ polls: Number.POSITIVE_INFINITY }) });
    const { out, env, argv } = setup('openai');
    const first = await cli(argv(['--batch-detach']), env).done;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`1 batch(es) in flight at the provider (${server.batches[0]!.id}), recorded in ${out}.batches.json; run the same command to collect them`);
    expect(existsSync(out) ? readSamples(out) : []).toHaveLength(0);
    // Still running at the provider: the same command says so again and creates nothing.
    const still = await cli(argv(['--batch-detach']), env).done;
    expect(still.code).toBe(0);
    expect(still.stderr).toContain('1 batch(es) in flight');
    expect(server.batches).toHaveLength(1);

    server.batches[0]!.plan.polls = 0;
    const collect = await cli(argv(['--batch-detach']), env).done;
    expect(collect.code, collect.stderr).toBe(0);
    expect(collect.stderr).not.toContain('in flight');
    expect(readSamples(out)).toHaveLength(9);
    expect(server.batches).toHaveLength(1);
    const again = await cli(argv(['--batch']), env).done;
    expect(again.stderr).toContain('nothing to do');
  });

  it('Ctrl-C while waiting leaves the batch recorded and exits 130; the same command collects it', async () => {
    server = await startFakeBatchServer('anthropic', { answer: secure, plan: () => ({ polls: Number.POSITIVE_INFINITY }) });
    const { out, env, argv } = setup('anthropic');
    const first = cli(argv(['--batch']), env);
    await until(() => (server!.batches[0]?.checks ?? 0) >= 1);
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain(`stopping: 1 batch(es) stay with the provider, recorded in ${out}.batches.json`);
    server.batches[0]!.plan.polls = 0;
    const second = await cli(argv(['--batch']), env).done;
    expect(second.code, second.stderr).toBe(0);
    expect(readSamples(out)).toHaveLength(9);
    expect(server.batches).toHaveLength(1);
  });
});
