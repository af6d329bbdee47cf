import { Manifest } from '../../core/manifest.js';
import manifestJson from './manifest.json' with { type: 'json' };

/** The pinned SALLM data (scripts/gen-manifest.ts writes manifest.json from a known-good copy). */
export const SALLM_MANIFEST: Manifest = Manifest.parse(manifestJson);
