import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectCgroups } from '../../src/sandbox/cgroups.js';

// detectCgroups on a made-up /sys/fs/cgroup: inside a Docker container (cgroup v1, no cgroup
// namespace of its own) /proc/self/cgroup names the host path `/docker/<id>`, which the
// container cannot see; creating sample cgroups there failed for every sample. Only root
// may make cgroups at all, so the cases below are about root. (A read-only mount, the other
// container case, cannot be made here without root mounts: scripts/image-smoke.sh meets it.)
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(path.join(os.tmpdir(), 'cgroups-detect-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function v1Root(name: string, existing: string): { root: string; self: string } {
  const root = path.join(work, name);
  for (const controller of ['memory', 'pids']) {
    mkdirSync(path.join(root, controller, existing), { recursive: true });
    writeFileSync(path.join(root, controller, 'cgroup.procs'), '');
  }
  const self = path.join(work, `${name}.self`);
  writeFileSync(self, '5:memory:/docker/abc123\n4:pids:/docker/abc123\n');
  return { root, self };
}

describe.skipIf(!isRoot)('detectCgroups (as root)', () => {
  it('finds v1 cgroups where the process\'s own cgroup is visible', () => {
    const { root, self } = v1Root('visible', 'docker/abc123');
    expect(detectCgroups(root, self)).toEqual({
      available: true,
      version: 'v1',
      parents: [path.join(root, 'memory/docker/abc123'), path.join(root, 'pids/docker/abc123')],
    });
  });

  it('says the cgroup is missing when /proc/self/cgroup names a path the container cannot see', () => {
    const { root, self } = v1Root('container', '');
    const r = detectCgroups(root, self);
    expect(r.available).toBe(false);
    expect(r.available === false && r.reason).toContain(`${path.join(root, 'memory/docker/abc123')} is missing or read-only`);
  });
});

describe('detectCgroups (not root)', () => {
  it.skipIf(isRoot)('needs root', () => {
    const { root, self } = v1Root('unprivileged', 'docker/abc123');
    const r = detectCgroups(root, self);
    expect(r.available).toBe(false);
  });
});
