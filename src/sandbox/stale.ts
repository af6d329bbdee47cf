import { lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Engine folders (`codeseceval-engine-*` in the temporary folder) whose evaluation was killed
 * (kill -9, a crash, a lost node) and so never removed its own. Each folder names its owner:
 * pid and start time, so a pid reused by another process is not taken for the owner.
 */
export const ENGINE_PREFIX = 'codeseceval-engine-';
const OWNER_FILE = 'owner';

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name, which may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Mark `root` as this process's own. */
export function claimEngineFolder(root: string): void {
  writeFileSync(path.join(root, OWNER_FILE), `${process.pid} ${startTime(process.pid) ?? ''}\n`, { mode: 0o600 });
}

/**
 * Remove engine folders in `tmp` whose owner no longer runs. Only folders of ours: the right
 * name, a real folder (not a link) owned by this user, with an owner file naming a process
 * that is gone. Returns how many were removed.
 */
export function removeStaleEngineFolders(tmp: string): number {
  let removed = 0;
  let entries: string[];
  try {
    entries = readdirSync(tmp);
  } catch {
    return 0;
  }
  const uid = process.getuid?.();
  for (const entry of entries) {
    if (!entry.startsWith(ENGINE_PREFIX)) continue;
    const dir = path.join(tmp, entry);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      const [pidText, started] = readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim().split(' ');
      const pid = Number(pidText);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const now = startTime(pid);
      if (now !== null && (started === undefined || started === '' || now === started)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // Not ours to judge (no owner file: made before owners were recorded, or being made now).
    }
  }
  return removed;
}
