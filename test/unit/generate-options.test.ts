import { describe, expect, it } from 'vitest';
import { generationArg, requestTimeoutArg, temperatureArg } from '../../src/cli/parse.js';
import { checkGenerationSettings, GENERATION_RULES } from '../../src/generate/options.js';

describe('the generation settings: one schema for the CLI and the library', () => {
  it('refuses the same values in both, naming the flag', () => {
    for (const [name, bad, good] of [
      ['rounds', 21, 20],
      ['n', 0, 1],
      ['concurrency', 1.5, 2],
      ['maxTokens', 0, 1],
      ['temperature', 2.5, 2],
      ['topP', 0, 1],
      ['seed', 0.5, -3],
      ['maxRetries', -1, 0],
    ] as const) {
      const rule = GENERATION_RULES[name];
      expect(() => checkGenerationSettings({ [name]: bad })).toThrow(`${rule.flag} must be`);
      expect(() => generationArg(name)(String(bad))).toThrow(`${rule.flag} must be ${rule.what}, got "${bad}"`);
      expect(() => checkGenerationSettings({ [name]: good })).not.toThrow();
      expect(generationArg(name)(String(good))).toBe(good);
    }
  });

  it('checks milliseconds options in the seconds their flag takes', () => {
    expect(() => checkGenerationSettings({ requestTimeoutMs: 0 })).toThrow('--request-timeout must be seconds above 0, at most 86400, got 0');
    expect(() => checkGenerationSettings({ requestTimeoutMs: 86_400_001 })).toThrow('--request-timeout');
    expect(() => checkGenerationSettings({ retryBudgetMs: -1 })).toThrow('--retry-budget must be seconds from 0 to 86400, got -0.001');
    expect(() => requestTimeoutArg('0')).toThrow('--request-timeout must be seconds above 0, at most 86400, got "0"');
    expect(requestTimeoutArg('86400')).toBe(86_400);
  });

  it('words ranges for code and for the command line', () => {
    expect(() => checkGenerationSettings({ temperature: 3 })).toThrow('--temperature must be between 0 and 2, got 3');
    expect(() => temperatureArg('3')).toThrow('--temperature must be a number from 0 to 2, got "3"');
    expect(() => checkGenerationSettings({ settingsChanged: 'maybe' })).toThrow(/settingsChanged/);
    expect(() => checkGenerationSettings({ batch: 'yes' })).toThrow(/batch/);
  });
});
