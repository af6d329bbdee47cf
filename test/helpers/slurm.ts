/**
 * A real one-node Slurm cluster for the tests, from Debian's slurm-wlm and munge (see
 * ../shared/docs/slurm-notes.md): started here when it is not running, as root; idempotent
 * (a running cluster is used as it is). Returns why it could not start, for the tests to skip
 * on (locally) or fail on (under CI=true).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
const ok = (cmd: string, args: string[]) => {
  const r = sh(cmd, args);
  return !r.error && r.status === 0;
};
const have = (cmd: string) => ok('sh', ['-c', `command -v ${cmd}`]);

function nodeUp(): boolean {
  const r = sh('sinfo', ['-h', '-o', '%t']);
  return !r.error && r.status === 0 && /\b(idle|mix|alloc)/.test(r.stdout);
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return check();
}

/** The munge user's numeric ids: by name, else from the folders the package made for it. */
function mungeIds(): { uid: number; gid: number } | null {
  const uid = sh('id', ['-u', 'munge']);
  const gid = sh('id', ['-g', 'munge']);
  if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  for (const d of ['/etc/munge', '/var/lib/munge', '/var/log/munge']) {
    if (existsSync(d)) {
      const st = statSync(d);
      if (st.uid !== 0) return { uid: st.uid, gid: st.gid };
    }
  }
  return null;
}

let started: Promise<string | null> | null = null;

/** Null when the cluster is up (now or already), else why not. */
export function startSlurm(): Promise<string | null> {
  started ??= start();
  return started;
}

async function start(): Promise<string | null> {
  if (have('sinfo') && nodeUp()) return null;
  if (process.getuid?.() !== 0) return 'a Slurm cluster can only be started as root';
  for (const cmd of ['slurmctld', 'slurmd', 'munged', 'sbatch']) if (!have(cmd)) return `${cmd} is not installed (npm run setup installs slurm-wlm and munge)`;
  // munge: a key and its folders owned by the munge user, the daemon run as that user. By
  // number (setpriv), since the user database may lack the name the package created.
  const who = mungeIds();
  if (!who) return 'no munge user (reinstall the munge package)';
  if (!existsSync('/etc/munge/munge.key')) {
    mkdirSync('/etc/munge', { recursive: true });
    writeFileSync('/etc/munge/munge.key', randomBytes(1024));
    chmodSync('/etc/munge/munge.key', 0o400);
  }
  for (const d of ['/var/lib/munge', '/var/log/munge', '/run/munge', '/etc/munge']) mkdirSync(d, { recursive: true });
  execFileSync('chown', ['-R', `${who.uid}:${who.gid}`, '/etc/munge', '/var/lib/munge', '/var/log/munge', '/run/munge']);
  if (!ok('sh', ['-c', 'munge -n | unmunge'])) {
    sh('setpriv', [`--reuid=${who.uid}`, `--regid=${who.gid}`, '--clear-groups', 'munged']);
    if (!(await until(() => ok('sh', ['-c', 'munge -n | unmunge']), 10_000))) return 'munged did not start';
  }
  if (!existsSync('/etc/slurm/slurm.conf')) {
    const host = os.hostname();
    const memMiB = Math.floor((os.totalmem() / 1024 / 1024) * 0.9);
    mkdirSync('/etc/slurm', { recursive: true });
    writeFileSync(
      '/etc/slurm/slurm.conf',
      [
        '# Written by codeseceval\'s test setup: a one-node cluster on this machine.',
        'ClusterName=local',
        `SlurmctldHost=${host}`,
        'AuthType=auth/munge',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SlurmUser=root',
        'SlurmctldPidFile=/run/slurmctld.pid',
        'SlurmdPidFile=/run/slurmd.pid',
        'SlurmdSpoolDir=/var/spool/slurmd',
        'StateSaveLocation=/var/spool/slurmctld',
        'SchedulerType=sched/backfill',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'ReturnToService=2',
        'SlurmctldLogFile=/var/log/slurm/slurmctld.log',
        'SlurmdLogFile=/var/log/slurm/slurmd.log',
        `NodeName=${host} CPUs=${os.cpus().length} RealMemory=${memMiB} State=UNKNOWN`,
        `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
  }
  for (const d of ['/var/spool/slurmctld', '/var/spool/slurmd', '/var/log/slurm']) mkdirSync(d, { recursive: true });
  if (!ok('pgrep', ['-x', 'slurmctld'])) sh('slurmctld', []);
  if (!ok('pgrep', ['-x', 'slurmd'])) sh('slurmd', []);
  if (await until(nodeUp, 20_000)) return null;
  // A node left down by an earlier run comes back when asked.
  sh('scontrol', ['update', `nodename=${os.hostname()}`, 'state=resume']);
  if (await until(nodeUp, 10_000)) return null;
  return `the Slurm node did not come up (sinfo: ${sh('sinfo', ['-h']).stdout.trim() || 'no answer'}; see /var/log/slurm/)`;
}
