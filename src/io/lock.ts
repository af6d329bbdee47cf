/**
 * One writer per output: `acquireLock(target, { command })` creates `TARGET.lock` next to the
 * target (its real path, so two spellings of one file share a lock) holding JSON
 * `{ pid, host, started, command, boot, pidStart, token }`, and returns a `Lock` whose
 * `release()` removes it. Locks still held when the process exits (normally, or through
 * process.exit from a signal handler) are released by an 'exit' handler; a process killed
 * outright leaves its lock behind, and the next taker finds it stale.
 *
 * When the lock file exists:
 * - same host, holder gone (no such pid, a zombie, a pid reused by another process since, or
 *   a reboot since): stale, taken over;
 * - same host, holder alive: UserError
 *   `TARGET is in use by pid N on HOST (COMMAND, since TIME); wait for it to finish or stop it`;
 * - another host: never taken over, since its process cannot be checked from here; the
 *   message says so and how to remove the lock by hand.
 *
 * The lock file appears whole or not at all: it is written under a temporary name and
 * hard-linked into place, which fails if a lock already exists (where hard links are not
 * supported, O_EXCL create then write). A takeover happens under a short-lived
 * `TARGET.lock.takeover` guard and only after checking that the stale lock is still the one
 * found stale, so two processes finding the same stale lock cannot both win.
 *
 * `readLock(target)` returns the current holder's info (or null) for diagnostics.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { errnoCode, FileError, fsReason, oneLine } from './errors.js';
import { createFolder, realTarget, tempFolderError } from './paths.js';

const LockInfo = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  started: z.string(),
  command: z.string(),
  boot: z.string().nullable().optional(),
  pidStart: z.string().nullable().optional(),
  token: z.string(),
  /** The path the holder named (lets an inode lock name the other spelling of the file). */
  target: z.string().optional(),
  /** Its real path, where an inode lock's taker checks that the holder's file is still that inode. */
  real: z.string().optional(),
});
export type LockInfo = z.infer<typeof LockInfo>;

export interface Lock {
  /** The target as the caller named it. */
  readonly target: string;
  /** The lock file's real path. */
  readonly file: string;
  readonly info: LockInfo;
  /** Remove the lock file if it is still ours. Safe to call more than once. */
  release(): void;
}

export interface LockOptions {
  /** What the holder is doing, shown to a process that finds the lock taken. */
  command?: string;
}

const held = new Map<string, LockImpl>();
let exitHookInstalled = false;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let bootIdCache: string | null | undefined;
function bootId(): string | null {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache;
}

/** State and start time (clock ticks since boot) of a process, from Linux's /proc. */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const start = fields[19];
    return state && start ? { state, start } : null;
  } catch {
    return null;
  }
}

function holderAlive(info: LockInfo): boolean {
  const boot = bootId();
  if (info.boot && boot && info.boot !== boot) return false;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    if (errnoCode(e) === 'ESRCH') return false;
  }
  const st = procStat(info.pid);
  if (st) {
    if (st.state === 'Z' || st.state === 'X') return false;
    if (info.pidStart && st.start !== info.pidStart) return false;
  }
  return true;
}

function defaultCommand(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]).replace(/\.[cm]?[jt]s$/, '') : 'node';
  return [script, ...process.argv.slice(2)].join(' ');
}

