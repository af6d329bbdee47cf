import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/prompts/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cse-prompt-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
  return d;
}

const bench = { name: 'mybench', dir: folder('bench', { 'direct-generation.chat.txt': 'BENCH {{problem}}\n' }) };
const user = (t: { body: unknown[] }) => t.body[0];

describe('which template an experiment gets', () => {
  it("takes the benchmark's own template before the built-in one, and the built-in one where the benchmark has none", () => {
    const got = loadTemplates(['direct-generation', 'direct-repair'], 'chat', undefined, bench);
    expect(got.get('direct-generation')!.name).toBe('mybench/direct-generation.chat');
    expect(user(got.get('direct-generation')!)).toBe('BENCH ');
    expect(got.get('direct-repair')!.name).toBe('direct-repair.chat');
    expect(loadTemplates(['direct-generation'], 'completion', undefined, bench).get('direct-generation')!.name).toBe('direct-generation.completion');
  });

  it("lets a user's --prompt-template folder or file win over the benchmark's own", () => {
    const mine = folder('mine', { 'direct-generation.chat.txt': 'MINE {{problem}}\n' });
    expect(loadTemplates(['direct-generation'], 'chat', mine, bench).get('direct-generation')!.name).toBe(path.join(mine, 'direct-generation.chat.txt'));
    const other = folder('other', { 'direct-repair.chat.txt': 'R {{insecure_code}}\n' });
    expect(loadTemplates(['direct-generation'], 'chat', other, bench).get('direct-generation')!.name).toBe('mybench/direct-generation.chat');
    const file = path.join(mine, 'direct-generation.chat.txt');
    expect(loadTemplates(['direct-generation'], 'chat', file, bench).get('direct-generation')!.name).toBe(file);
  });
});
