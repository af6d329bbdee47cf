/**
 * Regenerate a benchmark's manifest.json from a known-good copy of its upstream data.
 *
 *   npx tsx scripts/gen-manifest.ts BENCHMARK DATASET_DIR [COMMIT]
 *   npx tsx scripts/gen-manifest.ts codeseceval ../shared/datasets/codeseceval
 *
 * Run it only when moving the pin to a new upstream commit, from a copy taken at that commit.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmarkOf } from '../src/benchmarks/index.js';
import { hashDataTree } from '../src/benchmarks/fetch/manifest.js';
import { Manifest } from '../src/core/manifest.js';
import { writeFileAtomicSync } from '../src/io/write.js';

const [name, source, commitArg] = process.argv.slice(2);
if (!name || !source) {
  process.stderr.write('usage: tsx scripts/gen-manifest.ts BENCHMARK DATASET_DIR [COMMIT]\n');
  process.exit(2);
}
const pinned = benchmarkOf(name).fetch?.manifest;
if (!pinned) {
  process.stderr.write(`${name} has no pinned source\n`);
  process.exit(2);
}
const commit = commitArg ?? pinned.commit;
const files = await hashDataTree(path.resolve(source), pinned);
const manifest = Manifest.parse({ ...pinned, commit, files });
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'benchmarks', name, 'manifest.json');
writeFileAtomicSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`${out}: ${Object.keys(files).length} files, commit ${commit}\n`);
