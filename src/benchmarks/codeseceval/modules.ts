import { pickModules } from '../python-modules.js';

/** The third-party (or no-longer-standard) modules the CodeSecEval data imports. */
export const CODESECEVAL_MODULES = pickModules(
  'flask', 'werkzeug', 'jinja2', 'yaml', 'PIL', 'jwt', 'lxml', 'bleach', 'defusedxml', 'cryptography', 'requests', 'psutil',
  'pytest', 'Cryptodome', 'Crypto', 'mysql', 'imghdr',
);
