import { constants, openSync } from 'node:fs';

/**
 * Opens a run file for reading without following a symlink in its last component: a run
 * folder holds model output, so a `results.jsonl` that links to `~/.ssh/id_rsa` must never
 * be read or served. Throws (ELOOP) for a symlink, like for a missing file.
 */
export function openNoFollow(file: string): number {
  return openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
}
