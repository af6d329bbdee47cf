import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, readLock, type LockInfo } from '../../src/io/index.js';
import { Child } from './io-child.js';
import { message, tempRoot } from './io-temp.js';

const { root } = tempRoot('io-lock-');
let n = 0;
function target(): string {
  return path.join(root, `t${++n}.jsonl`);
}

function inUse(t: string, holder: LockInfo): string {
  return `${t} is in use by pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.started}); wait for it to finish or stop it`;
}

function writeLock(t: string, info: Partial<LockInfo>): void {
  const full: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    started: '2024-01-01T00:00:00.000Z',
    command: 'codeseceval evaluate',
    token: 'feedface',
    ...info,
  };
  writeFileSync(`${t}.lock`, JSON.stringify(full));
}

describe('acquireLock in one process', () => {
  it('creates TARGET.lock with the owner and removes it on release', () => {
    const t = target();
    const lock = acquireLock(t, { command: 'codeseceval generate --out x' });
    const info = JSON.parse(readFileSync(`${t}.lock`, 'utf8')) as LockInfo;
    expect(info).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'codeseceval generate --out x' });
    expect(Date.parse(info.started)).toBeGreaterThan(Date.now() - 60_000);
    expect(readLock(t)).toEqual(info);
    expect(message(() => acquireLock(t))).toBe(`${t} is already in use by this process`);
    lock.release();
    lock.release();
    expect(existsSync(`${t}.lock`)).toBe(false);
    expect(readLock(t)).toBeNull();
    acquireLock(t).release();
  });

  it('shares one lock between two names of the same file', () => {
    const d = path.join(root, 'real');
    mkdirSync(d);
    symlinkSync(d, path.join(root, 'alias'));
    const lock = acquireLock(path.join(d, 'r.jsonl'));
    expect(message(() => acquireLock(path.join(root, 'alias', 'r.jsonl')))).toBe(
      `${path.join(root, 'alias', 'r.jsonl')} is already in use by this process`,
    );
    lock.release();
  });

  it('does not remove a lock that is no longer its own', () => {
    const t = target();
    const lock = acquireLock(t);
    writeLock(t, { pid: 1, token: 'someone-else' });
    lock.release();
    expect(readLock(t)?.token).toBe('someone-else');
  });

  it('takes over a lock whose pid now belongs to another process', () => {
    const t = target();
    // Our own pid, but a start time that is not ours: the holder died and the pid was reused.
    writeLock(t, { pid: process.pid, pidStart: '1' });
    const lock = acquireLock(t);
    expect(readLock(t)?.token).toBe(lock.info.token);
    lock.release();
  });

  it('takes over a lock from before the last reboot', () => {
    const t = target();
    // pid 1 is alive, so only the boot id can make this lock stale.
    writeLock(t, { pid: 1, boot: 'another-boot' });
    const lock = acquireLock(t);
    expect(readLock(t)?.pid).toBe(process.pid);
    lock.release();
    expect(readLock(t)).toBeNull();
  });

  it('never takes over a lock from another host, and says so', () => {
    const t = target();
    writeLock(t, { pid: 12345, host: 'build-7' });
    expect(message(() => acquireLock(t))).toBe(
      `${t} is in use by pid 12345 on build-7 (codeseceval evaluate, since 2024-01-01T00:00:00.000Z); that is another machine, so the lock is never taken over from here: if that process has ended, remove ${t}.lock`,
    );
    expect(readLock(t)?.host).toBe('build-7');
  });

  it('names a lock file it cannot read and a missing folder', () => {
    const t = target();
    writeFileSync(`${t}.lock`, 'garbage');
    expect(message(() => acquireLock(t))).toBe(
      `${t}: lock file ${t}.lock cannot be read (not JSON); if no other codeseceval process is using ${t}, remove ${t}.lock`,
    );
    const missing = path.join(root, 'nope', 'r.jsonl');
    expect(message(() => acquireLock(missing))).toBe(
      `${missing}: cannot create lock file ${missing}.lock: folder ${path.join(root, 'nope')} does not exist`,
    );
  });
});

