import { pickModules } from '../python-modules.js';

/** The third-party modules CWEval's Python tasks and pytest files import. */
export const CWEVAL_MODULES = pickModules('pytest', 'Crypto', 'lxml', 'yaml', 'jwt', 'argon2', 'wrapt_timeout_decorator');
