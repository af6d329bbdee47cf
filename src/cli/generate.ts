import type { Command } from 'commander';
import { openDataset } from '../dataset/locate.js';
import { generateSamples } from '../generate/generate.js';
import { EXPERIMENTS, parseExperiments } from '../generate/experiments.js';
import { formatDuration, progressReporter } from '../generate/progress.js';
import { parseSubset, parseTaskFilters } from '../generate/select.js';
import { MODEL_SPEC_FORMS } from '../models/spec.js';
import { UserError } from '../util/errors.js';
import { action, positiveInt } from './run-action.js';

interface GenerateFlags {
  model: string;
  out: string;
  experiment: string;
  n?: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  tasks?: string;
  subset?: string;
  concurrency?: number;
  baseUrl?: string;
  maxRetries?: number;
  requestTimeout?: number;
  cache?: string | false;
  promptTemplate?: string;
  retryErrors?: boolean;
  dataset?: string;
}

function number(flag: string, integer = false): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new UserError(`${flag} must be ${integer ? 'an integer' : 'a number'}, got "${v}"`);
    }
    return n;
  };
}

/** Exit codes: 0 all samples made, 1 bad input, 2 unexpected failure, 3 some samples failed (recorded), 130 interrupted. */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('Ask a model for samples of the chosen experiments and append them to a samples file (resumable).')
    .requiredOption('-m, --model <spec>', `model to sample: ${MODEL_SPEC_FORMS}`)
    .option('-o, --out <file>', 'samples file to append to (resumed if it exists)', 'samples.jsonl')
    .option('-e, --experiment <names>', `comma-separated experiments or "all": ${EXPERIMENTS.join(', ')}`, 'direct-generation')
    .option('-n, --n <count>', 'samples per task (default 1; replay: all the file has)', positiveInt('-n'))
    .option('--temperature <t>', 'sampling temperature (not sent unless given)', number('--temperature'))
    .option('--top-p <p>', 'nucleus sampling (not sent unless given)', number('--top-p'))
    .option('--max-tokens <n>', 'answer length limit (default 2048)', positiveInt('--max-tokens'))
    .option('--seed <n>', 'base seed; sample i sends seed + i', number('--seed', true))
    .option('--tasks <list>', 'comma-separated task IDs and/or CWE identifiers (CWE-79 = CWE-079)')
    .option('--subset <name>', 'base (SecEvalBase) or plus (SecEvalPlus)')
    .option('-c, --concurrency <n>', 'requests in flight (default 4)', positiveInt('--concurrency'))
    .option('--base-url <url>', 'server root for the client (OpenAI-style: ends in /v1); default OPENAI_BASE_URL / ANTHROPIC_BASE_URL')
    .option('--max-retries <n>', 'retries on 408/409/429/5xx and timeouts, honouring Retry-After (default 5)', number('--max-retries', true))
    .option('--request-timeout <seconds>', 'per request attempt (default 300)', number('--request-timeout'))
    .option('--cache <dir>', 'response cache folder (default <cache dir>/responses)')
    .option('--no-cache', 'neither read nor write the response cache')
    .option('--prompt-template <path>', 'template file (one experiment) or folder of <experiment>.<chat|completion>.txt files')
    .option('--retry-errors', 'make again the samples whose requests failed in an earlier run')
    .option('--dataset <dir>', 'dataset folder (default $CODESECEVAL_DATASET or the fetched copy)')
    .action(
      action(async (flags: GenerateFlags) => {
        const dataset = openDataset(flags.dataset);
        const controller = new AbortController();
        const onSigint = () => {
          process.stderr.write('\ngenerate: interrupted; abandoning the requests in flight (Ctrl-C again to quit at once)\n');
          controller.abort();
        };
        process.once('SIGINT', onSigint);
        const reporter = progressReporter(process.stderr);
        try {
          const summary = await generateSamples({
            dataset,
            model: flags.model,
            outFile: flags.out,
            experiments: parseExperiments(flags.experiment),
            n: flags.n,
            temperature: flags.temperature,
            topP: flags.topP,
            maxTokens: flags.maxTokens,
            seed: flags.seed,
            tasks: flags.tasks !== undefined ? parseTaskFilters(flags.tasks) : undefined,
            subset: flags.subset !== undefined ? parseSubset(flags.subset) : undefined,
            concurrency: flags.concurrency,
            baseURL: flags.baseUrl,
            maxRetries: flags.maxRetries,
            requestTimeoutMs: flags.requestTimeout !== undefined ? flags.requestTimeout * 1000 : undefined,
            cacheDir: flags.cache === false ? null : flags.cache,
            promptTemplate: flags.promptTemplate,
            retryErrors: flags.retryErrors,
            signal: controller.signal,
            onProgress: (p) => reporter.update(p),
            onNotice: (m) => process.stderr.write(`generate: ${m}\n`),
          });
          reporter.finish();
          if (summary.total === 0) {
            process.stderr.write(`generate: nothing to do: all ${summary.alreadyDone} samples are already in ${summary.outFile}\n`);
            return;
          }
          const already = summary.alreadyDone ? `; ${summary.alreadyDone} were already there` : '';
          const stopped = summary.interrupted ? 'interrupted; ' : '';
          process.stderr.write(
            `generate: ${stopped}wrote ${summary.done} of ${summary.total} sample(s) to ${summary.outFile} in ${formatDuration(summary.elapsedMs)} ` +
              `(${summary.requests} request(s), ${summary.cached} from cache, ${summary.errors} failed${already})\n`,
          );
          if (summary.interrupted) {
            process.stderr.write('generate: run the same command to continue\n');
            process.exitCode = 130;
          } else if (summary.errors) {
            process.stderr.write(`generate: first failure: ${summary.firstError}; --retry-errors makes failed samples again\n`);
            process.exitCode = 3;
          }
        } finally {
          reporter.finish();
          process.off('SIGINT', onSigint);
        }
      }),
    );
}
