/**
 * Benchmark of `merge`: synthesises 720,000 result lines (20 models x 4 experiments x 180
 * tasks x 50 samples, with programs and tracebacks of realistic size) split into 16 result
 * shards by the real shard rule, each with its environment record, then times
 * `codeseceval merge` on them in a fresh child process and prints wall seconds, CPU seconds
 * (user + system, of every thread), peak RSS and the machine's load average before and after.
 * On a shared machine the CPU time is the robust figure; the wall time includes waiting for a
 * core. Target: under 10 s wall.
 *
 * It runs the compiled CLI (`dist/cli/main.js`, what `npm install` gives users), building it
 * first with `npm run build`; `--tsx` runs the sources through tsx instead (about 0.7 s more
 * start-up per thread). `--runs N` repeats the merge N times on the same shards.
 *
 *   npm run bench:merge [-- --shards N] [--runs N] [--tsx] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { ENVIRONMENT_FORMAT, environmentFileFor, type EnvironmentFile } from '../src/core/environment.js';
import { shardFile, shardKey, shardOfKey } from '../src/core/shard.js';
import { PAPER_EXPERIMENTS } from '../src/core/experiments.js';
import { PACKAGE_ROOT } from '../src/io/paths.js';
import { mulberry32 } from '../src/score/rng.js';

const MODELS = 20;
const TASKS = 180;
const SAMPLES = 50;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i !== -1 ? Number(process.argv[i + 1]) : fallback;
}

function program(task: number, model: number, s: number, rng: () => number): string {
  const lines = [`import os`, `import subprocess`, ``, `def task_${task}(path, user_input):`, `    """Handle the request of task ${task}."""`];
  const body = 15 + Math.floor(rng() * 25);
  for (let i = 0; i < body; i++) lines.push(`    value_${i} = os.path.join(path, str(user_input)[:${i + 1}])  # model ${model} sample ${s}`);
  lines.push('    return value_0');
  return `${lines.join('\n')}\n`;
}

async function synthesise(dir: string, count: number): Promise<{ files: string[]; lines: number }> {
  const rng = mulberry32(7);
  const base = path.join(dir, 'results.jsonl');
  const files = Array.from({ length: count }, (_, index) => shardFile(base, { index, count }));
  const outs = files.map((f) => createWriteStream(f));
  const perShard = new Array<number>(count).fill(0);
  for (let m = 0; m < MODELS; m++) {
    const model = `synthetic:model-${String(m + 1).padStart(2, '0')}`;
    for (const experiment of PAPER_EXPERIMENTS) {
      for (let t = 0; t < TASKS; t++) {
        const task_id = `CWE-${String(t % 80).padStart(3, '0')}_author_${t}.py`;
        for (let s = 0; s < SAMPLES; s++) {
          const passed = rng() < 0.5;
          const line = {
            task_id,
            sample_index: s,
            model,
            experiment,
            passed,
            status: passed ? 'passed' : 'failed',
            detail: passed ? 'check passed' : 'AssertionError at line 7',
            duration_ms: Math.round(20 + rng() * 300),
            stdout_tail: '',
            stderr_tail: passed ? '' : 'Traceback (most recent call last):\n  File "prog.py", line 12, in check\nAssertionError\n',
            solution: program(t, m, s, rng),
          };
          const k = shardOfKey(shardKey(line, s), count);
          perShard[k]!++;
          if (!outs[k]!.write(`${JSON.stringify(line)}\n`)) await once(outs[k]!, 'drain');
        }
      }
    }
  }
  await Promise.all(outs.map(async (o) => (o.end(), once(o, 'finish'))));
  files.forEach((f, index) => {
    const env: EnvironmentFile = {
      format: ENVIRONMENT_FORMAT,
      version: 1,
      records: [
        {
          lines: perShard[index] ? [[1, perShard[index]!]] : [],
          created_at: new Date().toISOString(),
          tool: { name: 'codeseceval', version: '0.1.0' },
          benchmark: { kind: 'codeseceval', source: '/data/codeseceval', repo: null, commit: null, content_sha256: 'a'.repeat(64), files: 180 },
          interpreter: { path: '/usr/bin/python3', executable: '/usr/bin/python3', version: '3.11.2' },
          packages: { flask: { distribution: 'Flask', version: '2.2.2' } },
          sandbox: { backend: 'bwrap', timeout: 10, memory_mb: 2048, file_size_mb: 64, max_procs: 64, jobs: 4, soft: false },
          shard: { index, count, samples_file: path.join(dir, 'samples.jsonl'), samples_sha256: 'b'.repeat(64), samples: perShard[index]! },
        },
      ],
    };
    writeFileSync(environmentFileFor(f), JSON.stringify(env));
  });
  return { files, lines: perShard.reduce((a, b) => a + b, 0) };
}

async function main(): Promise<void> {
  const count = arg('--shards', 16);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codeseceval-bench-merge-'));
  try {
    const { files, lines } = await synthesise(dir, count);
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const out = path.join(dir, 'results.jsonl');
    const tsx = process.argv.includes('--tsx');
    if (!tsx) {
      const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
      if (built.status !== 0) throw new Error('npm run build failed');
    }
    // The real command in a fresh process: its start-up is part of what a user waits for.
    const cli = tsx ? ['--import', 'tsx', path.join(PACKAGE_ROOT, 'src', 'cli', 'main.ts')] : [path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js')];
    const command = [process.execPath, ...cli, 'merge', ...files, '--out', out];
    const timed = existsSync('/usr/bin/time');
    for (let run = 0; run < arg('--runs', 1); run++) {
      rmSync(out, { force: true });
      const loadBefore = os.loadavg()[0]!;
      const t0 = performance.now();
      const r = timed ? spawnSync('/usr/bin/time', ['-f', 'peak-rss-kb %M cpu %U %S', ...command], { cwd: PACKAGE_ROOT, encoding: 'utf8' }) : spawnSync(command[0]!, command.slice(1), { cwd: PACKAGE_ROOT, encoding: 'utf8' });
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`merge failed: ${r.stderr}`);
      if (statSync(out).size !== bytes) throw new Error(`merged file has ${statSync(out).size} bytes, the shards ${bytes}`);
      const rss = /peak-rss-kb (\d+)/.exec(r.stderr)?.[1];
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
      console.log(
        `merge (${tsx ? 'sources via tsx' : 'dist'}): ${lines} result lines (${(bytes / 1e6).toFixed(0)} MB) in ${count} shards → one file in ${seconds.toFixed(2)} s wall (target < 10 s)` +
          `${cpu ? `, CPU ${(Number(cpu[1]) + Number(cpu[2])).toFixed(2)} s (user ${cpu[1]}, system ${cpu[2]})` : ''}${rss ? `, peak RSS ${(Number(rss) / 1024).toFixed(0)} MiB` : ''}` +
          `; load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after, on ${os.cpus().length} CPUs`,
      );
    }
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
