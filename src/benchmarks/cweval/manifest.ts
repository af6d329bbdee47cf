import { Manifest } from '../../core/manifest.js';
import manifestJson from './manifest.json' with { type: 'json' };

/** The pinned CWEval data (scripts/gen-manifest.ts writes manifest.json from a known-good copy). */
export const CWEVAL_MANIFEST: Manifest = Manifest.parse(manifestJson);
