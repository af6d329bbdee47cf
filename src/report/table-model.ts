import type { GroupScore } from '../score/scores.js';
import { interval, pct } from './display.js';

/**
 * Tables as plain data, so the Markdown, HTML and CSV renderers print the same numbers and
 * differ only in markup.
 */
export interface Column {
  /** Header spanning adjacent columns with the same group (HTML), or a prefix (Markdown). */
  group?: string;
  label: string;
  numeric?: boolean;
}

export interface Cell {
  text: string;
  /** Extra detail: a tooltip in HTML (confidence interval, task count). */
  note?: string;
  tone?: 'na' | 'warn';
}

export interface Table {
  id: string;
  title: string;
  description?: string;
  columns: Column[];
  rows: Cell[][];
  notes: string[];
}

export const text = (t: string, tone?: Cell['tone']): Cell => (tone ? { text: t, tone } : { text: t });

export function scoreCell(g: GroupScore, j: number, confidence: number): Cell {
  const v = g.passAtK[j] ?? null;
  if (v === null) {
    const why = g.tasks === 0 ? 'no counted task with results' : `some task has fewer than k samples (fewest: ${g.minSamples})`;
    return { text: 'n/a', note: why, tone: 'na' };
  }
  return { text: pct(v), note: `${Math.round(confidence * 100)}% CI ${interval(g.ci[j] ?? null)} over ${g.tasks} tasks` };
}

/** Reasons a table shows n/a, said once under it. */
export function naNotes(groups: GroupScore[], ks: number[]): string[] {
  const short = groups.filter((g) => g.tasks > 0 && g.passAtK.some((v) => v === null));
  if (!short.length) return [];
  const fewest = Math.min(...short.map((g) => g.minSamples ?? 0));
  const missing = ks.filter((_, j) => short.some((g) => g.passAtK[j] === null));
  const which = missing.map((k) => `pass@${k} needs ${k}`).join(', ');
  return [
    `n/a: ${which} samples of every task, and some tasks have only ${fewest}. pass@k is never estimated from fewer than k samples.`,
  ];
}

