import { parseModelArg } from './registry.js';
import { replayFileExperiments } from './replay.js';

/**
 * The experiments `run` asks a model for when the user names none. A replay file answers
 * what it was made for: the experiments its lines carry, else direct-generation alone (the
 * same programs copied into all four experiments would report four identical rows as if
 * they were four measurements). Other models get `all`.
 */
export function defaultExperiments(modelArg: string, all: readonly string[]): string[] {
  const model = parseModelArg(modelArg);
  if (model.entry.kind !== 'replay') return [...all];
  const tagged = replayFileExperiments(model.parsed.file!);
  return tagged.length ? tagged : ['direct-generation'];
}
