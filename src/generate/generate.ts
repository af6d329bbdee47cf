import { inspect } from 'node:util';
import path from 'node:path';
import { JsonlAppender } from '../io/write.js';
import type { GeneratedSample } from '../core/sample.js';
import { UserError } from '../core/errors.js';
import type { Executor } from '../core/exec.js';
import { ProviderError } from '../core/model.js';
import type { SampleDraft } from '../experiments/index.js';
import { acquireLock } from '../io/lock.js';
import { cacheDir as defaultCacheRoot, checkOutputFile } from '../io/paths.js';
import { preloadFor } from '../benchmarks/index.js';
import { createExecutor } from '../sandbox/index.js';
import { cachedAsk, storeIn } from './answers.js';
import { BatchDelivery } from './batch-delivery.js';
import { BatchLedger, ledgerFileOf } from './batch-ledger.js';
import { batchProgress, batchTiming, refuseBatchesInFlight } from './batch-setup.js';
import { ResponseCache } from './cache.js';
import { contextFor } from './context.js';
import { RunControl, Stopped } from './control.js';
import { type Delivery, requestDelivery } from './delivery.js';
import { checkGenerationSettings } from './options.js';
import { inShard, shardFile, shardKey } from '../core/shard.js';
import { type Job, jobKey, jobsToDo, modelUnderSettings, planJobs } from './plan.js';
import { type DeliveryNote, SampleRecorder } from './record.js';
import { dropFailedLines, readExistingSamples } from './samples-file.js';
import { prepareGeneration } from './setup.js';
import type { GenerateOptions, GenerateProgress, GenerateSummary } from './types.js';

export type { GenerateOptions, GenerateProgress, GenerateSummary } from './types.js';

/**
 * Make model samples for the chosen tasks and experiments and append them to `outFile`.
 * Samples already in the file are skipped, answers already in the response cache are not
 * asked for again, and a run stopped at any moment is finished by running it again. Each
 * experiment's strategy decides what to ask; the plan says which samples are left, the
 * delivery asks (one by one, or by batch), the recorder writes, and this function wires them.
 */
