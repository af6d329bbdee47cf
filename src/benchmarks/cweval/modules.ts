import { pickModules } from '../python-modules.js';

/** The third-party modules CWEval's Python tasks and pytest files import. */
export const CWEVAL_MODULES = pickModules('pytest', 'Crypto', 'lxml', 'yaml', 'jwt', 'argon2', 'wrapt_timeout_decorator');

/**
 * Every module CWEval's task and test files import (a unit test keeps this complete against
 * the pinned data), for the runner to import before it forks: the Crypto submodules by the
 * names the tasks use. Flask, SQLAlchemy and the other benchmarks' modules stay out of the
 * runner, which then starts in well under half the time.
 */
export const CWEVAL_PRELOAD: readonly string[] = [
  'pytest', 'Crypto.Cipher.AES', 'Crypto.Cipher.DES', 'Crypto.PublicKey.RSA', 'Crypto.PublicKey.DSA',
  'Crypto.Util.Padding', 'Crypto.Random', 'lxml.etree', 'yaml', 'jwt', 'argon2', 'wrapt_timeout_decorator',
  'sqlite3', 'hashlib', 'json', 're', 'os', 'subprocess', 'tempfile', 'tarfile', 'html', 'datetime', 'typing', 'urllib.parse',
];