describe('acquireLock across processes', () => {
  let children: Child[] = [];
  beforeAll(async () => {
    children = await Promise.all([Child.start(), Child.start(), Child.start()]);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
  });

  it('lets exactly one of several processes take over the same stale lock', async () => {
    const t = target();
    writeLock(t, { pid: process.pid, pidStart: '1', token: 'stale' });
    const replies = await Promise.all(children.map((c) => c.send('lock', t, 'racer')));
    const winners = replies.flatMap((r, i) => (r.ok ? [children[i]!] : []));
    expect(winners).toHaveLength(1);
    const holder = readLock(t)!;
    expect(holder.pid).toBe(winners[0]!.pid);
    for (const r of replies.filter((r) => !r.ok)) expect(r.message).toBe(inUse(t, holder));
    await winners[0]!.send('release', t);
    expect(existsSync(`${t}.lock`)).toBe(false);
  });

  it('refuses a live holder in another process, naming it; then takes over once it is killed', async () => {
    const t = target();
    const holder = children[0]!;
    expect(await holder.send('lock', t, 'codeseceval evaluate --out r.jsonl')).toEqual({ ok: true });
    const info = readLock(t)!;
    expect(info.pid).toBe(holder.pid);
    expect(message(() => acquireLock(t))).toBe(inUse(t, info));

    // The other way round: a child meets this process's lock.
    const t2 = target();
    const mine = acquireLock(t2, { command: 'codeseceval run --out runs/x' });
    const refused = await children[1]!.send('lock', t2, 'second');
    expect(refused).toMatchObject({ ok: false, name: 'FileError', message: inUse(t2, mine.info) });
    mine.release();
    expect(await children[1]!.send('lock', t2, 'second')).toEqual({ ok: true });

    await holder.stop(); // SIGKILL: no exit handler runs, the lock file stays
    expect(readLock(t)?.pid).toBe(info.pid);
    const taken = acquireLock(t, { command: 'after the crash' });
    expect(readLock(t)).toMatchObject({ pid: process.pid, command: 'after the crash' });
    taken.release();
    expect(existsSync(`${t}.lock`)).toBe(false);
  });

  it('releases its locks when the process exits without releasing them', async () => {
    const t = target();
    const c = children[2]!;
    expect(await c.send('lock', t, 'exiting')).toEqual({ ok: true });
    expect(readLock(t)?.pid).toBe(c.pid);
    void c.send('exit', 0).catch(() => undefined);
    expect(await c.exited).toBe(0);
    expect(existsSync(`${t}.lock`)).toBe(false);
  });
});

describe('one writer per file, whatever its name', () => {
  let child: Child;
  beforeAll(async () => {
    child = await Child.start();
  });
  afterAll(async () => {
    await child.stop();
  });

  it('refuses a hard link of a file another process writes, naming the name it writes under', async () => {
    const first = target();
    writeFileSync(first, '{"a":1}\n');
    const other = path.join(root, 'elsewhere');
    mkdirSync(other, { recursive: true });
    const linked = path.join(other, 'linked.jsonl');
    linkSync(first, linked);
    expect(await child.send('lock', first, 'codeseceval evaluate --out first')).toEqual({ ok: true });
    const holder = readLock(first)!;
    expect(message(() => acquireLock(linked))).toBe(
      `${linked} is in use through ${first} (the same file: a hard link or another mount of it) by pid ${holder.pid} on ${holder.host} (codeseceval evaluate --out first, since ${holder.started}); wait for it to finish or stop it`,
    );
    // Nothing of the refused attempt is left behind: once the first is done the link is free.
    expect(existsSync(`${linked}.lock`)).toBe(false);
    await child.send('release', first);
    const mine = acquireLock(linked);
    expect(await child.send('lock', first, 'again')).toMatchObject({ ok: false, message: expect.stringContaining(`through ${linked}`) });
    mine.release();
  });

  it('an inode lock whose holder\'s file is no longer that inode is not about ours, unless the holder has it open', async () => {
    // The holder's name is replaced (rename over it) while a second name keeps the old inode:
    // what a deleted file whose inode number is given to a new file looks like from here.
    const first = target();
    writeFileSync(first, 'old\n');
    const other = path.join(root, `kept-${path.basename(first)}`);
    linkSync(first, other);
    expect(await child.send('lock', first, 'holder')).toEqual({ ok: true });
    writeFileSync(`${first}.new`, 'new\n');
    renameSync(`${first}.new`, first);
    acquireLock(other).release();
    await child.send('release', first);
    // The same, but the holder keeps the old inode open (a writer that goes on writing it): refused.
    const second = target();
    writeFileSync(second, 'old\n');
    const kept = path.join(root, `kept-${path.basename(second)}`);
    linkSync(second, kept);
    expect(await child.send('lock', second, 'holder')).toEqual({ ok: true });
    expect(await child.send('open', second)).toEqual({ ok: true });
    writeFileSync(`${second}.new`, 'new\n');
    renameSync(`${second}.new`, second);
    expect(message(() => acquireLock(kept))).toMatch(new RegExp(`is in use through ${second.replace(/[.]/g, '\\.')} .*\\(holder,`));
    await child.send('close', second);
    await child.send('release', second);
  });

  it('refuses a symbolic link of a file another process writes', async () => {
    const first = target();
    writeFileSync(first, '');
    const link = path.join(root, `sym-${path.basename(first)}`);
    symlinkSync(first, link);
    expect(await child.send('lock', first, 'writer')).toEqual({ ok: true });
    expect(message(() => acquireLock(link))).toMatch(/is in use by pid \d+ .*\(writer,/);
    await child.send('release', first);
  });
});
