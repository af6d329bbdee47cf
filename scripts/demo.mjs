#!/usr/bin/env node
// `npm run demo`: from a fresh clone to a first result in one command. Installs what is
// missing (scripts/setup.mjs), finds or fetches the CodeSecEval data, then runs the offline
// main job: the dataset's own Secure and Insecure Code as two "models" (the benchmark's
// ceiling and floor), direct generation, into runs/demo. A second run reuses everything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');
const out = join(root, 'runs/demo');

function say(line) {
  process.stderr.write(`demo: ${line}\n`);
}

function node(args, opts = {}) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function quiet(args, env) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, env, stdio: 'ignore' }).status === 0;
}

function main() {
  const setup = node([join(root, 'scripts/setup.mjs'), '--groups', 'runtime']);
  if (setup !== 0) return setup;

  // The data: $CODESECEVAL_DATASET or the fetch cache (the CLI's own look-up), then a copy
  // beside this checkout (../shared/datasets/codeseceval), then a download.
  const env = { ...process.env };
  if (!quiet(['dataset', 'stats'], env)) {
    if (process.env.CODESECEVAL_DATASET) {
      say(`CODESECEVAL_DATASET=${process.env.CODESECEVAL_DATASET} does not hold the CodeSecEval data`);
      return 1;
    }
    const beside = resolve(root, '../shared/datasets/codeseceval');
    if (existsSync(beside) && quiet(['dataset', 'stats', '--dataset', beside], env)) {
      say(`using the data at ${beside}`);
      env.CODESECEVAL_DATASET = beside;
    } else {
      say('downloading the CodeSecEval data (codeseceval dataset fetch)');
      const fetched = node([cli, 'dataset', 'fetch'], { env });
      if (fetched !== 0) return fetched;
    }
  }

  const code = node(
    [cli, 'run', '--model', 'reference:secure', '--model', 'reference:insecure', '--experiments', 'direct-generation', '--out', out],
    { env },
  );
  if (code !== 0) return code;
  const rel = relative(process.cwd(), out) || '.';
  process.stdout.write(
    `\nReport: ${join(rel, 'report.html')} (also report.md, report.json)\n` +
      `Browse it: npx codeseceval view ${rel} --open\n` +
      'Next, a real model: see docs/running-models.md\n',
  );
  return 0;
}

process.exitCode = main();
