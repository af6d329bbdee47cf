import { z } from 'zod';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');

/**
 * A pinned upstream dataset: the public commit it comes from and every data file's SHA-256,
 * so a download is checked byte for byte before it is installed.
 */
export const Manifest = z.object({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  /** The folder of the repository that is installed (`CodeSecEval`), or '' for the repository's top. */
  folder: z.string(),
  /**
   * The paths (relative to `folder`) that are data: a file, or a folder whose whole contents
   * are. Everything else in the repository archive is skipped.
   */
  dataRoots: z.array(z.string().min(1)).min(1),
  /** File names that are never data wherever they appear (Finder litter, notebooks). */
  skip: z.array(z.string().min(1)).default([]),
  /** Path relative to `folder`, always with `/` separators. */
  files: z.record(z.string().min(1), z.object({ sha256: Sha256, size: z.number().int().nonnegative() })),
});
export type Manifest = z.infer<typeof Manifest>;
