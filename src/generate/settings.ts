import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SampleParams } from '../core/sample.js';

/**
 * A run's sampling settings are part of its identity: numbers made at temperature 0 must never
 * be reported as made at 0.8. What an earlier line of the samples file recorded is compared
 * with what this command would send for the same sample.
 */
export const SETTINGS_CHANGED = ['refuse', 'new'] as const;
export type SettingsChanged = (typeof SETTINGS_CHANGED)[number];

/** The part of a samples line that says how it was made (older files may lack some of it). */
export const RecordedSettings = z.looseObject({
  model: z.string(),
  model_spec: z.string().optional(),
  prompt_hash: z.string().optional(),
  params: SampleParams.partial().optional(),
});
export type RecordedSettings = z.infer<typeof RecordedSettings>;

export interface WantedSettings {
  modelSpec: string;
  temperature: number | null;
  topP: number | null;
  maxTokens: number;
  /** Base seed (sample i sends seed + i; lines record the base). */
  seed: number | null;
  n: number;
  promptHash: string;
}

/** Each differing setting as "name: recorded → wanted"; empty when the line matches. */
export function settingsDifferences(line: RecordedSettings, want: WantedSettings): string[] {
  const out: string[] = [];
  const p = line.params;
  const differ = (name: string, had: Setting, now: Setting) => {
    if (had !== undefined && had !== now) out.push(`${name} ${show(had)} → ${show(now)}`);
  };
  differ('model', line.model_spec ?? line.model, want.modelSpec);
  if (p) {
    differ('temperature', p.temperature, want.temperature);
    differ('top-p', p.top_p, want.topP);
    differ('max tokens', p.max_tokens, want.maxTokens);
    // Lines record the base seed (the provider sends seed + sample index).
    differ('seed', p.seed, want.seed);
    // n is recorded but may grow: sample i is the same request whatever n is, so asking for
    // more samples later extends the set instead of changing it.
  }
  // The prompt's hash covers the template and the task text it was filled with.
  if (line.prompt_hash !== undefined && line.prompt_hash !== want.promptHash) out.push('prompt (template or task text) changed');
  return out;
}

/** A recorded or wanted setting: a number or text, null when unset. */
type Setting = string | number | boolean | null | undefined;

function show(v: Setting): string {
  return v === null ? 'unset' : String(v);
}

/**
 * A short, stable suffix naming a set of settings (`prompts` identifies the planned prompts),
 * so `--settings-changed new` records the new samples under their own model name.
 */
export function settingsTag(want: Omit<WantedSettings, 'promptHash'>, prompts: string): string {
  return createHash('sha256')
    .update(JSON.stringify([want.modelSpec, want.temperature, want.topP, want.maxTokens, want.seed, want.n, prompts]))
    .digest('hex')
    .slice(0, 6);
}