function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host} (${info.command}, since ${info.started})`;
}

type ReadResult = { kind: 'none' } | { kind: 'bad'; reason: string } | { kind: 'lock'; info: LockInfo };

function readLockFile(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'none' };
    return { kind: 'bad', reason: fsReason(e) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'bad', reason: text ? 'not JSON' : 'empty' };
  }
  const parsed = LockInfo.safeParse(json);
  return parsed.success ? { kind: 'lock', info: parsed.data } : { kind: 'bad', reason: 'not a lock file of this tool' };
}

/**
 * A lock file is written by O_EXCL-create-then-write only where hard links are missing; a
 * reader may then catch it empty for a moment, so unreadable content is re-read briefly.
 */
function readLockSettled(file: string): ReadResult {
  let r = readLockFile(file);
  for (let i = 0; i < 10 && r.kind === 'bad'; i++) {
    sleepSync(20);
    r = readLockFile(file);
  }
  return r;
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Create `file` holding `content` unless it exists: true when created. */
function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let linked = false;
  try {
    writeFileSync(tmp, content, { flag: 'wx' });
    try {
      linkSync(tmp, file);
      linked = true;
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') return false;
      if (!NO_LINKS.has(errnoCode(e) ?? '')) throw e;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
  }
  if (linked) return true;
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    const data = Buffer.from(content);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function unlinkIfToken(file: string, token: string): void {
  const r = readLockFile(file);
  if (r.kind === 'lock' && r.info.token === token) {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

class LockImpl implements Lock {
  private released = false;

  constructor(
    readonly target: string,
    readonly file: string,
    readonly info: LockInfo,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.file);
    unlinkIfToken(this.file, this.info.token);
  }
}

function releaseAll(): void {
  for (const lock of [...held.values()]) lock.release();
}

/**
 * Remove a stale lock, but only if it is still the one found stale: another process may have
 * removed it and taken the lock meanwhile. The check and the removal happen under a guard file
 * so no two processes interleave them.
 */
function removeStale(file: string, stale: LockInfo, mine: LockInfo): void {
  const guard = `${file}.takeover`;
  const content = JSON.stringify({ ...mine, token: randomBytes(12).toString('hex') });
  const guardToken = (JSON.parse(content) as LockInfo).token;
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(guard, content)) break;
    const g = readLockFile(guard);
    if (g.kind === 'lock' && g.info.host === mine.host && !holderAlive(g.info)) {
      // Its taker died inside the guard (a window of microseconds).
      try {
        unlinkSync(guard);
      } catch {
        // someone else removed it
      }
      continue;
    }
    if (g.kind === 'bad' && guardAge(guard) > 5000) {
      try {
        unlinkSync(guard);
      } catch {
        // someone else removed it
      }
      continue;
    }
    if (attempt > 100) throw new Error(`${guard} stays in place`);
    sleepSync(20);
  }
  try {
    const now = readLockFile(file);
    if (now.kind === 'lock' && now.info.token === stale.token) unlinkSync(file);
  } finally {
    unlinkIfToken(guard, guardToken);
  }
}

function guardAge(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

export function acquireLock(target: string, opts: LockOptions = {}): Lock {
  const byPath = acquireLockFile(target, `${realTarget(target)}.lock`, `${target}.lock`, opts, null, new Date().toISOString());
  // Hard links and bind mounts give one file several real paths: an existing file is also
  // locked by its device and inode, so every name of it has one writer.
  const id = fileIdentity(target);
  if (id === null) return byPath;
  try {
    const dir = inodeLockDir();
    const byInode = acquireLockFile(target, path.join(dir, `${id}.lock`), `${target}.lock`, opts, target, byPath.info.started, id);
    return new LockPair(byPath, byInode);
  } catch (e) {
    byPath.release();
    throw e;
  }
}

/**
 * An inode lock whose live holder's file is no longer this inode: that file was deleted (or
 * replaced) and the inode number given to a new file, ours. The lock is then not about our
 * file, unless the holder still has our inode open (a file replaced under a writer that keeps
 * writing the old one through another link): Linux's /proc tells. Unknown means in use.
 */
function inodeReused(holder: LockInfo, identity: string): boolean {
  if (holder.real === undefined || fileIdentity(holder.real) === identity) return false;
  const fds = `/proc/${holder.pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(fds);
  } catch {
    return false;
  }
  for (const n of names) {
    try {
      const st = statSync(path.join(fds, n));
      if (`${st.dev}-${st.ino}` === identity) return false;
    } catch {
      // closed meanwhile, or not a file
    }
  }
  return true;
}

/** "dev-ino" of an existing regular file, or null. */
function fileIdentity(target: string): string | null {
  try {
    const st = statSync(target);
    return st.isFile() ? `${st.dev}-${st.ino}` : null;
  } catch {
    return null;
  }
}

