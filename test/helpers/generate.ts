import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import { GeneratedSample } from '../../src/core/sample.js';
import type { FakeServer } from './fake-openai.js';

/** Every line of a samples file, checked against the sample contract. */
export function readSamples(file: string): GeneratedSample[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => GeneratedSample.parse(JSON.parse(l)));
}

/**
 * For a test file's servers: returns `keep`, and every server given to it is closed after the
 * test that started it (closing one the test already closed is harmless).
 */
export function closeAfterEach(): <S extends FakeServer>(server: S) => S {
  const servers: FakeServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return (server) => {
    servers.push(server);
    return server;
  };
}
