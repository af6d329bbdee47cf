import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/write.js';
import path from 'node:path';
import { z } from 'zod';
import type { Prompt, SamplingParams } from '../core/model.js';

/**
 * Everything that changes a model's answer. The sample index is part of it so that n samples
 * of one prompt are n answers, not one answer n times; the seed sent is derived from it too.
 */
export interface CacheKeyParts {
  provider: string;
  model: string;
  baseURL: string;
  prompt: Prompt;
  params: SamplingParams;
  sampleIndex: number;
}

export const CachedResponse = z.object({
  text: z.string(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }).nullable(),
  latencyMs: z.number(),
  finishReason: z.string().nullable(),
  createdAt: z.string(),
  /** The batch that made this answer (at batch prices), when one did. */
  batch: z.string().optional(),
});
export type CachedResponse = z.infer<typeof CachedResponse>;

/** JSON with object keys sorted, so equal inputs hash equally whatever order they were built in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export function cacheKey(parts: CacheKeyParts): string {
  const { params } = parts;
  const material = {
    v: 1,
    provider: parts.provider,
    model: parts.model,
    baseURL: parts.baseURL.replace(/\/+$/, ''),
    prompt: parts.prompt,
    params: {
      temperature: params.temperature ?? null,
      top_p: params.topP ?? null,
      max_tokens: params.maxTokens,
      seed: params.seed ?? null,
      stop: params.stop ?? null,
    },
    sampleIndex: parts.sampleIndex,
  };
  return createHash('sha256').update(canonical(material)).digest('hex');
}

/**
 * Model answers on disk, one file per key (`<dir>/<2 hex>/<key>.json`). A file is written
 * under a temporary name and renamed into place, so a crash leaves either the whole answer or
 * none, and concurrent runs sharing the cache never see half a file.
 */
export class ResponseCache {
  constructor(readonly dir: string) {}

  private fileOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  get(key: string): CachedResponse | null {
    let text: string;
    try {
      text = readFileSync(this.fileOf(key), 'utf8');
    } catch {
      return null;
    }
    try {
      const parsed = CachedResponse.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      // A damaged entry is a miss; the fresh answer replaces it.
      return null;
    }
  }

  put(key: string, value: CachedResponse): void {
    // One answer per file, renamed into place: concurrent runs sharing the cache never see
    // half a file. No fsync: a lost entry is only a cache miss.
    writeFileAtomicSync(this.fileOf(key), JSON.stringify(value), { mkdir: true, fsync: false });
  }

}
