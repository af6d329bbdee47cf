import { UserError } from '../util/errors.js';

export type ModelSpec =
  | { kind: 'openai'; model: string }
  | { kind: 'openai-completions'; model: string }
  | { kind: 'anthropic'; model: string }
  | { kind: 'reference'; variant: 'secure' | 'insecure' }
  | { kind: 'replay'; file: string };

export const MODEL_SPEC_FORMS =
  'openai:<model>, openai-completions:<model>, anthropic:<model>, reference:secure, reference:insecure, replay:<file.jsonl>';

/**
 * Parse `--model`. Only the first colon separates the provider, because model names carry
 * colons of their own (Ollama's "qwen2.5-coder:7b") and so may replay paths.
 */
export function parseModelSpec(spec: string): ModelSpec {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1).trim();
  const bad = (why: string) => new UserError(`--model "${spec}": ${why}; valid forms: ${MODEL_SPEC_FORMS}`);
  switch (kind) {
    case 'openai':
    case 'openai-completions':
    case 'anthropic':
      if (!rest) throw bad('no model name after the colon');
      return { kind, model: rest };
    case 'reference':
      if (rest !== 'secure' && rest !== 'insecure') throw bad('reference takes "secure" or "insecure"');
      return { kind, variant: rest };
    case 'replay':
      if (!rest) throw bad('no file after "replay:"');
      return { kind, file: rest };
    default:
      throw bad(colon < 0 ? 'no provider prefix' : `unknown provider "${kind}"`);
  }
}