/** Per-user folder of the inode locks (on this machine: inodes mean nothing on another). */
function inodeLockDir(): string {
  const dir = path.join(os.tmpdir(), `codeseceval-locks-${process.getuid?.() ?? 'user'}`);
  try {
    createFolder(dir, 0o700);
  } catch (e) {
    throw tempFolderError(e, 'output locks');
  }
  return dir;
}

class LockPair implements Lock {
  constructor(
    private readonly byPath: Lock,
    private readonly byInode: Lock,
  ) {}
  get target(): string {
    return this.byPath.target;
  }
  get file(): string {
    return this.byPath.file;
  }
  get info(): LockInfo {
    return this.byPath.info;
  }
  release(): void {
    this.byInode.release();
    this.byPath.release();
  }
}

/**
 * Take one lock file. `sameFile` is set for the inode lock: a holder found there wrote the
 * file under another name, which the message gives.
 */
function acquireLockFile(target: string, file: string, shown: string, opts: LockOptions, sameFile: string | null, started: string, identity: string | null = null): Lock {
  if (held.has(file)) throw new FileError(`${target} is already in use by this process`, target);
  const pidStart = procStat(process.pid)?.start ?? null;
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    started,
    command: oneLine(opts.command ?? defaultCommand()).slice(0, 300),
    boot: bootId(),
    pidStart,
    token: randomBytes(12).toString('hex'),
    ...(sameFile !== null ? { target: sameFile, real: realTarget(sameFile) } : {}),
  };
  const content = `${JSON.stringify(info)}\n`;
  for (let attempt = 0; attempt < 20; attempt++) {
    let created: boolean;
    try {
      created = createExclusive(file, content);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' && !existsSync(path.dirname(file))) {
        throw new FileError(`${target}: cannot create lock file ${shown}: folder ${path.dirname(target)} does not exist`, target);
      }
      throw new FileError(`${target}: cannot create lock file ${shown}: ${fsReason(e)}`, target);
    }
    if (created) {
      const lock = new LockImpl(target, file, info);
      held.set(file, lock);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on('exit', releaseAll);
      }
      return lock;
    }
    const existing = readLockSettled(file);
    if (existing.kind === 'none') continue;
    if (existing.kind === 'bad') {
      throw new FileError(
        `${target}: lock file ${shown} cannot be read (${existing.reason}); if no other codeseceval process is using ${target}, remove ${shown}`,
        target,
      );
    }
    const holder = existing.info;
    if (holder.host !== info.host) {
      throw new FileError(
        `${target} is in use by ${describeHolder(holder)}; that is another machine, so the lock is never taken over from here: if that process has ended, remove ${shown}`,
        target,
      );
    }
    if (holderAlive(holder) && !(identity !== null && inodeReused(holder, identity))) {
      const other = sameFile !== null && holder.target !== undefined ? ` through ${holder.target} (the same file: a hard link or another mount of it)` : '';
      throw new FileError(`${target} is in use${other} by ${describeHolder(holder)}; wait for it to finish or stop it`, target);
    }
    try {
      removeStale(file, holder, info);
    } catch (e) {
      throw new FileError(`${target}: cannot take over the stale lock ${shown}: ${fsReason(e)}`, target);
    }
  }
  throw new FileError(`${target}: cannot take the lock ${shown}: other processes keep taking it`, target);
}

/** Who holds the lock on `target` now, or null. */
export function readLock(target: string): LockInfo | null {
  const r = readLockFile(`${realTarget(target)}.lock`);
  return r.kind === 'lock' ? r.info : null;
}

/**
 * Is a command still working on `target`? 'running' when a live process on this machine
 * holds its lock, 'elsewhere' when another machine does (its process cannot be checked from
 * here), 'stale' when the holder is gone (the command was killed), 'none' without a lock.
 * Lets the viewer tell a run in progress from one that was interrupted.
 */
export function lockState(target: string): 'none' | 'running' | 'elsewhere' | 'stale' {
  const info = readLock(target);
  if (!info) return 'none';
  if (info.host !== os.hostname()) return 'elsewhere';
  return holderAlive(info) ? 'running' : 'stale';
}
