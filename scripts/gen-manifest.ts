/**
 * Regenerate src/benchmarks/codeseceval/manifest.json from a known-good copy of the upstream data folder.
 *
 *   npx tsx scripts/gen-manifest.ts ../shared/datasets/codeseceval [COMMIT]
 *
 * Run it only when moving the pin to a new upstream commit, from a copy taken at that commit.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Manifest, MANIFEST, hashDataTree } from '../src/benchmarks/codeseceval/manifest.js';
import { writeFileAtomicSync } from '../src/io/write.js';

const [source, commit = MANIFEST.commit] = process.argv.slice(2);
if (!source) {
  process.stderr.write('usage: tsx scripts/gen-manifest.ts DATASET_DIR [COMMIT]\n');
  process.exit(2);
}

const files = await hashDataTree(path.resolve(source), MANIFEST);
const manifest = Manifest.parse({ ...MANIFEST, commit, files });
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'benchmarks', 'codeseceval', 'manifest.json');
writeFileAtomicSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`${out}: ${Object.keys(files).length} files, commit ${commit}\n`);
