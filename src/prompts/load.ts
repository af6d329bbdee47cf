import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageFile } from '../io/paths.js';
import { parseTemplate, type Template, type TemplateStyle } from './template.js';
import { UserError } from '../core/errors.js';
import type { Experiment } from '../core/experiments.js';

/** The file name of the built-in template for an experiment and model style. */
export function templateFileName(experiment: Experiment, style: TemplateStyle): string {
  return `${experiment}.${style}.txt`;
}

function readTemplate(file: string, style: TemplateStyle, name: string): Template {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read prompt template ${file}: ${(e as Error).message}`);
  }
  return parseTemplate(text, style, name, file);
}

/** A benchmark's own template folder, with the name its templates are known by ("sallm"). */
export interface BenchmarkPrompts {
  name: string;
  dir: string;
}

/**
 * The template for each experiment. `override` (--prompt-template) is a file, used for the
 * one experiment being run, or a folder holding `<experiment>.<style>.txt` files; experiments
 * it has no file for take the benchmark's own template when `benchmark` has one, else the
 * built-in template.
 */
export function loadTemplates(experiments: Experiment[], style: TemplateStyle, override?: string, benchmark?: BenchmarkPrompts): Map<Experiment, Template> {
  const out = new Map<Experiment, Template>();
  const overrideIsDir = override !== undefined && existsSync(override) && statSync(override).isDirectory();
  if (override !== undefined && !existsSync(override)) throw new UserError(`--prompt-template: no such file or folder: ${override}`);
  if (override !== undefined && !overrideIsDir && experiments.length !== 1) {
    throw new UserError(
      `--prompt-template ${override} is one file but ${experiments.length} experiments were asked for; run one experiment, or pass a folder of <experiment>.${style}.txt files`,
    );
  }
  for (const exp of experiments) {
    const fileName = templateFileName(exp, style);
    if (override !== undefined && !overrideIsDir) {
      out.set(exp, readTemplate(override, style, path.resolve(override)));
      continue;
    }
    const custom = overrideIsDir ? path.join(override, fileName) : null;
    const own = benchmark ? path.join(benchmark.dir, fileName) : null;
    if (custom && existsSync(custom)) out.set(exp, readTemplate(custom, style, path.resolve(custom)));
    else if (own && existsSync(own)) out.set(exp, readTemplate(own, style, `${benchmark!.name}/${exp}.${style}`));
    else out.set(exp, readTemplate(packageFile('prompts', fileName), style, `${exp}.${style}`));
  }
  return out;
}
