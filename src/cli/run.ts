import type { Command } from 'commander';
import { openDataset } from '../dataset/locate.js';
import { EXPERIMENTS, parseExperiments } from '../generate/experiments.js';
import { progressReporter } from '../generate/progress.js';
import { parseSubset, parseTaskFilters } from '../generate/select.js';
import { MODEL_SPEC_FORMS } from '../models/spec.js';
import { parseKList } from '../score/passk.js';
import { UserError } from '../util/errors.js';
import { addEngineOptions, engineOptionsFrom, type EngineFlags } from './engine-options.js';
import { createProgress, type Progress } from './progress.js';
import { action } from './run-action.js';

interface RunFlags extends EngineFlags {
  model: string[];
  experiments: string;
  n?: string;
  temperature?: string;
  topP?: string;
  maxTokens?: string;
  seed?: string;
  tasks?: string;
  subset?: string;
  concurrency?: string;
  baseUrl?: string;
  maxRetries?: string;
  requestTimeout?: string;
  cache?: string | false;
  promptTemplate?: string;
  retryErrors?: boolean;
  out?: string;
  dataset?: string;
  k?: string;
  excludeBroken?: boolean;
  split?: boolean;
}

// Flags are parsed inside the action, where a bad value becomes a one-line error.
function num(flag: string, raw: string | undefined, integer = false): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UserError(`${flag} must be ${integer ? 'an integer' : 'a number'}, got "${raw}"`);
  }
  return n;
}

function positive(flag: string, raw: string | undefined): number | undefined {
  const n = num(flag, raw, true);
  if (n !== undefined && n < 1) throw new UserError(`${flag} must be a positive integer, got "${raw}"`);
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Exit codes: 0 done, 1 bad input, 2 unexpected failure, 3 some model requests failed (recorded), 130 interrupted. */
export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('generate → evaluate → dataset validate → report, into one run folder (resumable)')
    .requiredOption('-m, --model <spec>', `model to sample, repeatable to compare models: ${MODEL_SPEC_FORMS}`, collect)
    .option('-e, --experiments <names>', `comma-separated experiments or "all": ${EXPERIMENTS.join(', ')}`, 'all')
    .option('-n, --n <count>', 'samples per task (default 1)')
    .option('--temperature <t>', 'sampling temperature (not sent unless given)')
    .option('--top-p <p>', 'nucleus sampling (not sent unless given)')
    .option('--max-tokens <n>', 'answer length limit (default 2048)')
    .option('--seed <n>', 'base seed; sample i sends seed + i')
    .option('--tasks <list>', 'comma-separated task IDs and/or CWE identifiers')
    .option('--subset <name>', 'base (SecEvalBase) or plus (SecEvalPlus)')
    .option('-c, --concurrency <n>', 'requests in flight (default 4)')
    .option('--base-url <url>', 'server root for the model client (OpenAI-style: ends in /v1)')
    .option('--max-retries <n>', 'retries on 408/409/429/5xx and timeouts (default 5)')
    .option('--request-timeout <seconds>', 'per request attempt (default 300)')
    .option('--cache <dir>', 'response cache folder (default <cache dir>/responses)')
    .option('--no-cache', 'neither read nor write the response cache')
    .option('--prompt-template <path>', 'template file or folder of <experiment>.<chat|completion>.txt files')
    .option('--retry-errors', 'make again the samples whose requests failed in an earlier run')
    .option('-o, --out <dir>', 'run folder (default runs/<model names>; an existing one is resumed)')
    .option('--dataset <dir>', 'dataset folder (default $CODESECEVAL_DATASET or the fetched copy)')
    .option('--k <list>', 'k values of the report (default: 1,3,5,7,10 up to -n)')
    .option('--exclude-broken', 'score without the tasks dataset validate finds broken')
    .option('--split', 'also separate wrong from insecure: func@k, func-sec@k, vulnerable rate (doubles evaluation)');
  addEngineOptions(cmd).action(
    action(async (flags: RunFlags) => {
      const { defaultRunDir, runPipeline } = await import('../run/run.js');
      let ks: number[] | undefined;
      if (flags.k !== undefined) {
        try {
          ks = parseKList(flags.k);
        } catch (e) {
          throw new UserError(`--k: ${(e as Error).message}`);
        }
      }
      const generate = {
        n: positive('-n', flags.n),
        temperature: num('--temperature', flags.temperature),
        topP: num('--top-p', flags.topP),
        maxTokens: positive('--max-tokens', flags.maxTokens),
        seed: num('--seed', flags.seed, true),
        tasks: flags.tasks !== undefined ? parseTaskFilters(flags.tasks) : undefined,
        subset: flags.subset !== undefined ? parseSubset(flags.subset) : undefined,
        concurrency: positive('--concurrency', flags.concurrency),
        baseURL: flags.baseUrl,
        maxRetries: num('--max-retries', flags.maxRetries, true),
        requestTimeoutMs: flags.requestTimeout !== undefined ? num('--request-timeout', flags.requestTimeout)! * 1000 : undefined,
        cacheDir: flags.cache === false ? null : flags.cache,
        promptTemplate: flags.promptTemplate,
        retryErrors: flags.retryErrors,
      };
      const experiments = parseExperiments(flags.experiments);
      const dataset = openDataset(flags.dataset);
      const outDir = flags.out ?? defaultRunDir(flags.model);
      const controller = new AbortController();
      const onSigint = () => {
        process.stderr.write('\nrun: interrupted; run the same command to continue\n');
        controller.abort();
      };
      process.once('SIGINT', onSigint);
      let reporter = progressReporter(process.stderr);
      let bar: Progress | undefined;
      let phase = '';
      try {
        const summary = await runPipeline({
          dataset,
          models: flags.model,
          outDir,
          experiments,
          generate,
          engine: engineOptionsFrom(flags),
          ks,
          excludeBroken: flags.excludeBroken ?? false,
          split: flags.split ?? false,
          signal: controller.signal,
          on: {
            stage: (stage, message) => {
              reporter.finish();
              bar?.stop();
              bar = undefined;
              process.stderr.write(`run: ${message}\n`);
              // A fresh reporter per model, so each model's progress starts from its own zero.
              if (stage === 'generate') reporter = progressReporter(process.stderr);
              phase = stage;
            },
            generate: (_model, p) => reporter.update(p),
            evaluate: (p) => {
              if (p.phase !== phase) {
                bar?.stop();
                phase = p.phase;
                bar = createProgress(p.phase === 'calibrate' ? 'measuring task runtimes' : 'evaluating', p.total);
              }
              bar?.update(p.done);
            },
            validate: (done, total) => {
              if (!bar) bar = createProgress('validating', total);
              bar?.update(done);
            },
            notice: (m) => process.stderr.write(`run: ${m}\n`),
          },
        });
        reporter.finish();
        bar?.stop();
        if (summary.interrupted) {
          process.exitCode = 130;
          return;
        }
        process.stdout.write(`\n${summary.headline}\nReports: ${summary.files.md}, ${summary.files.html}, ${summary.files.json}\n`);
        if (summary.generationErrors) {
          process.stderr.write(
            `run: ${summary.generationErrors} sample(s) could not be generated and count as failures; --retry-errors makes them again\n`,
          );
          process.exitCode = 3;
        }
      } finally {
        reporter.finish();
        bar?.stop();
        process.off('SIGINT', onSigint);
      }
    }),
  );
}
