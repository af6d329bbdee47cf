import path from 'node:path';

/** The upstream data, read in place (never copied into the repository). */
export const CODESECEVAL_DIR = path.resolve(__dirname, '../../../shared/datasets/codeseceval');
export const HUMANEVAL_FILE = path.resolve(__dirname, '../../../shared/datasets/humaneval/HumanEval.jsonl');
