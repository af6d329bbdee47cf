import { Option, type Command } from 'commander';
import { UserError } from '../core/errors.js';
import { EXPERIMENT_NAMES, parseExperiments } from '../core/experiments.js';
import { parseSubset, parseTaskFilters } from '../generate/select.js';
import { addDatasetOptions, type DatasetFlags } from './dataset-options.js';
import type { GenerateOptions } from '../generate/generate.js';
import { SETTINGS_CHANGED, type SettingsChanged } from '../generate/settings.js';
import { MODEL_SPEC_FORMS } from '../models/registry.js';
import type { Shard } from '../core/shard.js';
import {
  maxRetriesArg,
  generationArg,
  requestTimeoutArg,
  retryBudgetArg,
  seedArg,
  SHARD_HELP,
  shardArg,
  shardFrom,
  temperatureArg,
  topPArg,
} from './parse.js';

/** The flags `generate` and `run` share, declared once. */
export interface GenerationFlags extends DatasetFlags {
  experiments?: string;
  /** `--experiment`, the name `generate` used before the flags were shared. */
  experiment?: string;
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
  retryBudget?: number;
  cache?: string | false;
  promptTemplate?: string;
  retryErrors?: boolean;
  settingsChanged?: SettingsChanged;
  rounds?: number;
  feedbackBase?: string;
  analyzer?: string;
  shard?: Shard | 'auto';
  batch?: boolean;
  batchDetach?: boolean;
}

export const MODEL_HELP = `${MODEL_SPEC_FORMS}; LABEL=SPEC names the run (e.g. gpt4o=openai:gpt-4o)`;

export function addGenerationOptions(cmd: Command, experimentsDefault: string): Command {
  return addDatasetOptions(cmd)
    .option('-e, --experiments <names>', `comma-separated experiments or "all" (the paper's four): ${EXPERIMENT_NAMES.join(', ')} (default ${experimentsDefault})`)
    .addOption(new Option('--experiment <names>', 'same as --experiments').hideHelp())
    .option('-n, --n <count>', 'samples per task (default 1; replay: all the file has)', generationArg('n'))
    .option('--temperature <t>', 'sampling temperature (not sent unless given)', temperatureArg)
    .option('--top-p <p>', 'nucleus sampling (not sent unless given)', topPArg)
    .option('--max-tokens <n>', 'answer length limit (default 2048)', generationArg('maxTokens'))
    .option('--seed <n>', 'base seed; sample i sends seed + i', seedArg)
    .option('--tasks <list>', 'comma-separated task IDs and/or CWE identifiers (CWE-79 = CWE-079)')
    .option('--subset <name>', 'base (SecEvalBase) or plus (SecEvalPlus)')
    .option('-c, --concurrency <n>', 'requests in flight at most (default 4; cut when the server pushes back)', generationArg('concurrency'))
    .option('--base-url <url>', 'server root for the client (OpenAI-style: ends in /v1); default OPENAI_BASE_URL / ANTHROPIC_BASE_URL')
    .option('--retry-budget <seconds>', 'time a sample may spend retrying 408/409/429/5xx, timeouts and resets, honouring Retry-After (default 300)', retryBudgetArg)
    .option('--max-retries <n>', 'at most this many retries per sample (default: as many as --retry-budget allows)', maxRetriesArg)
    .option('--request-timeout <seconds>', 'whole request, body included, per attempt (default 300)', requestTimeoutArg)
    .option('--cache <dir>', 'response cache folder (default <cache dir>/responses)')
    .option('--no-cache', 'neither read nor write the response cache')
    .option('--prompt-template <path>', 'template file (one experiment) or folder of <experiment>.<chat|completion>.txt files')
    .option('--retry-errors', 'make again the samples whose requests failed in an earlier run')
    .addOption(
      new Option('--settings-changed <policy>', 'when --out holds samples made with other sampling settings: refuse, or record the new ones apart as "new"')
        .choices([...SETTINGS_CHANGED])
        .default('refuse'),
    )
    .option('--rounds <n>', 'feedback-repair experiments: feedback rounds after round 0 (default 3)', generationArg('rounds'))
    .option('--feedback-base <experiment>', 'feedback-repair experiments: the single-shot experiment of round 0 (default direct-generation)')
    .option('--analyzer <name>', 'feedback-repair experiments: the static analyzer whose findings are fed back (default bandit)')
    .option('--shard <I/N|auto>', SHARD_HELP, shardArg)
    .option('--batch', "openai: and anthropic: models: ask through the provider's batch API (half price, answers within 24 h); resumable")
    .option('--batch-detach', 'with --batch: submit the batches, record them and exit; the same command later collects them');
}

/** The experiments asked for, from either spelling of the flag. */
export function experimentsFrom(flags: GenerationFlags, fallback: string): string[] {
  if (flags.experiments !== undefined && flags.experiment !== undefined && flags.experiments !== flags.experiment) {
    throw new UserError('--experiments and --experiment are the same flag: give it once');
  }
  return parseExperiments(flags.experiments ?? flags.experiment ?? fallback, flags.experiments !== undefined ? '--experiments' : '--experiment');
}

/** Sampling and request settings for `generateSamples`, from the shared flags. */
export function generationOptionsFrom(
  flags: GenerationFlags,
): Omit<GenerateOptions, 'dataset' | 'model' | 'outFile' | 'experiments' | 'signal' | 'onProgress' | 'onNotice'> {
  if (flags.feedbackBase !== undefined) parseExperiments(flags.feedbackBase, '--feedback-base');
  return {
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
    retryBudgetMs: flags.retryBudget !== undefined ? flags.retryBudget * 1000 : undefined,
    cacheDir: flags.cache === false ? null : flags.cache,
    promptTemplate: flags.promptTemplate,
    retryErrors: flags.retryErrors,
    settingsChanged: flags.settingsChanged,
    rounds: flags.rounds,
    feedbackBase: flags.feedbackBase,
    analyzer: flags.analyzer,
    ...(flags.shard !== undefined ? { shard: shardFrom(flags.shard) } : {}),
    batch: flags.batch || flags.batchDetach,
    batchDetach: flags.batchDetach,
  };
}
