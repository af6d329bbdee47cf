import { Command } from 'commander';
import { checkRequiredOptionsAfterUnknown } from './mandatory.js';
import { registerAnalyze } from './analyze.js';
import { registerDataset } from './dataset.js';
import { registerEvaluate } from './evaluate.js';
import { registerDoctor } from './doctor.js';
import { registerGenerate } from './generate.js';
import { registerMerge } from './merge.js';
import { registerRepair } from './repair.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerView } from './view.js';

/** The whole command line, built without running it (tests check documented commands against it). */
export function buildProgram(): Command {
  const program = new Command('codeseceval')
    .description('Measure whether large language models write secure code (CodeSecEval).')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)');

  registerDataset(program);
  registerAnalyze(program);
  registerEvaluate(program);
  registerDoctor(program);
  registerGenerate(program);
  registerMerge(program);
  registerRepair(program);
  registerReport(program);
  registerRun(program);
  registerView(program);
  checkRequiredOptionsAfterUnknown(program);
  return program;
}
