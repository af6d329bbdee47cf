// Starts a worker (the viewer's, merge's) from the TypeScript sources (tests, `tsx`): a worker thread does
// not inherit the parent's loader, so it registers tsx before importing the module. The
// compiled package starts the worker's .js file directly and never loads this file.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.module);