export async function generateSamples(options: GenerateOptions): Promise<GenerateSummary> {
  checkGenerationSettings(options as unknown as Record<string, unknown>);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const notice = options.onNotice ?? (() => {});
  const g = await prepareGeneration(options, notice);
  const { provider } = g;

  const outFile = options.shard ? shardFile(options.outFile, options.shard) : options.outFile;
  checkOutputFile(outFile, { flag: '--out', createFolder: true, inputs: g.replay ? [{ flag: '--model replay:', file: g.replay.file }] : [] });
  const lock = acquireLock(outFile, { command: 'codeseceval generate' });
  let executor: Executor | null = null;
  try {
    let existing = readExistingSamples(outFile);
    if (existing.droppedPartialLine) notice(`${outFile}: removed a partly written last line (an interrupted run); its sample is made again`);
    const allJobs = planJobs(g.experiments, g.prepared, g.tasks, g.samplesOf);
    // Samples already made under other settings are never silently reused (nor mixed in).
    const model = modelUnderSettings(allJobs, existing, g.params, g.samplesOf, { name: provider.spec, spec: g.modelSpec }, options.settingsChanged ?? 'refuse', outFile, notice);
    // A shard makes only the samples whose key falls in it (the key evaluate shards by, too).
    const { shard } = options;
    const jobs = shard ? allJobs.filter((j) => inShard(shardKey({ task_id: j.task.id, model, experiment: j.experiment }, j.sampleIndex), shard)) : allJobs;
    if (options.retryErrors) {
      const planned = new Set(jobs.map((j) => jobKey(j, model)));
      const dropped = dropFailedLines(outFile, (key) => planned.has(key));
      if (dropped) {
        notice(`${outFile}: removed ${dropped} failed sample(s) to make them again`);
        existing = readExistingSamples(outFile);
      }
    }
    const todo = jobsToDo(jobs, existing, model);
    if (!g.batchApi) refuseBatchesInFlight(outFile, todo, model);
    // A resumed command says what it kept and what is left, before the first request.
    if (todo.length && todo.length < jobs.length) notice(`resuming: ${jobs.length - todo.length} sample(s) kept in ${outFile}, ${todo.length} to make`);

    const progress: GenerateProgress = { done: 0, total: todo.length, errors: 0, cached: 0, requests: 0, alreadyDone: jobs.length - todo.length, elapsedMs: 0, batched: 0 };
    const report = () => options.onProgress?.({ ...progress, elapsedMs: elapsed() });
    report();
    // Every shard leaves its file, even one that holds no sample, so `merge` finds all N.
    if (options.shard) new JsonlAppender<GeneratedSample>(outFile).close();
    if (!todo.length) return { ...progress, interrupted: false, firstError: null, outFile, elapsedMs: elapsed() };

    // Samples run their programs concurrently, one call each: the engine shares its workers across calls.
    if (g.strategies.some((s) => s.needs.executor)) {
      const engine = options.engine ?? {};
      executor = createExecutor({ ...engine, preload: engine.preload ?? preloadFor(todo.map((j) => j.task)) });
    }
    const cache = provider.cacheIdentity && options.cacheDir !== null ? new ResponseCache(options.cacheDir ?? path.join(defaultCacheRoot(), 'responses')) : null;
    const control = new RunControl();
    const batching = g.batchApi
      ? new BatchDelivery({
          api: g.batchApi,
          ledger: new BatchLedger(ledgerFileOf(outFile)),
          control,
          server: provider.cacheIdentity?.baseURL ?? '',
          model,
          ...batchTiming(options.env ?? process.env),
          detach: options.batchDetach ?? false,
          store: storeIn(cache),
          counts: progress,
          notice,
          onStatus: () => {
            progress.batches = batchProgress(batching!.batches());
            report();
          },
        })
      : null;
    const delivery: Delivery = batching ?? requestDelivery(provider, g.limiter, control, progress);
    const ask = cachedAsk(provider, cache, delivery, control, progress);
    // The user's stop (Ctrl-C) asks nothing new but lets requests in flight finish, so every
    // answer already paid for is recorded (in the cache, and in the file when its sample is
    // complete); a second Ctrl-C ends the process at once (src/cli/signals.ts).
    const onAbort = () => {
      const line = delivery.stopNotice();
      control.draining.abort();
      if (line) notice(line);
    };
    if (options.signal?.aborted) control.draining.abort();
    options.signal?.addEventListener('abort', onAbort);
    const recorder = new SampleRecorder(outFile, { model, spec: g.modelSpec, samplesOf: (j) => g.samplesOf(j.task, j.experiment) }, progress);
    const setup = { style: provider.style, params: g.params, soft: options.soft ?? false, analyzer: g.analyzer, executor: () => executor, control };

    const runJob = async (job: Job): Promise<void> => {
      if (control.stopping()) return;
      const note: DeliveryNote = { batches: new Set() };
      let draft: SampleDraft;
      try {
        draft = await job.prepared.run(contextFor(job, (prompt, params) => ask(job, note, prompt, params), setup));
      } catch (e) {
        // An interruption or another request's fatal error: this sample is simply not done yet.
        if (e instanceof Stopped || control.stopping()) return;
        control.fail(e);
        return;
      }
      recorder.write(job, draft, note);
      report();
    };
    try {
      // A failure outside the request (a full disk, a bug) stops the run like a fatal request
      // error, after the jobs in flight have settled, so the writer is never closed under them.
      await delivery.runAll(todo, (job) => runJob(job).catch((e: unknown) => control.fail(e)));
    } finally {
      recorder.close();
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (control.fatal) {
      const fatal = control.fatal;
      const msg = fatal instanceof Error ? fatal.message : inspect(fatal);
      const kept = `${progress.alreadyDone + progress.done} sample(s) are in ${outFile}; fix the cause and run the same command to continue`;
      if (fatal instanceof ProviderError || fatal instanceof UserError) throw new UserError(`${msg} — ${kept}`);
      throw new Error(`${msg} — ${kept}`, { cause: fatal });
    }
    const batch = batching ? { ...batching.batches(), ledger: ledgerFileOf(outFile), detached: options.batchDetach ?? false } : undefined;
    return { ...progress, elapsedMs: elapsed(), interrupted: control.stopping(), firstError: recorder.firstError, outFile, ...(batch ? { batch } : {}) };
  } finally {
    executor?.close();
    lock.release();
  }
}
