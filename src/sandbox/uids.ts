/** First uid samples run as when the engine runs as root. */
export const SAMPLE_UID_BASE = 61000;

/** Sandbox workers one process may hold at once (the uid block each process owns). */
export const UIDS_PER_PROCESS = 256;

/** Offsets in this process's block held by live engines. */
const held = new Set<number>();

/**
 * The uids one engine's samples run as, one per worker slot.
 *
 * RLIMIT_NPROC counts every process of a uid on the machine, not of one sandbox: engines
 * whose samples share a uid share one process budget, so a fork bomb in one makes fork()
 * fail in the other (two evaluations at once, or two test files: a reference that runs
 * `python script.py` then fails with EAGAIN and its asserts are labelled broken). Each
 * process therefore owns a block of uids derived from its pid, which no other live process
 * has, and engines in the same process take distinct offsets in it.
 */
export class SampleUids {
  private readonly bySlot = new Map<number, number>();

  uidFor(slot: number): number {
    let offset = this.bySlot.get(slot);
    if (offset === undefined) {
      offset = 0;
      while (held.has(offset)) offset++;
      if (offset >= UIDS_PER_PROCESS) {
        throw new Error(`more than ${UIDS_PER_PROCESS} sandbox workers at once in one process`);
      }
      held.add(offset);
      this.bySlot.set(slot, offset);
    }
    return SAMPLE_UID_BASE + process.pid * UIDS_PER_PROCESS + offset;
  }

  release(): void {
    for (const offset of this.bySlot.values()) held.delete(offset);
    this.bySlot.clear();
  }
}
